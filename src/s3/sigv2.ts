// AWS Signature Version 2 for S3 (HMAC-SHA1), for on-premises stores that still want it
// (`signature_v2 = True` / `--signature-v2`, as in s3cmd). Follows AWS's "Signing and authenticating
// REST requests (AWS signature version 2)":
//   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
// The date travels in x-amz-date (RFC 1123, as s3cmd sends it), so the Date position is empty. The
// path given must already be URI-encoded (as it is sent): S3 signs the request URI literally.
import { createHmac } from 'node:crypto';
import type { SigV4Credentials } from './sigv4.ts';

export type SigV2Credentials = SigV4Credentials;

/**
 * Query parameters that are part of the resource and so signed: AWS's sub-resource list, the ones
 * s3cmd adds because S3 checks them too (cors, delete, restore, tagging), and the response-*
 * overrides of GET Object.
 */
export const SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl',
  'cors',
  'delete',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'partNumber',
  'policy',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

export interface SigV2Request {
  method: string;
  /** The bucket when it is named by the Host header (virtual-host style); undefined for path style. */
  hostBucket?: string;
  /** Encoded path as sent, e.g. /bucket/a%20b (path style) or /a%20b (virtual-host style). */
  path: string;
  /** Decoded query parameters in any order; only sub-resources are signed. */
  query: [string, string][];
  /** Headers to send; Content-MD5, Content-Type, Date and every x-amz-* one are signed. */
  headers: Record<string, string>;
  now?: Date;
}

/** RFC 1123 date with a numeric zone, `Tue, 27 Mar 2007 19:36:42 +0000` (what s3cmd sends). */
export function httpDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * `/bucket/key?sub&sub2=value`: "/" + the bucket when the Host header names it, the encoded path,
 * then the sub-resources sorted by name with their values as they are (not URL-encoded).
 */
export function canonicalResourceV2(hostBucket: string | undefined, path: string, query: [string, string][]): string {
  const subs = query.filter(([k]) => SIGNED_SUBRESOURCES.has(k)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const qs = subs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
  return (hostBucket ? '/' + hostBucket : '') + path + (qs ? '?' + qs : '');
}

/** `name:value\n` for every x-amz-* header, names lower-cased and sorted, repeated names joined by ','. */
export function canonicalAmzHeaders(headers: Record<string, string>): string {
  const amz = new Map<string, string[]>();
  for (const [k, v] of Object.entries(headers)) {
    const lk = k.toLowerCase();
    if (!lk.startsWith('x-amz-')) continue;
    const value = String(v).replace(/\s*\r?\n\s*/g, ' ').trim();
    const list = amz.get(lk);
    if (list) list.push(value);
    else amz.set(lk, [value]);
  }
  return [...amz.keys()]
    .sort()
    .map((k) => `${k}:${amz.get(k)!.join(',')}\n`)
    .join('');
}

function header(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return String(v).trim();
  return undefined;
}

/** The string the signature covers. With an x-amz-date header the Date position stays empty. */
export function stringToSignV2(req: SigV2Request): string {
  const h = req.headers;
  const date = header(h, 'x-amz-date') !== undefined ? '' : header(h, 'date') ?? '';
  return [req.method, header(h, 'content-md5') ?? '', header(h, 'content-type') ?? '', date, ''].join('\n') + canonicalAmzHeaders(h) + canonicalResourceV2(req.hostBucket, req.path, req.query);
}

/** base64(HMAC-SHA1(secret key, string)). */
export function signatureV2(secretAccessKey: string, stringToSign: string): string {
  return createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Adds X-Amz-Date (unless the caller set a Date or x-amz-date header), X-Amz-Security-Token for
 * temporary credentials (signed with the other x-amz-* headers) and `Authorization: AWS AKID:SIG`.
 * Returns the string that was signed (for --debug).
 */
export function signV2(req: SigV2Request, creds: SigV2Credentials): string {
  const headers = req.headers;
  if (header(headers, 'x-amz-date') === undefined && header(headers, 'date') === undefined) headers['X-Amz-Date'] = httpDate(req.now ?? new Date());
  if (creds.sessionToken) headers['X-Amz-Security-Token'] = creds.sessionToken;
  const sts = stringToSignV2(req);
  headers.Authorization = `AWS ${creds.accessKeyId}:${signatureV2(creds.secretAccessKey, sts)}`;
  return sts;
}
