// Uploads: one PUT for small files, multipart with parallel parts above the chunk size.
// Every body carries Content-MD5 so the server rejects corrupted bytes.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { S3Client } from '../s3/client.ts';
import { putObject, createMultipartUpload, uploadPart, completeMultipartUpload, abortMultipartUpload, listParts } from '../s3/ops.ts';
import { Pool } from './pool.ts';

export interface UploadOptions {
  chunkSize: number;
  enableMultipart: boolean;
  /** Concurrent parts per multipart upload. */
  partConcurrency: number;
  /** Resume this multipart upload (parts already uploaded with a matching MD5 are skipped). */
  uploadId?: string;
  /** Called when a multipart upload is created (so a caller can print or remember it). */
  onUploadId?: (id: string) => void;
  debug?: (msg: string) => void;
  /** MD5 (hex) of the whole file when the caller already computed it. */
  md5Hex?: string;
}

export interface UploadResult {
  bytes: number;
  etag: string;
  parts: number;
}

const SMALL_BUFFERED = 1024 * 1024;
const MAX_PARTS = 10000;

/** MD5 of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) throw Object.assign(new Error(`file shrank while reading (expected ${length} bytes at offset ${offset})`), { code: 'ESHRUNK' });
    done += bytesRead;
  }
  return buf;
}

export function chunkSizeFor(size: number, chunk: number): number {
  let c = chunk;
  while (Math.ceil(size / c) > MAX_PARTS) c *= 2;
  return c;
}

/** Upload a local file of known size. `headers` include content type and metadata. */
export async function uploadFile(c: S3Client, path: string, size: number, bucket: string, key: string, headers: Record<string, string>, o: UploadOptions): Promise<UploadResult> {
  if (!o.enableMultipart || size <= o.chunkSize) {
    if (size <= SMALL_BUFFERED) {
      const fh = await open(path, 'r');
      let buf: Buffer;
      try {
        buf = size ? await readAt(fh, 0, size) : Buffer.alloc(0);
      } finally {
        await fh.close();
      }
      const md5 = createHash('md5').update(buf).digest('base64');
      const etag = await putObject(c, bucket, key, buf, { ...headers, 'Content-MD5': md5, 'Content-Length': String(size) });
      return { bytes: size, etag, parts: 0 };
    }
    const md5 = Buffer.from(o.md5Hex ?? (await md5File(path)), 'hex').toString('base64');
    const etag = await putObject(c, bucket, key, () => createReadStream(path, { start: 0, end: size - 1, highWaterMark: 256 * 1024 }), {
      ...headers,
      'Content-MD5': md5,
      'Content-Length': String(size),
    });
    return { bytes: size, etag, parts: 0 };
  }
  const chunk = chunkSizeFor(size, o.chunkSize);
  const nParts = Math.ceil(size / chunk);
  let uploadId = o.uploadId;
  const done = new Map<number, { etag: string; size: number }>();
  if (uploadId) {
    for (const p of await listParts(c, bucket, key, uploadId)) done.set(p.partNumber, { etag: p.etag, size: p.size });
  } else {
    uploadId = await createMultipartUpload(c, bucket, key, headers);
  }
  o.onUploadId?.(uploadId);
  const etags: string[] = new Array(nParts);
  const fh = await open(path, 'r');
  const pool = new Pool(Math.max(1, o.partConcurrency));
  try {
    for (let i = 0; i < nParts; i++) {
      const partNumber = i + 1;
      const offset = i * chunk;
      const len = Math.min(chunk, size - offset);
      await pool.submit(async () => {
        const buf = await readAt(fh, offset, len);
        const md5 = createHash('md5').update(buf);
        const hex = md5.copy().digest('hex');
        const prev = done.get(partNumber);
        if (prev && prev.size === len && prev.etag === hex) {
          etags[i] = hex;
          o.debug?.(`part ${partNumber} already uploaded, skipping`);
          return;
        }
        etags[i] = await uploadPart(c, bucket, key, uploadId!, partNumber, buf, md5.digest('base64'));
      });
      if (pool.failed) break;
    }
    await pool.drain();
  } finally {
    await fh.close();
  }
  const etag = await completeMultipartUpload(
    c,
    bucket,
    key,
    uploadId,
    etags.map((e, i) => ({ partNumber: i + 1, etag: e })),
  );
  return { bytes: size, etag, parts: nParts };
}

/** Read exactly up to `n` bytes from a stream (less only at its end). */
async function readChunk(it: AsyncIterator<Buffer>, n: number, leftover: { buf: Buffer | undefined }): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  if (leftover.buf) {
    parts.push(leftover.buf);
    have = leftover.buf.length;
    leftover.buf = undefined;
  }
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    parts.push(r.value);
    have += r.value.length;
  }
  const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  if (all.length > n) {
    leftover.buf = all.subarray(n);
    return all.subarray(0, n);
  }
  return all;
}

/** Upload a stream of unknown length (stdin): one PUT if it fits a chunk, multipart otherwise. */
export async function uploadStream(c: S3Client, input: Readable, bucket: string, key: string, headers: Record<string, string>, o: UploadOptions): Promise<UploadResult> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const leftover = { buf: undefined as Buffer | undefined };
  const first = await readChunk(it, o.chunkSize, leftover);
  const second = first.length < o.chunkSize ? Buffer.alloc(0) : await readChunk(it, o.chunkSize, leftover);
  if (second.length === 0 || !o.enableMultipart) {
    let body = first;
    if (second.length) {
      const rest: Buffer[] = [first, second];
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        rest.push(r.value);
      }
      body = Buffer.concat(rest);
    }
    const md5 = createHash('md5').update(body).digest('base64');
    const etag = await putObject(c, bucket, key, body, { ...headers, 'Content-MD5': md5, 'Content-Length': String(body.length) });
    return { bytes: body.length, etag, parts: 0 };
  }
  const uploadId = await createMultipartUpload(c, bucket, key, headers);
  o.onUploadId?.(uploadId);
  const etags: string[] = [];
  const pool = new Pool(Math.max(1, o.partConcurrency));
  let bytes = 0;
  try {
    let buf: Buffer = first;
    let next: Buffer | undefined = second;
    for (let partNumber = 1; buf.length > 0; partNumber++) {
      const body = buf;
      const idx = partNumber - 1;
      bytes += body.length;
      await pool.submit(async () => {
        const md5 = createHash('md5').update(body).digest('base64');
        etags[idx] = await uploadPart(c, bucket, key, uploadId, partNumber, body, md5);
      });
      if (pool.failed) break;
      buf = next ?? (await readChunk(it, o.chunkSize, leftover));
      next = undefined;
    }
    await pool.drain();
  } catch (e) {
    await abortMultipartUpload(c, bucket, key, uploadId).catch(() => undefined);
    throw e;
  }
  const etag = await completeMultipartUpload(c, bucket, key, uploadId, etags.map((e, i) => ({ partNumber: i + 1, etag: e })));
  return { bytes, etag, parts: etags.length };
}
