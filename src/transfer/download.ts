// Downloads: stream to a temporary name beside the target, verify the MD5 when the ETag is one,
// then rename, so a complete file is never replaced by a partial one.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink, stat, utimes, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import type { S3Client } from '../s3/client.ts';
import { getObjectStream } from '../s3/ops.ts';
import { TransferError } from '../s3/errors.ts';
import { NetworkError } from '../net/http.ts';
import { backoffMs, sleep } from '../net/retry.ts';

export interface DownloadResult {
  bytes: number;
  lastModified?: Date;
  etag: string;
  headers: Record<string, string | string[] | undefined>;
}

const isPlainMd5 = (etag: string) => /^[0-9a-f]{32}$/.test(etag);

function hashingTap(h: ReturnType<typeof createHash>, count: { n: number }) {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

export function tempNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.s3k-${randomBytes(4).toString('hex')}.tmp`);
}

export interface DownloadOptions {
  maxRetries: number;
  /** Append to an existing partial file from this offset (--continue). */
  resumeFrom?: number;
  preserveMtime: boolean;
  onRetry?: (reason: string, attempt: number) => void;
}

/** Download to `target` via a temp file + rename (or append in place for --continue). */
export async function downloadToFile(c: S3Client, bucket: string, key: string, target: string, o: DownloadOptions): Promise<DownloadResult> {
  await mkdir(dirname(target), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const resume = o.resumeFrom && o.resumeFrom > 0 ? o.resumeFrom : 0;
    const tmp = resume ? target : tempNameFor(target);
    let res;
    try {
      res = await getObjectStream(c, bucket, key, resume ? { start: resume } : undefined);
    } catch (e) {
      throw e;
    }
    const etag = String(res.headers.etag ?? '').replace(/"/g, '');
    const h = createHash('md5');
    const count = { n: 0 };
    const out = createWriteStream(tmp, resume ? { flags: 'a' } : { flags: 'wx', mode: 0o644 });
    try {
      await pipeline(res, hashingTap(h, count), out);
      const expected = Number(res.headers['content-length'] ?? count.n);
      if (count.n !== expected) throw new NetworkError(`short read: got ${count.n} of ${expected} bytes`, 'ECONNRESET', '');
      const md5 = h.digest('hex');
      if (!resume && isPlainMd5(etag) && md5 !== etag) throw new TransferError(`MD5 mismatch: got ${md5}, expected ${etag}`);
      if (!resume) await rename(tmp, target);
      const lm = res.headers['last-modified'] ? new Date(String(res.headers['last-modified'])) : undefined;
      if (o.preserveMtime && lm && !Number.isNaN(lm.getTime())) await utimes(target, lm, lm).catch(() => undefined);
      return { bytes: (resume || 0) + count.n, lastModified: lm, etag, headers: res.headers };
    } catch (e) {
      if (!resume) await unlink(tmp).catch(() => undefined);
      const err = e as NodeJS.ErrnoException;
      const retryable = e instanceof TransferError || e instanceof NetworkError || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE';
      if (err.code === 'ENOSPC' || err.code === 'EACCES' || err.code === 'EROFS' || err.code === 'EEXIST') throw e;
      if (!retryable || attempt >= o.maxRetries) {
        if (retryable) throw new TransferError(`download of 's3://${bucket}/${key}' failed after ${attempt + 1} attempts: ${err.message}`);
        throw e;
      }
      o.onRetry?.(err.message, attempt + 1);
      if (resume) {
        const st = await stat(target).catch(() => undefined);
        o.resumeFrom = st?.size ?? resume;
      }
      await sleep(backoffMs(attempt, { maxRetries: o.maxRetries }));
    }
  }
}

/** Stream an object to a writable (stdout). */
export async function downloadToStream(c: S3Client, bucket: string, key: string, out: Writable): Promise<DownloadResult> {
  const res = await getObjectStream(c, bucket, key);
  const count = { n: 0 };
  const h = createHash('md5');
  await pipeline(res, hashingTap(h, count), out, { end: false });
  const etag = String(res.headers.etag ?? '').replace(/"/g, '');
  return { bytes: count.n, etag, headers: res.headers };
}
