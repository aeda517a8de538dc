// Downloads: written to a temporary name beside the target and renamed when complete, so a
// complete file is never replaced by a partial one. Large objects are fetched as parallel ranged
// GETs written in place. Every download is checked while it streams against what the object says
// it is (verify.ts: its MD5 ETag, a full-object checksum, s3cmd's or rclone's MD5 in the metadata,
// or the composite ETag/checksum of a multipart upload); when the upload's part size is known the
// ranges follow its parts, so each range's digest is a part digest and nothing is read back.
import { writeSync, closeSync, renameSync, unlinkSync, chmodSync, utimesSync, open as openCb } from 'node:fs';
import { open, rename, unlink, stat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { S3Client } from '../s3/client.ts';
import { getObjectRequest, getWholeObjectRequest, getObjectStream, headObjectHeaders } from '../s3/ops.ts';
import { TransferError } from '../s3/errors.ts';
import { NetworkError } from '../net/http.ts';
import { IntegrityError } from '../net/retry.ts';
import { parseAttrs } from '../storage/attrs.ts';
import { newDigest, type Digest } from './checksums.ts';
import { planFromHeaders, resolvePlan, judgeComposite, wholeOutcome, StreamVerifier, verifyBuffer, type Outcome, type ResolvedPlan } from './verify.ts';
import { StreamHash, isHashAlgo } from '../storage/hashing.ts';
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
  /** Hear how the download was checked (verified: true) or why it could not be (false), for -v. */
  onVerify?: (verified: boolean, text: string) => void;
  /** Part sizes to try first when a multipart ETag's part size must be guessed (s3k's own chunk size). */
  partSizeHints?: number[];
}

const header = (h: IncomingMessage['headers'], k: string) => {
  const v = h[k];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

/** Servers seen to ignore partNumber on HEAD (Ceph RGW 16): asked once per run, then guessed. */
const partNumberIgnored = new WeakMap<S3Client, string>();

/** The upload's part size from HEAD ?partNumber=1 (x-amz-mp-parts-count and part 1's length), if the server says. */
async function probePartSize(c: S3Client, bucket: string, key: string, size: number, parts: number): Promise<{ partSize?: number; note?: string }> {
  const ignored = partNumberIgnored.get(c);
  if (ignored) return { note: ignored };
  try {
    const h = await headObjectHeaders(c, bucket, key, 1);
    const count = Number(header(h, 'x-amz-mp-parts-count'));
    const len = Number(header(h, 'content-length'));
    if (count === parts && len > 0 && len < size) return { partSize: len };
    if (!count) {
      const note = 'the server ignores partNumber on HEAD';
      partNumberIgnored.set(c, note);
      return { note };
    }
    return { note: `HEAD ?partNumber=1 answered ${count} parts, part 1 of ${len} bytes` };
  } catch (e) {
    return { note: `HEAD ?partNumber=1 failed: ${(e as Error).message}` };
  }
}

/** The check for this object (verify.ts), with a multipart upload's part size settled. */
async function planFor(c: S3Client, bucket: string, key: string, h: IncomingMessage['headers'], size: number, o: DownloadOptions): Promise<ResolvedPlan> {
  const p = planFromHeaders(h);
  if (p.kind !== 'composite' || p.parts <= 1) return resolvePlan(p, size);
  return resolvePlan(p, size, await probePartSize(c, bucket, key, size, p.parts), o.partSizeHints);
}

/** Tell the caller how it went; a mismatch is returned as the error to throw. */
function judged(bucket: string, key: string, out: Outcome, o: { onVerify?: DownloadOptions['onVerify'] }, note = ''): string | undefined {
  if (out.ok === false) return `${out.what} mismatch for 's3://${bucket}/${key}'${note}: got ${out.got}, expected ${out.expected}`;
  o.onVerify?.(out.ok === true, out.ok === true ? out.how : out.why);
  return undefined;
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

function tap(h: { update(b: Buffer): void } | undefined, count: { n: number }, onBytes?: (n: number) => void) {
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

/** Download to `target` via a temp file + rename (or append in place for --continue). */
const madeDirs = new Set<string>();
async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

const SMALL_OBJECT = 1024 * 1024;
/** Socket chunks are gathered into file writes of this size. */
const BATCH_BYTES = 1024 * 1024;

/** Create (truncate) the temp file on the thread pool; resolves with its descriptor. */
const openForWrite = (path: string) =>
  new Promise<number>((resolve, reject) => openCb(path, 'w', 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));

/**
 * Small objects: one buffered GET, checked, written in one call and renamed (no streams, no state
 * file). Creating a file is the costly step on a busy ext4 (the inode allocator: 0.3-1.3 ms of
 * kernel time each on the lab box), and done synchronously it stalls the event loop, so every
 * other transfer waits: the temp file is created on the thread pool while the GET is in flight,
 * and only the cheap write, close, rename and utimes run on the main thread.
 */
async function smallDownload(c: S3Client, bucket: string, key: string, target: string, o: DownloadOptions): Promise<DownloadResult> {
  const partial = partialNameFor(target);
  const opening = openForWrite(partial);
  opening.catch(() => undefined); // awaited below; a GET failure must not leave it unhandled
  let fetched: { buf: Buffer; headers: IncomingMessage['headers'] };
  try {
    fetched = await c.request(
      getWholeObjectRequest(c, bucket, key),
      async (res) => {
        const chunks: Buffer[] = [];
        let got = 0;
        for await (const ch of limitedBody(res, o.limiter)) {
          chunks.push(ch);
          got += ch.length;
          o.onBytes?.(ch.length);
        }
        const len = Number(res.headers['content-length'] ?? got);
        if (got !== len) throw new NetworkError(`short read: got ${got} of ${len} bytes`, 'ECONNRESET', '');
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, got);
        const bad = judged(bucket, key, verifyBuffer(await planFor(c, bucket, key, res.headers, got, o), body), o);
        if (bad) throw new IntegrityError(bad);
        return { buf: body, headers: res.headers };
      },
      { onRetry: o.onRetry },
    );
  } catch (e) {
    // Nothing is written: remove the empty temp file the open made.
    const fd = await opening.catch(() => undefined);
    if (fd !== undefined) {
      try {
        closeSync(fd);
        unlinkSync(partial);
      } catch {
        /* already gone */
      }
    }
    throw e;
  }
  const { buf, headers } = fetched;
  const fd = await opening;
  try {
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    } finally {
      closeSync(fd);
    }
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
        return getWholeObjectRequest(c, bucket, key, offset ? { start: offset } : undefined);
      },
      async (res) => {
        try {
          const total = offset + Number(res.headers['content-length'] ?? 0);
          const plan = await planFor(c, bucket, key, res.headers, o.size ?? total, o);
          const h = !offset && plan.kind !== 'none' ? new StreamVerifier(plan) : undefined;
          const count = { n: 0 };
          if (!inPlace && !offset && o.etag && o.size !== undefined) await writeFile(statePath, JSON.stringify({ etag: o.etag, size: o.size, rangeSize: 0, done: [] }), { mode: 0o600 });
          await streamToFile(limitedBody(res, o.limiter), file, offset > 0, (ch) => {
            h?.update(ch);
            count.n += ch.length;
            o.onBytes?.(ch.length);
          });
          const len = Number(res.headers['content-length'] ?? count.n);
          if (count.n !== len) throw new NetworkError(`short read: got ${count.n} of ${len} bytes`, 'ECONNRESET', '');
          if (!offset) {
            const bad = judged(bucket, key, h ? h.finish() : new StreamVerifier(plan).finish(), o);
            if (bad) throw new IntegrityError(bad);
          } else if (plan.kind === 'none') judged(bucket, key, new StreamVerifier(plan).finish(), o);
          else {
            // Resumed: the earlier bytes came from another run, so the whole file is read back once.
            const bad = judged(bucket, key, await verifyFile(file, plan), o, ' after resuming');
            // a bad partial starts over; the user's own file appended in place is left as it is
            if (bad && inPlace) throw new TransferError(bad);
            if (bad) throw new IntegrityError(bad);
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

/** The body, through the --limit-rate limiter when there is one. */
function limitedBody(res: IncomingMessage, limiter: TokenBucket | undefined): AsyncIterable<Buffer> {
  const t = throttled(limiter);
  return (t ? res.pipe(t) : res) as AsyncIterable<Buffer>;
}

/**
 * Write a body to `file` (created, or appended to), gathering the socket's chunks (8-64 KiB; TLS
 * hands them over a record at a time) into writes of about 1 MiB: one writev per MiB instead of one
 * write per chunk. A 512 MiB body over TLS took 65,000 writes and 2 s of system CPU one chunk at a
 * time; gathered it takes 512.
 */
async function streamToFile(body: AsyncIterable<Buffer>, file: string, append: boolean, onChunk: (ch: Buffer) => void): Promise<void> {
  const fh = await open(file, append ? 'a' : 'w', 0o644);
  const writeAll = async (bufs: Buffer[]) => {
    while (bufs.length) {
      let { bytesWritten } = await fh.writev(bufs);
      // a short write (rare on a regular file): go on from the first byte not written
      while (bufs.length && bytesWritten >= bufs[0].length) bytesWritten -= bufs.shift()!.length;
      if (bytesWritten > 0) bufs[0] = bufs[0].subarray(bytesWritten);
    }
  };
  // One write in flight while the next batch is gathered: waiting for each write before reading
  // on would stall the socket (its buffer is small) and so the sender.
  let writing: Promise<void> = Promise.resolve();
  try {
    let pending: Buffer[] = [];
    let bytes = 0;
    for await (const ch of body) {
      onChunk(ch);
      pending.push(ch);
      bytes += ch.length;
      if (bytes >= BATCH_BYTES || pending.length >= 1000) {
        await writing;
        writing = writeAll(pending);
        writing.catch(() => undefined); // awaited before the next write and at the end
        pending = [];
        bytes = 0;
      }
    }
    await writing;
    await writeAll(pending);
  } finally {
    await writing.catch(() => undefined);
    await fh.close();
  }
}

/** Check a file on disk (read once, in order). */
async function verifyFile(path: string, plan: ResolvedPlan): Promise<Outcome> {
  const v = new StreamVerifier(plan);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let off = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, off);
      if (!bytesRead) break;
      v.update(buf.subarray(0, bytesRead));
      off += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return v.finish();
}

/** The digest of one byte range of an open file (a part fetched by an earlier run). */
async function digestRange(fh: Awaited<ReturnType<typeof open>>, start: number, len: number, d: Digest): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.min(len, 1024 * 1024));
  for (let off = start; off < start + len; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, start + len - off), off);
    if (bytesRead === 0) throw new TransferError('temporary file shorter than written');
    d.update(buf.subarray(0, bytesRead));
    off += bytesRead;
  }
  return d.digest();
}

/** Ranges follow the upload's parts when its part size is settled and no larger than this. */
const MAX_ALIGNED_RANGE = 64 * 1024 * 1024;

/**
 * Parallel ranged GETs, each written straight into the temp file at its offset. One HEAD first
 * says what to check. A composite (multipart) check with a settled part size cuts the ranges at the
 * upload's part boundaries: each range's digest, computed as it streams, is a part digest. A
 * whole-object check is fed in order as the ranges stream (the ranges ahead of the one in line
 * hold their write batches until their turn); only ranges an earlier run left on disk are read
 * back. Nothing is read back otherwise.
 */
async function rangedDownload(c: S3Client, bucket: string, key: string, target: string, size: number, defaultRangeSize: number, o: DownloadOptions): Promise<DownloadResult> {
  const headers = await headObjectHeaders(c, bucket, key);
  const plan = await planFor(c, bucket, key, headers, size, o);
  const partSize = plan.kind === 'composite' && plan.sizes.length === 1 ? plan.sizes[0] : 0;
  const aligned = partSize >= 1024 * 1024 && partSize <= MAX_ALIGNED_RANGE;
  const rangeSize = aligned ? partSize : defaultRangeSize;
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
  // aligned: one digest per range (= per part); otherwise the ranges read back in order
  const partDigests: Buffer[] = [];
  // a whole-object MD5/SHA is hashed on a worker thread (storage/hashing.ts): the write batches are
  // handed over and come back to be reused; other checks (CRCs, guessed part sizes) run here
  const offThread = !aligned && plan.kind === 'whole' && isHashAlgo(plan.algo) ? new StreamHash(plan.algo, size) : undefined;
  const inline = !aligned && plan.kind !== 'none' && !offThread ? new StreamVerifier(plan) : undefined;
  /** Hashing is behind: wait for this before handing over more (bounded memory). */
  let hashBehind: Promise<void> | undefined;
  /** Hash `b` next; true when `b` was handed over (it comes back through recycle()). */
  const hashNext = (b: Buffer, handOver: boolean): boolean => {
    if (inline) {
      inline.update(b);
      return false;
    }
    hashBehind = offThread!.update(b, handOver ? recycle : undefined) ?? hashBehind;
    return handOver;
  };
  const verifier = inline ?? offThread;
  const done = new Set<number>();
  let nextToHash = 0;
  let hashing: Promise<void> = Promise.resolve();
  const readBuf = Buffer.allocUnsafe(1024 * 1024);
  let etagSeen: string | undefined = header(headers, 'etag') || undefined;
  // Not aligned: the whole object is verified in order while it streams. The range next in line
  // feeds the verifier as its 1 MiB write batches complete; ranges after it keep their batches
  // until their turn (at most the ranges in flight, about 3 x 8 MiB); only ranges an earlier run
  // left on disk (--continue) are read back. Reading every range back cost a second copy of every
  // byte (512 MiB: pread64 calls 514 -> 2, client CPU 2.3-2.6 -> 2.1-2.2 s). A range fetched again
  // after a broken body skips the bytes already fed and drops what it held.
  const held = new Map<number, Buffer[]>();
  const fedBytes = new Map<number, number>();
  const BATCH = 1024 * 1024;
  const spare: Buffer[] = []; // batches reused once fed (a fresh one each time would leave hundreds to the GC)
  const maxSpare = Math.ceil(rangeSize / BATCH) * conc;
  const recycle = (b: Buffer) => {
    if (b.buffer.byteLength === BATCH && spare.length < maxSpare) spare.push(Buffer.from(b.buffer, 0, BATCH));
  };
  const drainHeld = (k: number) => {
    const hs = held.get(k);
    if (!hs || !verifier) return;
    for (const b of hs) {
      fedBytes.set(k, (fedBytes.get(k) ?? 0) + b.length);
      if (!hashNext(b, true)) recycle(b);
    }
    held.set(k, []);
  };
  /** Bytes [from, from + buf.length) of range k, in order within the range; true when buf is kept (held, or handed to the hashing thread). */
  const feed = (k: number, from: number, buf: Buffer): boolean => {
    if (!verifier) return false;
    const have = k === nextToHash ? (drainHeld(k), fedBytes.get(k) ?? 0) : (fedBytes.get(k) ?? 0) + (held.get(k) ?? []).reduce((a, b) => a + b.length, 0);
    if (from + buf.length <= have) return false;
    const part = from < have ? buf.subarray(have - from) : buf;
    if (k === nextToHash) {
      fedBytes.set(k, have + part.length);
      return hashNext(part, true);
    }
    held.get(k)!.push(part);
    return true;
  };
  const fromDisk = new Set<number>(); // ranges an earlier run wrote: read back to verify them
  const hashReady = () => {
    if (!verifier) return;
    hashing = hashing.then(async () => {
      while (done.has(nextToHash)) {
        const k = nextToHash;
        if (fromDisk.has(k)) {
          const start = k * rangeSize;
          const end = Math.min(size, start + rangeSize);
          for (let off = start; off < end; ) {
            const { bytesRead } = await fh.read(readBuf, 0, Math.min(readBuf.length, end - off), off);
            if (bytesRead === 0) throw new TransferError('temporary file shorter than written');
            hashNext(readBuf.subarray(0, bytesRead), false);
            await hashBehind;
            off += bytesRead;
          }
        } else drainHeld(k);
        done.delete(k);
        held.delete(k);
        fedBytes.delete(k);
        nextToHash++;
      }
      // the range now in line may be streaming: what it holds so far is fed now, the rest as it comes
      drainHeld(nextToHash);
    });
    hashing.catch(() => undefined); // awaited below; mark handled meanwhile
  };
  const newPartDigest = () => (aligned && plan.kind === 'composite' ? newDigest(plan.algo) : undefined);
  const pool = new Pool(conc);
  try {
    for (let i = 0; i < nParts; i++) {
      const start = i * rangeSize;
      const len = Math.min(rangeSize, size - start);
      if (alreadyDone.has(i)) {
        o.onBytes?.(len);
        // a part fetched by an earlier run: its digest comes from the file
        const d = newPartDigest();
        if (d) partDigests[i] = await digestRange(fh, start, len, d);
        fromDisk.add(i);
        done.add(i);
        hashReady();
        continue;
      }
      held.set(i, []);
      await pool.submit(async () => {
        // One ranged GET is one logical request with its own budget; the range is written again
        // from its start on a retry.
        await c.request(
          getObjectRequest(bucket, key, { start, end: start + len - 1 }),
          async (res) => {
            const etag = header(res.headers, 'etag');
            if (etagSeen && etag && etag !== etagSeen) throw new TransferError(`object 's3://${bucket}/${key}' changed during the download`);
            etagSeen ??= etag;
            const d = newPartDigest();
            let got = 0;
            const src = limitedBody(res, o.limiter);
            // Socket chunks are small (~64 KiB): gather them into 1 MiB writes.
            // a new attempt takes the range again from its first byte: what it held is dropped
            if (i !== nextToHash) held.set(i, []);
            const newBatch = () => (len >= BATCH && spare.length ? spare.pop()! : Buffer.allocUnsafeSlow(Math.min(len, BATCH)));
            let batch = newBatch();
            let fill = 0;
            const flush = async () => {
              const full = batch.subarray(0, fill);
              const at = got - fill;
              let off = 0;
              while (off < fill) {
                const { bytesWritten } = await fh.write(full, off, fill - off, start + at + off);
                off += bytesWritten;
              }
              // fed now if this range is next in line, else held until it is (then reused)
              if (feed(i, at, full)) batch = newBatch();
              fill = 0;
              const behind = hashBehind;
              if (behind) {
                await behind;
                if (hashBehind === behind) hashBehind = undefined;
              }
            };
            for await (const ch of src) {
              if (got + ch.length > len) throw new NetworkError(`long read: more than ${len} bytes`, 'ECONNRESET', '');
              d?.update(ch);
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
            if (d) partDigests[i] = d.digest();
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
    if (verifier && nextToHash !== nParts) throw new TransferError(`internal error: verified ${nextToHash} of ${nParts} ranges of 's3://${bucket}/${key}'`);
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
  const out =
    aligned && plan.kind === 'composite'
      ? judgeComposite(plan, [partDigests])
      : offThread && plan.kind === 'whole'
        ? wholeOutcome(plan, await offThread.digest())
        : inline
          ? inline.finish()
          : new StreamVerifier(plan).finish();
  const bad = judged(bucket, key, out, o);
  if (bad) {
    await unlink(tmp).catch(() => undefined);
    await unlink(statePath).catch(() => undefined);
    throw new TransferError(bad);
  }
  await rename(tmp, target);
  await unlink(statePath).catch(() => undefined);
  await applyAttrs(target, headers, o.preserve);
  return { bytes: size, etag: (etagSeen ?? '').replace(/"/g, ''), headers, lastModified: headers['last-modified'] ? new Date(header(headers, 'last-modified')) : undefined };
}

/** Stream an object to a writable (stdout), checking it as it goes (verify.ts). */
export async function downloadToStream(c: S3Client, bucket: string, key: string, out: Writable, o: Pick<DownloadOptions, 'onVerify' | 'partSizeHints'> = {}): Promise<DownloadResult> {
  const res = await getObjectStream(c, bucket, key);
  const count = { n: 0 };
  const plan = await planFor(c, bucket, key, res.headers, Number(res.headers['content-length'] ?? 0), { preserve: 'none', ...o });
  const v = new StreamVerifier(plan);
  await pipeline(res, tap(v, count), out, { end: false });
  const bad = judged(bucket, key, v.finish(), o);
  if (bad) throw new TransferError(`${bad} (the bytes already written to stdout are corrupt)`);
  return { bytes: count.n, etag: header(res.headers, 'etag').replace(/"/g, ''), headers: res.headers };
}
