// Downloads: written to a temporary name beside the target and renamed when complete, so a
// complete file is never replaced by a partial one. Large objects are fetched as parallel ranged
// GETs written in place; every download is hashed in order and checked against the object's MD5
// (its ETag, or the md5 in s3cmd-attrs for multipart objects).
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync, renameSync, unlinkSync, chmodSync, utimesSync } from 'node:fs';
import { open, rename, unlink, stat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { S3Client } from '../s3/client.ts';
import { getObjectRequest, getObjectStream } from '../s3/ops.ts';
import { TransferError } from '../s3/errors.ts';
import { NetworkError } from '../net/http.ts';
import { IntegrityError } from '../net/retry.ts';
import { parseAttrs, attrsMd5, isMd5Hex } from '../storage/attrs.ts';
import { isCustomerEncrypted } from '../s3/sse-c.ts';
import { Pool } from './pool.ts';
import { throttled, type TokenBucket } from './throttle.ts';

export interface DownloadResult {
  bytes: number;
  lastModified?: Date;
  etag: string;
  headers: Record<string, string | string[] | undefined>;
}

export type PreserveMode = 'attrs' | 'lastmod' | 'none';

// Every GET below is one logical request inside one retry budget (the client's --max-retries): the
// body is read, counted and checked inside the attempt, so a body that breaks mid-read or arrives
// corrupt is retried within that budget. Nothing here loops on top of the client.
export interface DownloadOptions {
  /** Append to the existing target file from this offset (s3cmd's --continue on a partial target). */
  resumeFrom?: number;
  /** --continue: pick up a hidden partial download left by an interrupted run (same ETag and size). */
  continuePartial?: boolean;
  /** ETag from the listing, to make sure a partial belongs to the same object version. */
  etag?: string;
  /** 'attrs': mtime and mode from s3cmd-attrs (sync --preserve); 'lastmod': mtime = Last-Modified (get). */
  preserve: PreserveMode;
  /** Object size when known (listing or HEAD): enables parallel ranged GETs for large objects. */
  size?: number;
  /** Parallel ranges per object. */
  rangeConcurrency?: number;
  rangeSize?: number;
  limiter?: TokenBucket;
  /** Hear about each retry of a GET (instead of the client's generic message). */
  onRetry?: (reason: string, attempt: number) => void;
  onBytes?: (n: number) => void;
}

const header = (h: IncomingMessage['headers'], k: string) => {
  const v = h[k];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

/** The MD5 a download must match, if the object says what it is. */
export function expectedMd5(h: IncomingMessage['headers']): string | undefined {
  const etag = header(h, 'etag').replace(/"/g, '');
  // SSE-KMS and SSE-C: the ETag is not the MD5 of the data (on AWS); s3cmd-attrs may say what it is
  if (isMd5Hex(etag) && !header(h, 'x-amz-server-side-encryption').startsWith('aws:kms') && !isCustomerEncrypted(h)) return etag;
  return attrsMd5(header(h, 'x-amz-meta-s3cmd-attrs'));
}

/** Hidden partial download beside the target, and its state file (which ranges are done). */
export function partialNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.s3k-partial`);
}

interface PartialState {
  etag: string;
  size: number;
  rangeSize: number;
  done: number[];
}

async function readState(path: string): Promise<PartialState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PartialState;
  } catch {
    return undefined;
  }
}

function tap(h: ReturnType<typeof createHash> | undefined, count: { n: number }, onBytes?: (n: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h?.update(chunk);
      count.n += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

async function applyAttrs(target: string, h: IncomingMessage['headers'], mode: PreserveMode): Promise<void> {
  if (mode === 'none') return;
  const attrs = mode === 'attrs' ? parseAttrs(header(h, 'x-amz-meta-s3cmd-attrs')) : {};
  let mtime: Date | undefined;
  if (attrs.mtime && /^\d+$/.test(attrs.mtime)) mtime = new Date(Number(attrs.mtime) * 1000);
  else if (h['last-modified']) mtime = new Date(header(h, 'last-modified'));
  // Synchronous: two metadata calls cost less than two thread-pool round trips per file.
  try {
    if (attrs.mode && /^\d+$/.test(attrs.mode)) chmodSync(target, Number(attrs.mode) & 0o7777);
    if (mtime && !Number.isNaN(mtime.getTime())) {
      const atime = attrs.atime && /^\d+$/.test(attrs.atime) ? new Date(Number(attrs.atime) * 1000) : mtime;
      utimesSync(target, atime, mtime);
    }
  } catch {
    /* attributes are best effort, as in s3cmd */
  }
}

const md5Mismatch = (bucket: string, key: string, got: string, expected: string) =>
  new IntegrityError(`MD5 mismatch for 's3://${bucket}/${key}': got ${got}, expected ${expected}`);

/** Download to `target` via a temp file + rename (or append in place for --continue). */
const madeDirs = new Set<string>();
async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

const SMALL_OBJECT = 1024 * 1024;

/** Small objects: one buffered GET, checked, written in one call and renamed (no streams, no state file). */
async function smallDownload(c: S3Client, bucket: string, key: string, target: string, o: DownloadOptions): Promise<DownloadResult> {
  const partial = partialNameFor(target);
  const { buf, headers } = await c.request(
    getObjectRequest(bucket, key),
    async (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      const lim = throttled(o.limiter);
      for await (const ch of (lim ? res.pipe(lim) : res) as AsyncIterable<Buffer>) {
        chunks.push(ch);
        got += ch.length;
        o.onBytes?.(ch.length);
      }
      const len = Number(res.headers['content-length'] ?? got);
      if (got !== len) throw new NetworkError(`short read: got ${got} of ${len} bytes`, 'ECONNRESET', '');
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, got);
      const expected = expectedMd5(res.headers);
      if (expected) {
        const md5 = createHash('md5').update(body).digest('hex');
        if (md5 !== expected) throw md5Mismatch(bucket, key, md5, expected);
      }
      return { buf: body, headers: res.headers };
    },
    { onRetry: o.onRetry },
  );
  try {
    writeFileSync(partial, buf, { mode: 0o644 });
    renameSync(partial, target);
  } catch (e) {
    try {
      unlinkSync(partial);
    } catch {
      /* not created */
    }
    throw e;
  }
  await applyAttrs(target, headers, o.preserve);
  const lm = headers['last-modified'] ? new Date(header(headers, 'last-modified')) : undefined;
  return { bytes: buf.length, lastModified: lm, etag: header(headers, 'etag').replace(/"/g, ''), headers };
}

export async function downloadToFile(c: S3Client, bucket: string, key: string, target: string, o: DownloadOptions): Promise<DownloadResult> {
  await ensureDir(dirname(target));
  if (!o.resumeFrom && o.size !== undefined && o.size <= SMALL_OBJECT) return smallDownload(c, bucket, key, target, o);
  const rangeSize = o.rangeSize ?? 8 * 1024 * 1024;
  if (!o.resumeFrom && o.size !== undefined && o.size >= 4 * rangeSize && (o.rangeConcurrency ?? 1) > 1) return rangedDownload(c, bucket, key, target, o.size, rangeSize, o);
  const partial = partialNameFor(target);
  const statePath = partial + '.json';
  // --continue after an interrupted run: append to the hidden partial if it is for this object.
  let fromPartial = 0;
  if (!o.resumeFrom && o.continuePartial && o.etag && o.size !== undefined) {
    const st = await readState(statePath);
    const pst = await stat(partial).catch(() => undefined);
    if (st && pst && st.etag === o.etag && st.size === o.size && st.rangeSize === 0 && pst.size <= o.size) fromPartial = pst.size;
  }
  const inPlace = !!(o.resumeFrom && o.resumeFrom > 0);
  const file = inPlace ? target : partial;
  // Where the next attempt starts: a retry picks up after the bytes already written (when the ETag
  // pins the object version), or starts over after a corrupt body (a bad byte may be anywhere).
  let startOver = false;
  /** The last attempt failed while the body was being written (not before the answer came). */
  let bodyFailed = false;
  let offset = 0;
  let fetched: { headers: IncomingMessage['headers']; n: number };
  try {
    fetched = await c.request(
      async (attempt) => {
        if (inPlace) {
          if (attempt > 0) o.resumeFrom = (await stat(target).catch(() => undefined))?.size ?? o.resumeFrom;
          offset = o.resumeFrom!;
        } else if (attempt === 0) offset = fromPartial;
        else if (startOver || !o.etag) {
          offset = 0;
          await unlink(partial).catch(() => undefined);
        } else offset = (await stat(partial).catch(() => undefined))?.size ?? 0;
        startOver = false;
        bodyFailed = false;
        return getObjectRequest(bucket, key, offset ? { start: offset } : undefined);
      },
      async (res) => {
        try {
          const expected = offset ? undefined : expectedMd5(res.headers);
          const h = expected ? createHash('md5') : undefined;
          const count = { n: 0 };
          if (!inPlace && !offset && o.etag && o.size !== undefined) await writeFile(statePath, JSON.stringify({ etag: o.etag, size: o.size, rangeSize: 0, done: [] }), { mode: 0o600 });
          const out = createWriteStream(file, offset ? { flags: 'a' } : { flags: 'w', mode: 0o644 });
          const lim = throttled(o.limiter);
          if (lim) await pipeline(res, lim, tap(h, count, o.onBytes), out);
          else await pipeline(res, tap(h, count, o.onBytes), out);
          const len = Number(res.headers['content-length'] ?? count.n);
          if (count.n !== len) throw new NetworkError(`short read: got ${count.n} of ${len} bytes`, 'ECONNRESET', '');
          if (h && expected) {
            const md5 = h.digest('hex');
            if (md5 !== expected) throw md5Mismatch(bucket, key, md5, expected);
          } else if (offset && !inPlace) {
            // Resumed: check the whole file now.
            const exp = expectedMd5(res.headers);
            const md5 = exp ? await md5Of(partial) : undefined;
            if (exp && md5 !== exp) throw new IntegrityError(`MD5 mismatch for 's3://${bucket}/${key}' after resuming`);
          }
          return { headers: res.headers, n: count.n };
        } catch (e) {
          bodyFailed = true;
          if (e instanceof IntegrityError) startOver = true;
          throw e;
        }
      },
      { onRetry: o.onRetry },
    );
  } catch (e) {
    // Given up while writing the body: leave no partial behind. A request that failed before any
    // answer (server down, 503s) keeps what an earlier run left for --continue.
    if (!inPlace && bodyFailed) {
      await unlink(partial).catch(() => undefined);
      await unlink(statePath).catch(() => undefined);
    }
    throw e;
  }
  if (!inPlace) {
    await rename(partial, target);
    await unlink(statePath).catch(() => undefined);
  }
  await applyAttrs(target, fetched.headers, o.preserve);
  const lm = fetched.headers['last-modified'] ? new Date(header(fetched.headers, 'last-modified')) : undefined;
  return { bytes: offset + fetched.n, lastModified: lm, etag: header(fetched.headers, 'etag').replace(/"/g, ''), headers: fetched.headers };
}

async function md5Of(path: string): Promise<string> {
  const h = createHash('md5');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let off = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, off);
      if (!bytesRead) break;
      h.update(buf.subarray(0, bytesRead));
      off += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/**
 * Parallel ranged GETs, each written straight into the temp file at its offset (memory stays at a
 * few socket buffers per range). Completed ranges are read back in order and hashed, so the whole
 * object is still checked against its MD5.
 */
async function rangedDownload(c: S3Client, bucket: string, key: string, target: string, size: number, rangeSize: number, o: DownloadOptions): Promise<DownloadResult> {
  const tmp = partialNameFor(target);
  const statePath = tmp + '.json';
  const nParts = Math.ceil(size / rangeSize);
  let state: PartialState = { etag: o.etag ?? '', size, rangeSize, done: [] };
  const prev = o.continuePartial && o.etag ? await readState(statePath) : undefined;
  const prevSt = prev ? await stat(tmp).catch(() => undefined) : undefined;
  const resuming = !!(prev && prevSt && prev.etag === o.etag && prev.size === size && prev.rangeSize === rangeSize);
  if (resuming) state = prev!;
  const fh = await open(tmp, resuming ? 'r+' : 'w+', 0o644);
  if (o.etag) await writeFile(statePath, JSON.stringify(state), { mode: 0o600 });
  const alreadyDone = new Set(state.done);
  let saving: Promise<void> = Promise.resolve();
  const saveState = () => {
    if (!o.etag) return;
    const snapshot = JSON.stringify(state);
    // write-then-rename: a kill in the middle never leaves a half-written state file
    saving = saving.then(async () => {
      await writeFile(statePath + '.tmp', snapshot, { mode: 0o600 });
      await rename(statePath + '.tmp', statePath);
    }).catch(() => undefined);
  };
  const conc = Math.max(1, o.rangeConcurrency ?? 4);
  const hasher = createHash('md5');
  const done = new Set<number>();
  let nextToHash = 0;
  let hashing: Promise<void> = Promise.resolve();
  const readBuf = Buffer.allocUnsafe(1024 * 1024);
  let headers: IncomingMessage['headers'] | undefined;
  let etagSeen: string | undefined;
  const hashReady = () => {
    hashing = hashing.then(async () => {
      while (done.has(nextToHash)) {
        const start = nextToHash * rangeSize;
        const end = Math.min(size, start + rangeSize);
        for (let off = start; off < end; ) {
          const { bytesRead } = await fh.read(readBuf, 0, Math.min(readBuf.length, end - off), off);
          if (bytesRead === 0) throw new TransferError('temporary file shorter than written');
          hasher.update(readBuf.subarray(0, bytesRead));
          off += bytesRead;
        }
        done.delete(nextToHash);
        nextToHash++;
      }
    });
    hashing.catch(() => undefined); // awaited below; mark handled meanwhile
  };
  const pool = new Pool(conc);
  try {
    for (let i = 0; i < nParts; i++) {
      const start = i * rangeSize;
      const len = Math.min(rangeSize, size - start);
      if (alreadyDone.has(i)) {
        o.onBytes?.(len);
        done.add(i);
        hashReady();
        continue;
      }
      await pool.submit(async () => {
        // One ranged GET is one logical request with its own budget; the range is written again
        // from its start on a retry.
        await c.request(
          getObjectRequest(bucket, key, { start, end: start + len - 1 }),
          async (res) => {
            const etag = header(res.headers, 'etag');
            if (etagSeen && etag && etag !== etagSeen) throw new TransferError(`object 's3://${bucket}/${key}' changed during the download`);
            etagSeen ??= etag;
            headers ??= res.headers;
            let got = 0;
            const lim = throttled(o.limiter);
            const src = lim ? res.pipe(lim) : res;
            // Socket chunks are small (~64 KiB): gather them into 1 MiB writes.
            const batch = Buffer.allocUnsafe(Math.min(len, 1024 * 1024));
            let fill = 0;
            const flush = async () => {
              let off = 0;
              while (off < fill) {
                const { bytesWritten } = await fh.write(batch, off, fill - off, start + got - fill + off);
                off += bytesWritten;
              }
              fill = 0;
            };
            for await (const ch of src as AsyncIterable<Buffer>) {
              if (got + ch.length > len) throw new NetworkError(`long read: more than ${len} bytes`, 'ECONNRESET', '');
              let used = 0;
              while (used < ch.length) {
                const n = Math.min(ch.length - used, batch.length - fill);
                ch.copy(batch, fill, used, used + n);
                fill += n;
                used += n;
                got += n;
                if (fill === batch.length) await flush();
              }
              o.onBytes?.(ch.length);
            }
            await flush();
            if (got !== len) throw new NetworkError(`short read: got ${got} of ${len} bytes`, 'ECONNRESET', '');
          },
          { onRetry: o.onRetry },
        );
        done.add(i);
        state.done.push(i);
        saveState();
        hashReady();
      });
      if (pool.failed) break;
    }
    await pool.drain();
    await hashing;
  } catch (e) {
    await hashing.catch(() => undefined);
    await saving;
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    await unlink(statePath).catch(() => undefined);
    throw e;
  }
  await saving;
  await fh.close();
  if (!headers) {
    // Every range came from an earlier run: ask for the headers (MD5, attrs) once.
    const res = await getObjectStream(c, bucket, key, { start: 0, end: 0 });
    headers = res.headers;
    res.resume();
  }
  const expected = expectedMd5(headers);
  if (expected) {
    const md5 = hasher.digest('hex');
    if (md5 !== expected) {
      await unlink(tmp).catch(() => undefined);
      await unlink(statePath).catch(() => undefined);
      throw new TransferError(`MD5 mismatch for 's3://${bucket}/${key}': got ${md5}, expected ${expected}`);
    }
  }
  await rename(tmp, target);
  await unlink(statePath).catch(() => undefined);
  if (headers) await applyAttrs(target, headers, o.preserve);
  return { bytes: size, etag: (etagSeen ?? '').replace(/"/g, ''), headers: headers ?? {}, lastModified: headers?.['last-modified'] ? new Date(header(headers, 'last-modified')) : undefined };
}

/** Stream an object to a writable (stdout), checking its MD5 when known. */
export async function downloadToStream(c: S3Client, bucket: string, key: string, out: Writable): Promise<DownloadResult> {
  const res = await getObjectStream(c, bucket, key);
  const count = { n: 0 };
  const expected = expectedMd5(res.headers);
  const h = expected ? createHash('md5') : undefined;
  await pipeline(res, tap(h, count), out, { end: false });
  if (h && expected && h.digest('hex') !== expected) throw new TransferError(`MD5 mismatch for 's3://${bucket}/${key}' (the bytes already written to stdout are corrupt)`);
  return { bytes: count.n, etag: header(res.headers, 'etag').replace(/"/g, ''), headers: res.headers };
}
