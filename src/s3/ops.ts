// Typed S3 operations on top of S3Client. Each returns plain data; none prints.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { readBody } from '../net/http.ts';
import { IntegrityError } from '../net/retry.ts';
import type { S3Client, S3Request, RequestOptions } from './client.ts';
import { S3Error } from './errors.ts';
import { parseXml, text, escapeXml, type XmlNode } from './xml.ts';
import { parseListObjectsV2 } from './list-xml.ts';
import { parseAcl as parseAclPolicy, grantList } from './acl.ts';
import { isCustomerEncrypted } from './sse-c.ts';

export interface BucketInfo {
  name: string;
  creationDate: Date;
}
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
  storageClass: string;
}
export interface ListPage {
  objects: ObjectInfo[];
  prefixes: string[];
}
export interface HeadInfo {
  size: number;
  lastModified: Date;
  etag: string;
  contentType: string;
  storageClass: string;
  sse?: string;
  /** SSE-C: the algorithm and the MD5 (base64) of the customer key the object is stored with. */
  sseCustomerAlgorithm?: string;
  sseCustomerKeyMd5?: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
}

const unquote = (s: string) => s.replace(/^["']+|["']+$/g, '');
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function decodeMaybe(v: string, urlEncoded: boolean): string {
  if (!urlEncoded) return v;
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

function parseDoc(body: Buffer, what: string): XmlNode {
  try {
    return parseXml(body);
  } catch (e) {
    throw new S3Error(500, 'MalformedXML', `could not parse the ${what} answer from the server: ${(e as Error).message.split('\n')[0]}`);
  }
}

export async function listBuckets(c: S3Client): Promise<BucketInfo[]> {
  const res = await c.send({ method: 'GET' });
  const doc = parseDoc(res.body, 'ListBuckets');
  const root = doc.ListAllMyBucketsResult;
  if (!root || typeof root !== 'object') throw new S3Error(500, 'MalformedXML', 'the ListBuckets answer has no ListAllMyBucketsResult element');
  const buckets = arr<XmlNode>(root.Buckets?.Bucket);
  return buckets.map((b) => ({ name: text(b.Name), creationDate: new Date(text(b.CreationDate)) }));
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** Stop after this many keys in total. */
  limit?: number;
  startAfter?: string;
  pageSize?: number;
}

/** ListObjectsV2, page by page, keys in the server's (UTF-8 binary) order. */
export async function* listObjects(c: S3Client, bucket: string, o: ListOptions = {}): AsyncGenerator<ListPage> {
  let token: string | undefined;
  let remaining = o.limit && o.limit > 0 ? o.limit : Infinity;
  for (;;) {
    const res = await c.send({
      method: 'GET',
      bucket,
      query: {
        'list-type': '2',
        prefix: o.prefix || undefined,
        delimiter: o.delimiter || undefined,
        'max-keys': String(Math.min(o.pageSize ?? 1000, remaining)),
        'continuation-token': token,
        'start-after': token ? undefined : o.startAfter,
        'encoding-type': 'url',
      },
    });
    let page;
    try {
      page = parseListObjectsV2(res.body);
    } catch (e) {
      throw new S3Error(500, 'MalformedXML', `could not parse the ListObjectsV2 answer from the server: ${(e as Error).message}`);
    }
    const enc = page.encodingType === 'url';
    const objects: ObjectInfo[] = page.contents.map((x) => ({
      key: decodeMaybe(x.key, enc),
      size: Number(x.size),
      lastModified: new Date(x.lastModified),
      etag: unquote(x.etag),
      storageClass: x.storageClass || 'STANDARD',
    }));
    const prefixes = page.prefixes.map((p) => decodeMaybe(p, enc));
    remaining -= objects.length + prefixes.length;
    yield { objects, prefixes };
    const truncated = page.isTruncated;
    token = page.nextToken || undefined;
    if (!truncated || !token || remaining <= 0) return;
  }
}

function headersToRecord(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function headInfoFrom(h: Record<string, string>): HeadInfo {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = v;
  return {
    size: Number(h['content-length'] ?? 0),
    lastModified: new Date(h['last-modified'] ?? 0),
    etag: unquote(h['etag'] ?? ''),
    contentType: h['content-type'] ?? '',
    storageClass: h['x-amz-storage-class'] ?? 'STANDARD',
    sse: h['x-amz-server-side-encryption'],
    sseCustomerAlgorithm: h['x-amz-server-side-encryption-customer-algorithm'],
    sseCustomerKeyMd5: h['x-amz-server-side-encryption-customer-key-md5'],
    metadata,
    headers: h,
  };
}

/** HeadObject; `copySource`: the object is the source of a copy (SSE-C: its key is the copy-source key). */
export async function headObject(c: S3Client, bucket: string, key: string, copySource = false): Promise<HeadInfo> {
  const res = await c.send({ method: 'HEAD', bucket, key, copySource });
  return headInfoFrom(headersToRecord(res.headers));
}

export async function headBucket(c: S3Client, bucket: string): Promise<void> {
  await c.send({ method: 'HEAD', bucket });
}

/**
 * Whether to ask for the object's additional checksums (x-amz-checksum-mode: ENABLED on GET/HEAD):
 * only of AWS S3 itself. S3-compatible servers differ (Ceph RGW 16 ignores the header and has no
 * checksums to give), and an unknown signed header is one more thing a proxy or gateway may refuse;
 * checksums a server sends unasked are still checked.
 */
export function wantsChecksumMode(endpointHost: string): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?(:\d+)?$/i.test(endpointHost);
}

const checksumModeOf = (c: S3Client): Record<string, string> => (wantsChecksumMode(c.opts.endpoint.host) ? { 'x-amz-checksum-mode': 'ENABLED' } : {});

/** GetObject, optionally of a byte range (for S3Client.request with a consumer that reads the body). */
export function getObjectRequest(bucket: string, key: string, range?: { start: number; end?: number }, extraHeaders: Record<string, string> = {}): S3Request {
  const headers: Record<string, string> = { ...extraHeaders };
  if (range) headers.Range = `bytes=${range.start}-${range.end ?? ''}`;
  return { method: 'GET', bucket, key, headers };
}

/** GetObject of the whole object, asking for its checksums where the server has them (wantsChecksumMode). */
export function getWholeObjectRequest(c: S3Client, bucket: string, key: string, range?: { start: number }): S3Request {
  return getObjectRequest(bucket, key, range, range ? {} : checksumModeOf(c));
}

/** GetObject up to the response head: the body is the caller's, outside the retry budget. */
export async function getObjectStream(c: S3Client, bucket: string, key: string, range?: { start: number; end?: number }): Promise<IncomingMessage> {
  return c.sendStream(range ? getObjectRequest(bucket, key, range) : getWholeObjectRequest(c, bucket, key));
}

/** HeadObject's raw answer headers, with the object's checksums where the server has them; `partNumber` asks about one part of a multipart upload. */
export async function headObjectHeaders(c: S3Client, bucket: string, key: string, partNumber?: number): Promise<IncomingMessage['headers']> {
  const res = await c.send({ method: 'HEAD', bucket, key, query: partNumber ? { partNumber: String(partNumber) } : undefined, headers: checksumModeOf(c) });
  return res.headers;
}

/** How an upload checks what the server stored: the MD5 (hex) of the bytes an attempt sent, known once they are sent. */
export interface SentBody {
  sentMd5?: () => string;
}

/**
 * The ETag of an upload must be the MD5 of what was sent (when it is an MD5 at all: SSE-KMS and
 * multipart ETags are not). A mismatch is an IntegrityError, retried within the request's budget.
 */
function checkEtag(etag: string, o: SentBody, what: string, sseC: boolean): void {
  // SSE-C: on AWS the ETag is not the MD5 of the data (the server checked Content-MD5 where sent)
  if (!o.sentMd5 || sseC || !/^[0-9a-f]{32}$/.test(etag)) return;
  const md5 = o.sentMd5();
  if (etag !== md5) throw new IntegrityError(`ETag mismatch for ${what}: sent MD5 ${md5}, server ETag ${etag}`);
}

/** Send an upload request, read its (small) answer and check the ETag, all inside one budget. */
function sendUpload(c: S3Client, req: S3Request, o: SentBody & RequestOptions, what: string): Promise<string> {
  return c.request(
    req,
    async (res) => {
      await readBody(res);
      const etag = unquote(String(res.headers.etag ?? ''));
      checkEtag(etag, o, what, c.customerKeyInUse || isCustomerEncrypted(res.headers));
      return etag;
    },
    o,
  );
}

export async function putObject(
  c: S3Client,
  bucket: string,
  key: string,
  body: Buffer | (() => Readable),
  headers: Record<string, string>,
  o: SentBody & RequestOptions = {},
): Promise<string> {
  return sendUpload(c, { method: 'PUT', bucket, key, body, headers }, o, `'s3://${bucket}/${key}'`);
}

export async function createMultipartUpload(c: S3Client, bucket: string, key: string, headers: Record<string, string>): Promise<string> {
  const res = await c.send({ method: 'POST', bucket, key, query: { uploads: '' }, headers });
  const id = text(parseDoc(res.body, 'CreateMultipartUpload').InitiateMultipartUploadResult?.UploadId);
  if (!id) throw new S3Error(500, 'MalformedXML', 'CreateMultipartUpload answer has no UploadId');
  return id;
}

export async function uploadPart(
  c: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Buffer | (() => Readable),
  length: number,
  md5b64?: string,
  o: SentBody & RequestOptions = {},
): Promise<string> {
  const headers: Record<string, string> = { 'Content-Length': String(length) };
  if (md5b64) headers['Content-MD5'] = md5b64;
  const req: S3Request = { method: 'PUT', bucket, key, query: { partNumber: String(partNumber), uploadId }, body, unsignedPayload: true, headers };
  return sendUpload(c, req, o, `part ${partNumber} of 's3://${bucket}/${key}'`);
}

export async function completeMultipartUpload(c: S3Client, bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<string> {
  const xml =
    '<CompleteMultipartUpload>' +
    parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>"${p.etag}"</ETag></Part>`).join('') +
    '</CompleteMultipartUpload>';
  const res = await c.send({ method: 'POST', bucket, key, query: { uploadId }, body: xml, headers: { 'Content-Type': 'application/xml' } });
  // Some servers answer 200 with an <Error> body.
  const doc = parseDoc(res.body, 'CompleteMultipartUpload');
  if (doc.Error) throw new S3Error(500, text(doc.Error.Code) || 'InternalError', text(doc.Error.Message));
  return unquote(text(doc.CompleteMultipartUploadResult?.ETag));
}

export async function abortMultipartUpload(c: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await c.send({ method: 'DELETE', bucket, key, query: { uploadId } });
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
}
export async function listParts(c: S3Client, bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
  const out: PartInfo[] = [];
  let marker: string | undefined;
  for (;;) {
    const res = await c.send({ method: 'GET', bucket, key, query: { uploadId, 'part-number-marker': marker } });
    const r = parseDoc(res.body, 'ListParts').ListPartsResult ?? {};
    for (const p of arr<XmlNode>(r.Part))
      out.push({ partNumber: Number(text(p.PartNumber)), etag: unquote(text(p.ETag)), size: Number(text(p.Size)), lastModified: new Date(text(p.LastModified)) });
    if (text(r.IsTruncated) !== 'true') return out;
    marker = text(r.NextPartNumberMarker);
    if (!marker) return out;
  }
}

export interface UploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}
export async function listMultipartUploads(c: S3Client, bucket: string, prefix?: string): Promise<UploadInfo[]> {
  const out: UploadInfo[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    const res = await c.send({ method: 'GET', bucket, query: { uploads: '', prefix, 'key-marker': keyMarker, 'upload-id-marker': idMarker } });
    const r = parseDoc(res.body, 'ListMultipartUploads').ListMultipartUploadsResult ?? {};
    for (const u of arr<XmlNode>(r.Upload)) out.push({ key: text(u.Key), uploadId: text(u.UploadId), initiated: new Date(text(u.Initiated)) });
    if (text(r.IsTruncated) !== 'true') return out;
    keyMarker = text(r.NextKeyMarker);
    idMarker = text(r.NextUploadIdMarker);
  }
}

export async function createBucket(c: S3Client, bucket: string, location: string | undefined, headers: Record<string, string> = {}): Promise<void> {
  const body = location
    ? `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${escapeXml(location)}</LocationConstraint></CreateBucketConfiguration>`
    : undefined;
  await c.send({ method: 'PUT', bucket, body, headers });
}

export async function deleteBucket(c: S3Client, bucket: string): Promise<void> {
  await c.send({ method: 'DELETE', bucket });
}

export async function deleteObject(c: S3Client, bucket: string, key: string): Promise<void> {
  await c.send({ method: 'DELETE', bucket, key });
}

export interface DeleteResult {
  deleted: string[];
  errors: { key: string; code: string; message: string }[];
}
/** DeleteObjects for up to 1000 keys (quiet mode: only failures come back). */
export async function deleteObjects(c: S3Client, bucket: string, keysIn: string[]): Promise<DeleteResult> {
  // Characters XML 1.0 cannot carry (even escaped) go through single DELETEs.
  // eslint-disable-next-line no-control-regex
  const xmlUnsafe = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;
  const single = keysIn.filter((k) => xmlUnsafe.test(k));
  const keys = single.length ? keysIn.filter((k) => !xmlUnsafe.test(k)) : keysIn;
  const singleErrors: DeleteResult['errors'] = [];
  for (const k of single) {
    try {
      await deleteObject(c, bucket, k);
    } catch (e) {
      if (!(e instanceof S3Error)) throw e;
      singleErrors.push({ key: k, code: e.code, message: e.s3Message });
    }
  }
  if (!keys.length) return { deleted: single.filter((k) => !singleErrors.some((e) => e.key === k)), errors: singleErrors };
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>' +
    keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('') +
    '</Delete>';
  const md5 = createHash('md5').update(xml).digest('base64');
  const res = await c.send({ method: 'POST', bucket, query: { delete: '' }, body: xml, headers: { 'Content-MD5': md5, 'Content-Type': 'application/xml' } });
  const r = parseDoc(res.body, 'DeleteObjects').DeleteResult ?? {};
  const errors = [...singleErrors, ...arr<XmlNode>(r.Error).map((e) => ({ key: text(e.Key), code: text(e.Code), message: text(e.Message) }))];
  const failed = new Set(errors.map((e) => e.key));
  return { deleted: keysIn.filter((k) => !failed.has(k)), errors };
}

export async function getBucketLocation(c: S3Client, bucket: string): Promise<string> {
  const res = await c.send({ method: 'GET', bucket, query: { location: '' } });
  const doc = parseDoc(res.body, 'GetBucketLocation');
  return text(doc.LocationConstraint);
}

export type Grant = ReturnType<typeof grantList>[number];
/** The grants of an ACL answer as s3cmd lists them (acl.ts parses: parseAcl, grantList). */
export const parseAcl = (body: Buffer): Grant[] => grantList(parseAclPolicy(body));


/** Server-side copy (CopyObject, up to 5 GiB). metadata: COPY keeps the source's, REPLACE uses headers. */
export async function copyObject(
  c: S3Client,
  srcBucket: string,
  srcKey: string,
  dstBucket: string,
  dstKey: string,
  headers: Record<string, string> = {},
  directive: 'COPY' | 'REPLACE' = 'COPY',
): Promise<string> {
  const res = await c.send({
    method: 'PUT',
    bucket: dstBucket,
    key: dstKey,
    headers: { ...headers, 'x-amz-copy-source': `/${srcBucket}/${encodeCopyKey(srcKey)}`, 'x-amz-metadata-directive': directive },
  });
  const doc = parseDoc(res.body, 'CopyObject');
  if (doc.Error) throw new S3Error(500, text(doc.Error.Code) || 'InternalError', text(doc.Error.Message));
  return unquote(text(doc.CopyObjectResult?.ETag));
}

/** UploadPartCopy of a byte range (multipart copy above 5 GiB). */
export async function uploadPartCopy(c: S3Client, srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, uploadId: string, partNumber: number, start: number, end: number): Promise<string> {
  const res = await c.send({
    method: 'PUT',
    bucket: dstBucket,
    key: dstKey,
    query: { partNumber: String(partNumber), uploadId },
    headers: { 'x-amz-copy-source': `/${srcBucket}/${encodeCopyKey(srcKey)}`, 'x-amz-copy-source-range': `bytes=${start}-${end}` },
  });
  const doc = parseDoc(res.body, 'UploadPartCopy');
  if (doc.Error) throw new S3Error(500, text(doc.Error.Code) || 'InternalError', text(doc.Error.Message));
  return unquote(text(doc.CopyPartResult?.ETag));
}

function encodeCopyKey(key: string): string {
  return key
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
}
