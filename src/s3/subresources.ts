// Bucket and object sub-resources (policy, cors, lifecycle, tagging, versioning, requestPayment,
// website, restore) and the raw multipart-upload listings. Plain data in and out; never prints.
import { createHash } from 'node:crypto';
import type { S3Client } from './client.ts';
import { S3Error } from './errors.ts';
import { parseXml, text, escapeXml, type XmlNode } from './xml.ts';

const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const md5b64 = (body: string | Buffer) => createHash('md5').update(body).digest('base64');

function parseDoc(body: Buffer, what: string): XmlNode {
  try {
    return parseXml(body);
  } catch (e) {
    throw new S3Error(500, 'MalformedXML', `could not parse the ${what} answer from the server: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** GET ?sub on a bucket (or object): the raw body. */
export async function getSub(c: S3Client, bucket: string, sub: string, key?: string): Promise<Buffer> {
  const res = await c.send({ method: 'GET', bucket, key: key || undefined, query: { [sub]: '' } });
  return res.body;
}

/** The name of the document's root element ('' when there is none). */
export function rootElement(body: Buffer | string): string {
  const s = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
  const m = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]/.exec(s.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, ''));
  return m ? m[2] : '';
}

/**
 * GET ?sub and check the answer is the expected document: a server that does not know the
 * sub-resource answers as if it were absent (a bucket listing, or the object's data).
 */
export async function getSubDocument(c: S3Client, bucket: string, sub: string, root: string, key?: string): Promise<Buffer> {
  const body = await getSub(c, bucket, sub, key);
  const got = rootElement(body);
  if (got !== root)
    throw new S3Error(501, 'NotImplemented', `the server does not support ?${sub}: it answered ${got ? `<${got}>` : 'with no XML document'} instead of <${root}>`);
  return body;
}

/** PUT ?sub with a body; Content-MD5 is always sent (S3 requires it for cors, lifecycle, tagging). Returns the status. */
export async function putSub(c: S3Client, bucket: string, sub: string, body: string | Buffer, contentType: string, key?: string): Promise<number> {
  const res = await c.send({
    method: 'PUT',
    bucket,
    key: key || undefined,
    query: { [sub]: '' },
    body,
    headers: { 'Content-Type': contentType, 'Content-MD5': md5b64(body) },
  });
  return res.status;
}

/** DELETE ?sub. Returns the status. */
export async function deleteSub(c: S3Client, bucket: string, sub: string, key?: string): Promise<number> {
  const res = await c.send({ method: 'DELETE', bucket, key: key || undefined, query: { [sub]: '' } });
  return res.status;
}

// ------------------------------------------------------------------ lifecycle (expire)
/** s3cmd's expiration rule: one rule, a prefix filter, Days or Date. */
export function expirationXml(o: { prefix: string; days?: string; date?: string }): string {
  const exp = o.date ? `<Date>${escapeXml(o.date)}</Date>` : `<Days>${escapeXml(o.days ?? '')}</Days>`;
  return `<LifecycleConfiguration><Rule><Filter><Prefix>${escapeXml(o.prefix)}</Prefix></Filter><Status>Enabled</Status><Expiration>${exp}</Expiration></Rule></LifecycleConfiguration>`;
}

// ------------------------------------------------------------------ tagging
export function taggingXml(tags: [string, string][]): string {
  return (
    '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>' +
    tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('') +
    '</TagSet></Tagging>'
  );
}

export function parseTagging(body: Buffer): [string, string][] {
  const doc = parseDoc(body, 'GetTagging');
  const root: XmlNode = doc.Tagging ?? doc;
  return arr<XmlNode>(root.TagSet?.Tag).map((t) => [text(t.Key), text(t.Value)]);
}

// ------------------------------------------------------------------ versioning, payer, website
export function versioningXml(enabled: boolean): string {
  return `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${enabled ? 'Enabled' : 'Suspended'}</Status></VersioningConfiguration>`;
}

export function requestPaymentXml(requester: boolean): string {
  return `<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>${requester ? 'Requester' : 'BucketOwner'}</Payer></RequestPaymentConfiguration>`;
}

export function websiteXml(index: string, errorDoc?: string): string {
  return (
    '<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<IndexDocument><Suffix>${escapeXml(index)}</Suffix></IndexDocument>` +
    (errorDoc ? `<ErrorDocument><Key>${escapeXml(errorDoc)}</Key></ErrorDocument>` : '') +
    '</WebsiteConfiguration>'
  );
}

export function parseWebsite(body: Buffer): { index: string; error: string } {
  const doc = parseDoc(body, 'GetBucketWebsite');
  const root: XmlNode = doc.WebsiteConfiguration ?? doc;
  return { index: text(root.IndexDocument?.Suffix), error: text(root.ErrorDocument?.Key) };
}

// ------------------------------------------------------------------ restore (Glacier)
export function restoreXml(days: number, tier: string): string {
  return `<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>${days}</Days><GlacierJobParameters><Tier>${escapeXml(tier)}</Tier></GlacierJobParameters></RestoreRequest>`;
}

/** POST ?restore. 202 = started, 200 = already restored. */
export async function restoreObject(c: S3Client, bucket: string, key: string, days: number, tier: string): Promise<number> {
  const body = restoreXml(days, tier);
  const res = await c.send({ method: 'POST', bucket, key, query: { restore: '' }, body, headers: { 'Content-Type': 'application/xml', 'Content-MD5': md5b64(body) } });
  return res.status;
}

// ------------------------------------------------------------------ multipart uploads, as the server wrote them
export interface RawUpload {
  key: string;
  uploadId: string;
  /** The Initiated text exactly as the server sent it (s3cmd prints it verbatim). */
  initiated: string;
}

/** ListMultipartUploads, every page. */
export async function listUploadsRaw(c: S3Client, bucket: string, prefix?: string): Promise<RawUpload[]> {
  const out: RawUpload[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    const res = await c.send({ method: 'GET', bucket, query: { uploads: '', prefix: prefix || undefined, 'key-marker': keyMarker, 'upload-id-marker': idMarker } });
    const doc = parseDoc(res.body, 'ListMultipartUploads');
    const r: XmlNode = doc.ListMultipartUploadsResult ?? {};
    const page = arr<XmlNode>(r.Upload).map((u) => ({ key: text(u.Key), uploadId: text(u.UploadId), initiated: text(u.Initiated) }));
    out.push(...page);
    if (text(r.IsTruncated).toLowerCase() !== 'true' || page.length === 0) return out;
    const nextKey = text(r.NextKeyMarker) || page[page.length - 1].key;
    const nextId = text(r.NextUploadIdMarker) || undefined;
    if (nextKey === keyMarker && nextId === idMarker) return out; // a server that does not advance
    keyMarker = nextKey;
    idMarker = nextId;
  }
}

export interface RawPart {
  partNumber: string;
  etag: string;
  size: string;
  lastModified: string;
}

/** ListParts, every page, values verbatim (the ETag keeps its quotes, as s3cmd prints it). */
export async function listPartsRaw(c: S3Client, bucket: string, key: string, uploadId: string): Promise<RawPart[]> {
  const out: RawPart[] = [];
  let marker: string | undefined;
  for (;;) {
    const res = await c.send({ method: 'GET', bucket, key, query: { uploadId, 'part-number-marker': marker } });
    const doc = parseDoc(res.body, 'ListParts');
    const r: XmlNode = doc.ListPartsResult ?? {};
    const page = arr<XmlNode>(r.Part).map((p) => ({ partNumber: text(p.PartNumber), etag: text(p.ETag), size: text(p.Size), lastModified: text(p.LastModified) }));
    out.push(...page);
    if (text(r.IsTruncated).toLowerCase() !== 'true' || page.length === 0) return out;
    const next = text(r.NextPartNumberMarker) || page[page.length - 1].partNumber;
    if (next === marker) return out;
    marker = next;
  }
}

/** The Payer of a RequestPaymentConfiguration answer ('' when absent). */
export function parsePayer(body: Buffer): string {
  return text(parseXml(body).RequestPaymentConfiguration?.Payer);
}

/** s3cmd's "Expiration Rule" text for the first lifecycle rule with an Expiration, or undefined. */
export function describeExpiration(body: Buffer): string | undefined {
  const rules = parseXml(body).LifecycleConfiguration?.Rule ?? [];
  const r = (Array.isArray(rules) ? rules : [rules]).find((x: Record<string, unknown>) => x.Expiration) as Record<string, any> | undefined;
  if (!r) return undefined;
  const prefix = text(r.Prefix ?? r.Filter?.Prefix);
  const days = text(r.Expiration.Days);
  return (prefix ? `objects with key prefix '${prefix}' ` : 'all objects in this bucket ') + `will expire in '${days ? days + "' day(s) after creation" : text(r.Expiration.Date) + "' "}`;
}

/** BucketLoggingStatus: the target bucket and prefix when logging is on, undefined when off. */
export function parseLoggingStatus(body: Buffer): { bucket: string; prefix: string } | undefined {
  const le = parseXml(body).BucketLoggingStatus?.LoggingEnabled;
  return le ? { bucket: text(le.TargetBucket), prefix: text(le.TargetPrefix) } : undefined;
}
