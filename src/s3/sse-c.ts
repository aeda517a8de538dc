// SSE-C: server-side encryption with a key the client supplies on every request that reads or writes
// the object's data (x-amz-server-side-encryption-customer-algorithm / -key / -key-MD5), and with
// x-amz-copy-source-server-side-encryption-customer-* for the source of a server-side copy.
// The server keeps only a salted HMAC of the key: the ETag of such an object is not the MD5 of its
// data on AWS, so callers must not compare ETags with MD5s when SSE-C is in use.
import { createHash } from 'node:crypto';

export interface SseCustomerKey {
  /** AES256 (the only algorithm S3 defines). */
  algorithm: string;
  /** The raw 256-bit key. */
  key: Buffer;
}

const HEADER = 'x-amz-server-side-encryption-customer-';
const COPY_HEADER = 'x-amz-copy-source-server-side-encryption-customer-';

/** The three headers for `k`; `copySource` gives the x-amz-copy-source-... spelling. */
export function customerKeyHeaders(k: SseCustomerKey, copySource = false): Record<string, string> {
  const p = copySource ? COPY_HEADER : HEADER;
  return {
    [`${p}algorithm`]: k.algorithm,
    [`${p}key`]: k.key.toString('base64'),
    [`${p}key-MD5`]: createHash('md5').update(k.key).digest('base64'),
  };
}

/** Query parameters that leave a request about the object's data (not its ACL, tags, uploads list, ...). */
const DATA_QUERY = new Set(['partNumber', 'uploadId', 'versionId']);

/**
 * Whether a request reads or writes object data and so must carry the customer key: GetObject and
 * HeadObject (also of a part), PutObject, CopyObject, UploadPart, UploadPartCopy and
 * CreateMultipartUpload. Not: DELETE, ACL/tagging subresources, CompleteMultipartUpload, ListParts.
 */
export function needsCustomerKey(method: string, key: string | undefined, query: Record<string, string | undefined> | undefined): boolean {
  if (key === undefined || key === '') return false;
  const q = Object.keys(query ?? {}).filter((k) => query![k] !== undefined);
  if (method === 'POST') return q.length === 1 && q[0] === 'uploads';
  if (method === 'GET' || method === 'HEAD') return q.every((k) => k === 'partNumber' || k === 'versionId' || k.startsWith('response-'));
  if (method === 'PUT') return q.every((k) => DATA_QUERY.has(k));
  return false;
}

/** The response says the object is SSE-C encrypted (its ETag is then not an MD5 of the data on AWS). */
export function isCustomerEncrypted(headers: Record<string, string | string[] | undefined>): boolean {
  return !!headers[`${HEADER}algorithm`];
}
