// Hashing off the event loop. MD5 runs at about 0.65 GB/s per core and has no parallel form; on the
// main thread it shares one core with TLS and everything else (the per-process ceiling for big
// objects), and a big file's MD5 stalls every other transfer of a sync meanwhile. Here the digests
// of big files and of big bodies streamed in order (parts being uploaded, ranges being downloaded)
// are computed on worker threads, up to four, started when first needed. Small inputs stay on the
// main thread: a message to a worker costs more than hashing a few KiB.
//
// Two uses:
//  - hashFile: the digest of a file or of a byte range of it, read and hashed by a worker (sync's
//    MD5 comparisons, the whole-file MD5 that s3cmd-attrs carries, the MD5 of a part being sent);
//  - StreamHash: one digest fed in order with buffers (ranged downloads); update() hands a buffer
//    to the worker (moved when the caller gives it up, else copied) and says to wait once the
//    worker is more than a few MiB behind, so memory stays bounded when hashing is slower than the
//    network.
// If a worker cannot be started, everything is hashed on the main thread as before.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';

export type HashAlgo = 'md5' | 'sha1' | 'sha256';
export const isHashAlgo = (a: string): a is HashAlgo => a === 'md5' || a === 'sha1' || a === 'sha256';

/** Inputs at least this big are hashed on a worker thread. */
export const OFF_THREAD_BYTES = 4 * 1024 * 1024;
/** A stream's bytes handed to its worker and not yet hashed: update() waits past this. */
const MAX_BEHIND = 8 * 1024 * 1024;

/**
 * The digest of a file's bytes [start, start + len) (len < 0: to its end), read 1 MiB at a time.
 * It uses nothing but its arguments and globals: the worker runs its source text as well.
 */
function hashFileRange(fs: typeof import('node:fs'), hash: typeof createHash, path: string, algo: string, start: number, len: number): { digest: Buffer; size: number } {
  const fd = fs.openSync(path, 'r');
  try {
    const h = hash(algo);
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, len < 0 ? fs.fstatSync(fd).size : len)));
    let got = 0;
    while (len < 0 || got < len) {
      const n = fs.readSync(fd, buf, 0, len < 0 ? buf.length : Math.min(buf.length, len - got), start + got);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      got += n;
    }
    return { digest: h.digest(), size: got };
  } finally {
    fs.closeSync(fd);
  }
}

// The worker: CommonJS, self-contained (s3k is one bundled file, so it is started from this text).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const hashFileRange = ${hashFileRange.toString()};
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'file') {
    try {
      const r = hashFileRange(fs, createHash, m.path, m.algo, m.start, m.len);
      parentPort.postMessage({ id: m.id, digest: r.digest, got: r.size });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code } });
    }
  } else if (m.op === 'open') streams.set(m.sid, createHash(m.algo));
  else if (m.op === 'update') {
    streams.get(m.sid).update(new Uint8Array(m.ab, m.off, m.len));
    parentPort.postMessage({ back: m.tok, ab: m.ab }, [m.ab]);
  } else if (m.op === 'digest') {
    const h = streams.get(m.sid);
    streams.delete(m.sid);
    parentPort.postMessage({ id: m.id, digest: h.digest() });
  }
});
`;

interface Reply {
  id?: number;
  back?: number;
  ab?: ArrayBuffer;
  digest?: Uint8Array;
  got?: number;
  error?: { message: string; code?: string };
}

class HashThread {
  readonly worker: Worker;
  /** Messages sent whose answer has not come: the worker keeps the process alive meanwhile. */
  busy = 0;
  /** Why the worker is gone, once it is. */
  dead?: Error;
  private waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private backs = new Map<number, { back: (ab: ArrayBuffer) => void; lost: (e: Error) => void }>();
  constructor(onDead: (t: HashThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      if (r.back !== undefined) {
        const f = this.backs.get(r.back);
        this.backs.delete(r.back);
        this.done();
        f?.back(r.ab!);
        return;
      }
      const w = this.waiting.get(r.id!);
      this.waiting.delete(r.id!);
      this.done();
      w?.resolve(r);
    });
    const fail = (e: Error) => {
      if (this.dead) return;
      this.dead = e;
      onDead(this);
      for (const w of this.waiting.values()) w.reject(e);
      for (const b of this.backs.values()) b.lost(e);
      this.waiting.clear();
      this.backs.clear();
      this.busy = 0;
      this.worker.unref();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hashing thread exited (${code})`)));
  }
  private started(): void {
    if (this.busy++ === 0) this.worker.ref();
  }
  private done(): void {
    if (--this.busy === 0) this.worker.unref();
  }
  ask(msg: Record<string, unknown>, id: number): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    this.started();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }
  tell(msg: Record<string, unknown>): void {
    this.worker.postMessage(msg);
  }
  give(msg: Record<string, unknown>, ab: ArrayBuffer, tok: number, back: (ab: ArrayBuffer) => void, lost: (e: Error) => void): void {
    if (this.dead) return lost(this.dead);
    this.started();
    this.backs.set(tok, { back, lost });
    this.worker.postMessage({ ...msg, ab, tok }, [ab]);
  }
}

const threads: HashThread[] = [];
let unavailable = false;
let nextId = 1;
const maxThreads = () => Math.max(1, Math.min(4, availableParallelism() - 1));

/** The least busy hashing thread (starting one while fewer than allowed are busy); undefined: hash here. */
function pick(): HashThread | undefined {
  if (unavailable) return undefined;
  let best = threads.reduce<HashThread | undefined>((a, t) => (!a || t.busy < a.busy ? t : a), undefined);
  if ((!best || best.busy > 0) && threads.length < maxThreads()) {
    try {
      best = new HashThread((dead) => {
        const i = threads.indexOf(dead);
        if (i >= 0) threads.splice(i, 1);
      });
      threads.push(best);
    } catch {
      unavailable = true;
    }
  }
  return best;
}

/**
 * The digest of a file's bytes, and how many there were (fewer than asked if the file is shorter):
 * the whole file, or `range`. Read and hashed on a worker thread when it is big (`size`: the
 * file's size, or the range's length, when known).
 */
export async function hashFile(path: string, algo: HashAlgo, size?: number, range?: { start: number; length: number }): Promise<{ digest: Buffer; size: number }> {
  const start = range?.start ?? 0;
  const len = range?.length ?? -1;
  const t = size !== undefined && size >= OFF_THREAD_BYTES ? pick() : undefined;
  if (!t) return hashFileRange(fs, createHash, path, algo, start, len);
  const r = await t.ask({ op: 'file', path, algo, start, len }, nextId++);
  if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return { digest: Buffer.from(r.digest!), size: r.got! };
}

/**
 * One digest fed in order. Big streams (sizeHint >= OFF_THREAD_BYTES) are hashed on a worker
 * thread; others here.
 */
export class StreamHash {
  private here?: Hash;
  private thread?: HashThread;
  private sid = 0;
  private behind = 0;
  private waiters: (() => void)[] = [];
  private failed?: Error;
  constructor(algo: HashAlgo, sizeHint: number) {
    this.thread = sizeHint >= OFF_THREAD_BYTES ? pick() : undefined;
    if (this.thread) {
      this.sid = nextId++;
      this.thread.tell({ op: 'open', sid: this.sid, algo });
    } else this.here = createHash(algo);
  }

  /**
   * Hash `buf` next. With `giveUp`, the caller hands over the buffer's whole memory (its
   * ArrayBuffer: no other view of it may be used again; `giveUp` gets it back, whole, as a new
   * Buffer once hashed); without, the bytes are copied. Returns a promise while the worker is more
   * than MAX_BEHIND bytes behind: wait for it before handing over more.
   */
  update(buf: Buffer, giveUp?: (b: Buffer) => void): Promise<void> | undefined {
    if (this.here) {
      this.here.update(buf);
      giveUp?.(buf);
      return undefined;
    }
    if (this.failed) throw this.failed;
    const len = buf.length;
    let ab: ArrayBuffer;
    let off = 0;
    if (giveUp && buf.buffer instanceof ArrayBuffer && !isPooled(buf)) {
      ab = buf.buffer;
      off = buf.byteOffset;
    } else {
      ab = new ArrayBuffer(len);
      new Uint8Array(ab).set(buf);
    }
    this.behind += len;
    const release = () => {
      if (this.behind <= MAX_BEHIND || this.failed) for (const w of this.waiters.splice(0)) w();
    };
    this.thread!.give(
      { op: 'update', sid: this.sid, off, len },
      ab,
      nextId++,
      (back) => {
        this.behind -= len;
        if (giveUp) giveUp(Buffer.from(back));
        release();
      },
      (e) => {
        this.failed = e;
        release();
      },
    );
    if (this.behind <= MAX_BEHIND) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async digest(): Promise<Buffer> {
    if (this.here) return this.here.digest();
    if (this.failed) throw this.failed;
    const r = await this.thread!.ask({ op: 'digest', sid: this.sid }, nextId++);
    return Buffer.from(r.digest!);
  }
}

/** Node's small Buffers share one 8 KiB pool: never move those. */
function isPooled(b: Buffer): boolean {
  return b.buffer.byteLength === Buffer.poolSize && b.length < Buffer.poolSize;
}
