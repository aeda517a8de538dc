// AWS Signature Version 4 for any service (S3 by default; STS for AssumeRole), with the signing key
// cached per day, region and service. The path given must already be URI-encoded per segment (as it
// is sent); query values are given decoded and encoded here the way SigV4 wants (RFC 3986).
// s3/sigv4.ts re-exports it for the S3 wire; credentials/ imports it from here.
import { createHash, createHmac } from 'node:crypto';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  host: string;
  /** Encoded path, e.g. /bucket/a%20b/c */
  path: string;
  /** Decoded query parameters in any order; '' values are sent as `k=`. */
  query: [string, string][];
  /** Headers to send; the ones that must be signed (x-amz-*, content-md5, content-type) are. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  region: string;
  service?: string;
  now?: Date;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const keyCache = new Map<string, Buffer>();
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}|${region}|${service}|${secret}`;
  let k = keyCache.get(id);
  if (!k) {
    const kDate = createHmac('sha256', 'AWS4' + secret).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update(service).digest();
    k = createHmac('sha256', kService).update('aws4_request').digest();
    if (keyCache.size > 16) keyCache.clear();
    keyCache.set(id, k);
  }
  return k;
}

let lastSecond = -1;
let lastStamp = '';
/** `YYYYMMDDTHHMMSSZ` (computed once per second: thousands of requests share it) */
export function amzDate(d: Date): string {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastStamp = d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }
  return lastStamp;
}

export function canonicalQuery(query: [string, string][]): string {
  return query
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Adds X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token and Authorization to req.headers. */
export function signV4(req: SigV4Request, creds: SigV4Credentials): Record<string, string> {
  const service = req.service ?? 's3';
  const now = amzDate(req.now ?? new Date());
  const date = now.slice(0, 8);
  const headers = req.headers;
  headers['X-Amz-Date'] = now;
  headers['X-Amz-Content-Sha256'] = req.payloadHash;
  if (creds.sessionToken) headers['X-Amz-Security-Token'] = creds.sessionToken;
  const signed: [string, string][] = [['host', req.host]];
  for (const [k, v] of Object.entries(headers)) {
    const lk = k.toLowerCase();
    if (lk.startsWith('x-amz-') || lk === 'content-md5' || lk === 'content-type') signed.push([lk, String(v).trim().replace(/\s+/g, ' ')]);
  }
  signed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const signedHeaders = signed.map((h) => h[0]).join(';');
  const canonical = [req.method, req.path, canonicalQuery(req.query), signed.map(([k, v]) => `${k}:${v}\n`).join(''), signedHeaders, req.payloadHash].join('\n');
  const scope = `${date}/${req.region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${now}\n${scope}\n${sha256Hex(canonical)}`;
  const signature = createHmac('sha256', signingKey(creds.secretAccessKey, date, req.region, service)).update(stringToSign).digest('hex');
  headers.Authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
