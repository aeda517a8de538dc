// info: object and bucket details in s3cmd's layout.
import type { Context } from './context.ts';
import { headObject, getBucketLocation, parseAcl, type Grant } from '../s3/ops.ts';
import { getSub, parsePayer, describeExpiration } from '../s3/subresources.ts';
import { S3Error } from '../s3/errors.ts';
import { s3uri, publicUrl } from '../s3/uri.ts';
import { result } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';
import { s3Arg } from '../storage/url.ts';
import { attrsMd5 } from '../storage/attrs.ts';
import { reportBucketError } from './report.ts';

async function optional<T>(f: () => Promise<T>, missing: number[] = [404, 501]): Promise<T | undefined | { status: number }> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof S3Error && (missing.includes(e.status) || e.status === 403 || e.status === 405)) return { status: e.status };
    throw e;
  }
}
const isStatus = (v: unknown): v is { status: number } => typeof v === 'object' && v !== null && 'status' in v && !Buffer.isBuffer(v) && !Array.isArray(v);

export async function cmdInfo(ctx: Context, args: string[]): Promise<number> {
  const c = ctx.s3();
  for (const arg of args) {
    const u = s3Arg(arg);
    const lines: string[] = [];
    const json: Record<string, unknown> = { uri: arg };
    const metaLines: string[] = [];
    try {
      if (u.key) {
        const h = await headObject(c, u.bucket, u.key);
        const md5 = attrsMd5(h.metadata['s3cmd-attrs']) ?? h.etag;
        lines.push(`${s3uri(u.bucket, u.key)} (object):`);
        lines.push(`   File size: ${h.headers['content-length']}`);
        lines.push(`   Last mod:  ${h.headers['last-modified']}`);
        lines.push(`   MIME type: ${h.contentType || 'none'}`);
        lines.push(`   Storage:   ${h.storageClass}`);
        lines.push(`   MD5 sum:   ${md5}`);
        const sseC = h.sseCustomerAlgorithm ? `SSE-C (${h.sseCustomerAlgorithm}, key MD5 ${h.sseCustomerKeyMd5 ?? '?'})` : undefined;
        lines.push(`   SSE:       ${h.sse ?? sseC ?? 'none'}`);
        for (const [k, v] of Object.entries(h.headers)) if (k.startsWith('x-amz-meta-')) metaLines.push(`   ${k}: ${v}`);
        Object.assign(json, { type: 'object', size: h.size, lastModified: h.lastModified.toISOString(), contentType: h.contentType, storageClass: h.storageClass, md5, etag: h.etag, sse: h.sse ?? (sseC ? 'SSE-C' : null), ...(sseC ? { sseCustomerAlgorithm: h.sseCustomerAlgorithm, sseCustomerKeyMd5: h.sseCustomerKeyMd5 ?? null } : {}), metadata: h.metadata });
      } else {
        const loc = await getBucketLocation(c, u.bucket);
        const payerBody = await optional(() => getSub(c, u.bucket, 'requestPayment'));
        let payer = 'none';
        if (Buffer.isBuffer(payerBody)) payer = parsePayer(payerBody) || 'none';
        lines.push(`${s3uri(u.bucket)} (bucket):`);
        lines.push(`   Location:  ${loc || 'none'}`);
        lines.push(`   Payer:     ${payer}`);
        const lc = await optional(() => getSub(c, u.bucket, 'lifecycle'));
        const exp = (Buffer.isBuffer(lc) && describeExpiration(lc)) || 'none';
        lines.push(`   Expiration Rule: ${exp}`);
        Object.assign(json, { type: 'bucket', location: loc || null, payer, expiration: exp });
      }
      const policy = await optional(() => getSub(c, u.bucket, 'policy'));
      const pol = Buffer.isBuffer(policy)
        ? policy.toString('utf8')
        : isStatus(policy) && policy.status === 403
          ? 'Not available: GetPolicy permission is needed to read the policy'
          : isStatus(policy) && policy.status === 405
            ? 'Not available: Only the bucket owner can read the policy'
            : 'none';
      lines.push(`   Policy:    ${pol}`);
      const cors = await optional(() => getSub(c, u.bucket, 'cors'));
      lines.push(`   CORS:      ${Buffer.isBuffer(cors) ? cors.toString('utf8') : 'none'}`);
      const aclBody = await optional(() => getSub(c, u.bucket, 'acl', u.key || undefined));
      let grants: Grant[] = [];
      if (Buffer.isBuffer(aclBody)) {
        try {
          grants = parseAcl(aclBody);
        } catch {
          grants = [];
        }
        for (const g of grants) lines.push(`   ACL:       ${g.grantee}: ${g.permission}`);
        if (grants.some((g) => g.grantee === '*anon*' && (g.permission === 'READ' || g.permission === 'FULL_CONTROL')))
          lines.push(`   URL:       ${publicUrl(ctx.settings.endpoint, ctx.settings.hostBucketTemplate, u.bucket, u.key)}`);
      } else lines.push('   ACL:       none');
      Object.assign(json, { policy: pol, cors: Buffer.isBuffer(cors) ? cors.toString('utf8') : null, acl: grants });
      lines.push(...metaLines);
    } catch (e) {
      reportBucketError(e, u.bucket);
      throw e;
    }
    if (ctx.settings.json) result(JSON.stringify(json));
    // values such as a pretty-printed policy span several lines, as in s3cmd
    else for (const l of lines) for (const part of l.split('\n')) result(part);
  }
  return EX.OK;
}
