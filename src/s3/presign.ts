// Presigned URLs (SigV4 query signing, the session token included so IRSA credentials work; SigV2
// query signing as s3cmd's signurl does it) and s3cmd's `sign` (HMAC-SHA1, base64). Pure functions:
// the caller supplies host, path and credentials.
import { createHash, createHmac } from 'node:crypto';
import { canonicalResourceV2, signatureV2 } from './sigv2.ts';
import { amzDate, rfc3986 } from './sigv4.ts';

/** SigV4 allows a presigned URL to live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 604800;

export interface PresignInput {
  method?: string;
  /** 'http:' or 'https:' */
  protocol: string;
  /** Host as sent in the Host header (with :port when not the default). */
  host: string;
  /** Already URI-encoded path, e.g. /bucket/my%20key (what the client sends). */
  path: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiresIn: number;
  now?: Date;
  /** Extra signed query parameters (response-content-type, ...), unencoded. */
  query?: Record<string, string>;
}

const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** A SigV4 presigned URL (UNSIGNED-PAYLOAD, only the host header signed). */
export function presignUrl(p: PresignInput): string {
  if (!Number.isInteger(p.expiresIn) || p.expiresIn < 1 || p.expiresIn > MAX_PRESIGN_SECONDS)
    throw new RangeError(`expiry must be 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${p.expiresIn}`);
  const method = p.method ?? 'GET';
  const datetime = amzDate(p.now ?? new Date());
  const date = datetime.slice(0, 8);
  const scope = `${date}/${p.region}/s3/aws4_request`;
  const q: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${p.accessKeyId}/${scope}`,
    'X-Amz-Date': datetime,
    'X-Amz-Expires': String(p.expiresIn),
    'X-Amz-SignedHeaders': 'host',
    ...(p.sessionToken ? { 'X-Amz-Security-Token': p.sessionToken } : {}),
    ...(p.query ?? {}),
  };
  const canonicalQuery = Object.keys(q)
    .map((k) => [rfc3986(k), rfc3986(q[k])] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [method, p.path, canonicalQuery, `host:${p.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', datetime, scope, sha256hex(canonicalRequest)].join('\n');
  const kDate = hmac('AWS4' + p.secretAccessKey, date);
  const kSigning = hmac(hmac(hmac(kDate, p.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  return `${p.protocol}//${p.host}${p.path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

export interface PresignV2Input {
  /** 'http:' or 'https:' */
  protocol: string;
  host: string;
  /** Already URI-encoded path, e.g. /bucket/my%20key (what the client sends). */
  path: string;
  /** The bucket when the host names it (virtual-host style); undefined for path style. */
  hostBucket?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch seconds after which the URL is refused. */
  expires: number;
  /** response-content-disposition, response-content-type (unencoded); signed as sub-resources. */
  query?: Record<string, string>;
}

/**
 * A SigV2 presigned GET URL in s3cmd's form: `?AWSAccessKeyId=..&Expires=..&Signature=..` then the
 * response-* overrides. StringToSign = `GET\n\n\n<Expires>\n` + amz headers + resource. With temporary
 * credentials the session token goes in `x-amz-security-token` and is signed like an x-amz header,
 * so such URLs work too (s3cmd leaves the token out).
 */
export function presignUrlV2(p: PresignV2Input): string {
  if (!Number.isInteger(p.expires) || p.expires < 1) throw new RangeError(`expiry must be a positive epoch time, not ${p.expires}`);
  const extra = Object.keys(p.query ?? {})
    .sort()
    .map((k) => [k, p.query![k]] as [string, string]);
  const token = p.sessionToken ? `x-amz-security-token:${p.sessionToken}\n` : '';
  const stringToSign = `GET\n\n\n${p.expires}\n${token}${canonicalResourceV2(p.hostBucket, p.path, extra)}`;
  const signature = signatureV2(p.secretAccessKey, stringToSign);
  let url = `${p.protocol}//${p.host}${p.path}?AWSAccessKeyId=${rfc3986(p.accessKeyId)}&Expires=${p.expires}&Signature=${rfc3986(signature)}`;
  if (p.sessionToken) url += `&x-amz-security-token=${rfc3986(p.sessionToken)}`;
  for (const [k, v] of extra) url += `&${rfc3986(k)}=${rfc3986(v)}`;
  return url;
}

/** s3cmd's sign_string_v2: base64(HMAC-SHA1(secret key, string)). */
export function signStringV2(secretAccessKey: string, s: string): string {
  return signatureV2(secretAccessKey, s);
}
