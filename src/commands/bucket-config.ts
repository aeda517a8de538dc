// Bucket and object settings with s3cmd's lines: setpolicy/getpolicy/delpolicy, setcors/getcors/delcors,
// expire/setlifecycle/getlifecycle/dellifecycle, settagging/gettagging/deltagging, setversioning,
// payer, set/get/delnotification, accesslog (status), ws-create/ws-delete/ws-info.
import { readFileSync } from 'node:fs';
import type { Context } from './context.ts';
import { getBucketLocation } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import {
  getSub, getSubDocument, putSub, deleteSub, expirationXml, taggingXml, parseTagging, versioningXml, requestPaymentXml, websiteXml, parseWebsite, parseLoggingStatus,
} from '../s3/subresources.ts';
import { prettyXml } from '../s3/pretty-xml.ts';
import { parseUrl, s3uri, type S3Url } from '../s3/uri.ts';
import { output, debug } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { outputBlock, outputKeepTabs } from './tabbed-output.ts';

function s3arg(arg: string): S3Url {
  const u = parseUrl(arg);
  if (u.type !== 's3' || !u.bucket) throw new ParameterError(`Expecting S3 URI instead of '${arg}'`);
  return u;
}

function bucketOnly(arg: string, cmd?: string): S3Url {
  const u = s3arg(arg);
  if (u.key) {
    if (cmd) throw new ParameterError(`Only bucket name is required for [${cmd}] command`);
    throw new ParameterError(`Expecting S3 URI with just the bucket name set instead of '${arg}'`);
  }
  return u;
}

function readLocal(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e));
    throw new ParameterError(`cannot read ${what} file '${file}': ${why}`);
  }
}

const bucketUri = (u: S3Url) => s3uri(u.bucket);

// ------------------------------------------------------------------ policy
export async function cmdSetpolicy(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[1]);
  const policy = readLocal(args[0], 'policy');
  if (ctx.settings.dryRun) return EX.OK;
  const status = await putSub(ctx.s3(), u.bucket, 'policy', policy, 'application/json');
  debug(`response - ${status}`);
  output(`${bucketUri(u)}: Policy updated`);
  return EX.OK;
}

export async function cmdGetpolicy(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[args.length - 1]);
  try {
    const body = await getSub(ctx.s3(), u.bucket, 'policy');
    outputBlock(`   Policy:    ${body.toString('utf8').trimEnd()}`);
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    if (e.status === 403) {
      output('   Policy:    Not available: GetPolicy permission is needed to read the policy');
      return EX.ACCESSDENIED;
    }
    if (e.status === 405) {
      output('   Policy:    Not available: Only the bucket owner can read the policy');
      return EX.ACCESSDENIED;
    }
    if (e.status !== 404 && e.status !== 501) throw e;
    output('   Policy:    none');
  }
  return EX.OK;
}

export async function cmdDelpolicy(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await deleteSub(ctx.s3(), u.bucket, 'policy');
  output(`${bucketUri(u)}: Policy deleted`);
  return EX.OK;
}

// ------------------------------------------------------------------ CORS
export async function cmdSetcors(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[1]);
  const cors = readLocal(args[0], 'CORS');
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'cors', cors, 'application/xml');
  output(`${bucketUri(u)}: CORS updated`);
  return EX.OK;
}

export async function cmdGetcors(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  const body = await getSubDocument(ctx.s3(), u.bucket, 'cors', 'CORSConfiguration');
  outputBlock(prettyXml(body.toString('utf8')));
  return EX.OK;
}

export async function cmdDelcors(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await deleteSub(ctx.s3(), u.bucket, 'cors');
  output(`${bucketUri(u)}: CORS deleted`);
  return EX.OK;
}

// ------------------------------------------------------------------ lifecycle
export async function cmdSetlifecycle(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[1]);
  const policy = readLocal(args[0], 'lifecycle policy');
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'lifecycle', policy, 'application/xml');
  output(`${bucketUri(u)}: Lifecycle Policy updated`);
  return EX.OK;
}

export async function cmdGetlifecycle(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  const body = await getSubDocument(ctx.s3(), u.bucket, 'lifecycle', 'LifecycleConfiguration');
  outputBlock(prettyXml(body.toString('utf8')));
  return EX.OK;
}

export async function cmdDellifecycle(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await deleteSub(ctx.s3(), u.bucket, 'lifecycle');
  output(`${bucketUri(u)}: Lifecycle Policy deleted`);
  return EX.OK;
}

/** expire: --expiry-days N or --expiry-date DATE (with --expiry-prefix) sets one rule; neither removes the lifecycle. */
export async function cmdExpire(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  for (const arg of args) {
    const u = bucketOnly(arg);
    if (s.expiryDate && s.expiryDays) throw new ParameterError('Expect either --expiry-day or --expiry-date');
    if (!s.expiryDate && !s.expiryDays) {
      if (s.expiryPrefix) throw new ParameterError('Expect either --expiry-day or --expiry-date');
      if (ctx.settings.dryRun) continue;
      await deleteSub(ctx.s3(), u.bucket, 'lifecycle');
      output(`Bucket '${bucketUri(u)}': expiration configuration is deleted.`);
      continue;
    }
    if (s.expiryDays && !/^\d+$/.test(s.expiryDays.trim())) throw new ParameterError(`--expiry-days must be a whole number of days, not '${s.expiryDays}'`);
    if (ctx.settings.dryRun) continue;
    await putSub(ctx.s3(), u.bucket, 'lifecycle', expirationXml({ prefix: s.expiryPrefix, days: s.expiryDays?.trim(), date: s.expiryDate }), 'application/xml');
    output(`Bucket '${bucketUri(u)}': expiration configuration is set.`);
  }
  return EX.OK;
}

// ------------------------------------------------------------------ tagging
/** "KEY=VALUE&KEY=VALUE" as s3cmd splits it. */
export function parseTagSet(s: string): [string, string][] {
  return s.split('&').map((kv) => {
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    if (!k) throw new ParameterError('Tag key should not be empty');
    return [k, i < 0 ? '' : kv.slice(i + 1)];
  });
}

export async function cmdSettagging(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  const tags = parseTagSet(args[1]);
  debug(() => JSON.stringify(tags));
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'tagging', taggingXml(tags), 'application/xml', u.key || undefined);
  output(`${s3uri(u.bucket, u.key)}: Tagging updated`);
  return EX.OK;
}

export async function cmdGettagging(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  const tags = parseTagging(await getSubDocument(ctx.s3(), u.bucket, 'tagging', 'Tagging', u.key || undefined));
  output(`${s3uri(u.bucket, u.key)} ${u.key ? '(object)' : '(bucket)'}:`);
  for (const [k, v] of tags) outputKeepTabs(`\t${k}:\t${v}`);
  return EX.OK;
}

export async function cmdDeltagging(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await deleteSub(ctx.s3(), u.bucket, 'tagging', u.key || undefined);
  output(`${s3uri(u.bucket, u.key)}: Tagging deleted`);
  return EX.OK;
}

// ------------------------------------------------------------------ versioning, payer
export async function cmdSetversioning(ctx: Context, args: string[]): Promise<number> {
  const u = bucketOnly(args[0], 'setversioning');
  const status = args[1];
  if (status !== 'enable' && status !== 'disable') throw new ParameterError(`Must be 'enable' or 'disable'. Got: ${status}`);
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'versioning', versioningXml(status === 'enable'), 'application/xml');
  output(`${bucketUri(u)}: Versioning status updated`);
  return EX.OK;
}

/** payer: BucketOwner, or Requester with --requester-pays. */
export async function cmdPayer(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'requestPayment', requestPaymentXml(ctx.settings.requesterPays), 'application/xml');
  output(`${bucketUri(u)}: Payer updated`);
  return EX.OK;
}

// ------------------------------------------------------------------ notification
export async function cmdSetnotification(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[1]);
  const policy = readLocal(args[0], 'notification policy');
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'notification', policy, 'application/xml');
  output(`${bucketUri(u)}: Notification Policy updated`);
  return EX.OK;
}

export async function cmdGetnotification(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  const body = await getSubDocument(ctx.s3(), u.bucket, 'notification', 'NotificationConfiguration');
  outputBlock(prettyXml(body.toString('utf8')));
  return EX.OK;
}

export async function cmdDelnotification(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0]);
  if (ctx.settings.dryRun) return EX.OK;
  await putSub(ctx.s3(), u.bucket, 'notification', '<NotificationConfiguration></NotificationConfiguration>', 'application/xml');
  output(`${bucketUri(u)}: Notification Policy deleted`);
  return EX.OK;
}

// ------------------------------------------------------------------ access logging (status only)
export async function cmdAccesslog(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[args.length - 1]);
  if (u.key) throw new ParameterError('Only bucket name is required for [accesslog] command');
  const le = parseLoggingStatus(await getSubDocument(ctx.s3(), u.bucket, 'logging', 'BucketLoggingStatus'));
  output(`Access logging for: ${bucketUri(u)}`);
  output(`   Logging Enabled: ${le ? 'True' : 'False'}`);
  if (le) output(`     Target prefix: ${s3uri(le.bucket, le.prefix)}`);
  return EX.OK;
}

// ------------------------------------------------------------------ website
export async function cmdWsCreate(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  for (const arg of args) {
    const u = bucketOnly(arg);
    if (ctx.settings.dryRun) continue;
    await putSub(ctx.s3(), u.bucket, 'website', websiteXml(s.websiteIndex, s.websiteError), 'application/xml');
    output(`Bucket '${bucketUri(u)}': website configuration created.`);
  }
  return EX.OK;
}

export async function cmdWsDelete(ctx: Context, args: string[]): Promise<number> {
  for (const arg of args) {
    const u = bucketOnly(arg);
    if (ctx.settings.dryRun) continue;
    await deleteSub(ctx.s3(), u.bucket, 'website');
    output(`Bucket '${bucketUri(u)}': website configuration deleted.`);
  }
  return EX.OK;
}

export async function cmdWsInfo(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  for (const arg of args) {
    const u = bucketOnly(arg);
    let body: Buffer;
    try {
      body = await getSubDocument(ctx.s3(), u.bucket, 'website', 'WebsiteConfiguration');
    } catch (e) {
      if (e instanceof S3Error && e.status === 404 && e.code !== 'NoSuchBucket') {
        output(`Bucket ${bucketUri(u)}: Unable to receive website configuration.`);
        continue;
      }
      throw e;
    }
    const w = parseWebsite(body);
    const location = (await getBucketLocation(ctx.s3(), u.bucket)) || 'us-east-1';
    const template = s.websiteEndpoint;
    output(`Bucket ${bucketUri(u)}: Website configuration`);
    output(`Website endpoint: ${template.replace(/%\(bucket\)s/g, u.bucket).replace(/%\(location\)s/g, location)}`);
    output(`Index document:   ${w.index}`);
    output(`Error document:   ${w.error || 'None'}`);
  }
  return EX.OK;
}
