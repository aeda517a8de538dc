// Server-side copies: CopyObject up to 5 GiB, multipart UploadPartCopy above.
import type { S3Client } from '../s3/client.ts';
import { copyObject, createMultipartUpload, uploadPartCopy, completeMultipartUpload, abortMultipartUpload, headObject } from '../s3/ops.ts';
import { Pool } from './pool.ts';

/** The largest object one CopyObject request copies; above it the copy is multipart. */
export const FIVE_GIB = 5 * 1024 ** 3;

export async function copyRemote(
  c: S3Client,
  src: { bucket: string; key: string; size: number },
  dst: { bucket: string; key: string },
  /** onBytes: bytes copied (for progress), after each part or the whole object. */
  o: { partSize: number; concurrency: number; headers?: Record<string, string>; directive?: 'COPY' | 'REPLACE'; onBytes?: (n: number) => void },
): Promise<string> {
  if (src.size <= FIVE_GIB) {
    const etag = await copyObject(c, src.bucket, src.key, dst.bucket, dst.key, o.headers ?? {}, o.directive ?? 'COPY');
    o.onBytes?.(src.size);
    return etag;
  }
  // Multipart copy: metadata is not copied by UploadPartCopy, so carry it over from a HEAD.
  const h = await headObject(c, src.bucket, src.key, true);
  const headers: Record<string, string> = { 'Content-Type': h.contentType || 'binary/octet-stream' };
  if (o.directive !== 'REPLACE') {
    for (const [k, v] of Object.entries(h.metadata)) headers[`x-amz-meta-${k}`] = v;
    for (const k of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-amz-storage-class', 'x-amz-website-redirect-location'])
      if (h.headers[k]) headers[k] = h.headers[k];
  }
  Object.assign(headers, o.headers ?? {});
  let part = Math.max(o.partSize, 64 * 1024 * 1024);
  while (Math.ceil(src.size / part) > 10000) part *= 2;
  const uploadId = await createMultipartUpload(c, dst.bucket, dst.key, headers);
  const n = Math.ceil(src.size / part);
  const etags: string[] = new Array(n);
  const pool = new Pool(Math.max(1, o.concurrency));
  try {
    for (let i = 0; i < n; i++) {
      const start = i * part;
      const end = Math.min(src.size, start + part) - 1;
      await pool.submit(async () => {
        etags[i] = await uploadPartCopy(c, src.bucket, src.key, dst.bucket, dst.key, uploadId, i + 1, start, end);
        o.onBytes?.(end - start + 1);
      });
      if (pool.failed) break;
    }
    await pool.drain();
    return await completeMultipartUpload(c, dst.bucket, dst.key, uploadId, etags.map((e, i) => ({ partNumber: i + 1, etag: e })));
  } catch (e) {
    await abortMultipartUpload(c, dst.bucket, dst.key, uploadId).catch(() => undefined);
    throw e;
  }
}
