// setacl and getacl (s3cmd update_acl / cmd_getacl): -P / --acl-public, --acl-private,
// --acl-grant=PERM:GRANTEE, --acl-revoke=PERM:GRANTEE on buckets, objects, wildcards and -r.
import type { Context } from './context.ts';
import { getAcl, putAcl, grantList, isAnonRead, isAnonWrite, grantAnonRead, revokeAnon, grant, revoke } from '../s3/acl.ts';
import { s3uri, publicUrl } from '../s3/uri.ts';
import { output, info, warning, debug } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';
import { s3Arg } from '../storage/url.ts';
import { expand } from '../storage/s3.ts';
import { selection } from '../sync/select.ts';
import { warnEmptyName } from './report.ts';

async function updateAcl(ctx: Context, bucket: string, key: string, label: string): Promise<void> {
  const s = ctx.settings;
  const c = ctx.s3();
  const uri = s3uri(bucket, key);
  const acl = await getAcl(c, bucket, key || undefined);
  debug(() => `acl: ${uri} - ${JSON.stringify(acl.grants)}`);
  let changed = false;
  if (s.aclPublic === true) {
    if (isAnonRead(acl)) info(`${uri}: already Public, skipping ${label}`);
    else {
      grantAnonRead(acl);
      changed = true;
    }
  } else if (s.aclPublic === false) {
    if (!isAnonRead(acl) && !isAnonWrite(acl)) info(`${uri}: already Private, skipping ${label}`);
    else {
      revokeAnon(acl);
      changed = true;
    }
  }
  // Grants first, then revokes: a revoke wins.
  for (const g of s.aclGrants) {
    grant(acl, g.name, g.permission);
    changed = true;
  }
  for (const r of s.aclRevokes) {
    revoke(acl, r.name, r.permission);
    changed = true;
  }
  if (!changed) return;
  await putAcl(c, bucket, key || undefined, acl);
  if (s.aclPublic !== undefined) output(`${uri}: ACL set to ${s.aclPublic ? 'Public' : 'Private'}  ${label}`);
  else output(`${uri}: ACL updated`);
}

export async function cmdSetacl(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  if (s.aclPublic === undefined && !s.aclGrants.length && !s.aclRevokes.length)
    warning('Nothing to change: use -P/--acl-public, --acl-private, --acl-grant=PERMISSION:GRANTEE or --acl-revoke=PERMISSION:GRANTEE.');
  const urls = args.map(s3Arg);
  let objects = urls;
  if (!s.recursive) {
    objects = [];
    for (const u of urls) {
      if (u.key) {
        objects.push(u);
        continue;
      }
      info(`Setting bucket-level ACL for ${s3uri(u.bucket)}${s.aclPublic !== undefined ? ` to ${s.aclPublic ? 'Public' : 'Private'}` : ''}`);
      if (!s.dryRun) await updateAcl(ctx, u.bucket, '', '');
    }
  }
  const selected = selection(s, debug, true);
  const items: { bucket: string; key: string }[] = [];
  for (const u of objects) for await (const it of expand(ctx.s3(), u, { recursive: s.recursive, exactObject: true, keep: selected.keep, onEmptyName: warnEmptyName })) items.push({ bucket: it.bucket, key: it.key });
  info(`Summary: ${items.length} remote files to update`);
  if (s.dryRun) {
    for (const e of selected.excluded) output(`exclude: ${e}`);
    for (const it of items) output(`setacl: '${s3uri(it.bucket, it.key)}'`);
    warning('Exiting now because of --dry-run');
    return EX.OK;
  }
  let n = 0;
  for (const it of items) await updateAcl(ctx, it.bucket, it.key, `[${++n} of ${items.length}]`);
  return EX.OK;
}

export async function cmdGetacl(ctx: Context, args: string[]): Promise<number> {
  for (const arg of args) {
    const u = s3Arg(arg);
    const acl = await getAcl(ctx.s3(), u.bucket, u.key || undefined);
    output(`${s3uri(u.bucket, u.key)} ${u.key ? '(object)' : '(bucket)'}:`);
    output(`   Owner:     ${acl.ownerId}${acl.ownerName ? ` (Nick: ${acl.ownerName})` : ''}`);
    for (const g of grantList(acl)) output(`   ACL:       ${g.grantee}: ${g.permission}`);
    if (isAnonRead(acl)) output(`   URL:       ${publicUrl(ctx.settings.endpoint, ctx.settings.hostBucketTemplate, u.bucket, u.key)}`);
  }
  return EX.OK;
}
