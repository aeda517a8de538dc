// The sync engine, one function for every direction (local -> S3, S3 -> local, S3 -> S3), with
// s3cmd's semantics. Both locations are streamed in sorted order and merge-joined; same-content
// checks (size, then MD5) and transfers run in one bounded pool, so the first transfer starts while
// the listings are still being read and memory does not grow with the number of files.
// The transfer is chosen by the pair of locations: upload, download or server-side copy.
// Deletions (--delete-removed) are held until every copy has finished: a sync never deletes
// before the copies it depends on, never a key a failure could explain (the name of a failed
// transfer or of an unreadable file or directory, or anything under it), never more than
// --max-delete, and never everything because the source was empty (without --force).
// Into S3, an entry whose content the destination already holds under another key (a renamed
// file, duplicates in the source, a symlink to an uploaded file) is copied server-side there
// (s3cmd's "remote copy: 'a' -> 'b'"), in a second phase: copies read only keys this sync does
// not overwrite, or keys it uploaded in the first phase (so a copy never reads a key being
// replaced), and deletions come after both phases.
// Nothing here prints: what happens is reported as SyncEvents, and the command prints them.
import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { putObject } from '../s3/ops.ts';
import type { Settings } from '../config/settings.ts';
import { S3Error } from '../s3/errors.ts';
import type { Entry, Location } from '../storage/location.ts';
import { buildAttrs } from '../storage/attrs.ts';
import { mergeJoin, decide, compareRelative, type Pair } from './merge.ts';
import { DeferredList } from './deferred.ts';
import { inShard } from './select.ts';
import { Pool } from '../transfer/pool.ts';
import { TokenBucket } from '../transfer/throttle.ts';
import { Progress } from '../transfer/progress.ts';
import type { Tally } from '../transfer/summary.ts';
import { uploadFile } from '../transfer/upload.ts';
import { downloadToFile } from '../transfer/download.ts';
import { copyRemote } from '../transfer/copy.ts';
import { objectHeaders } from '../transfer/headers.ts';

export type TransferAction = 'upload' | 'download' | 'remote copy' | 'mkdir';

/** Counts over a whole sync command (all its sources): the command's tally. */
export type SyncTotals = Tally;

export type SyncEvent =
  /** A transfer finished; n is its number (in the order started), of the number of transfers decided. */
  | { type: 'transferred'; action: TransferAction; from: string; to: string; bytes: number; seconds: number; n: number; of: number }
  /** --dry-run: this transfer would run. */
  | { type: 'would-transfer'; action: TransferAction; from: string; to: string }
  /** A transfer failed; `name` is the source's path or key. */
  | { type: 'failed'; name: string; error: unknown; action: TransferAction; relative: string; to: string }
  /** A file not uploaded because S3 cannot store its key. */
  | { type: 'key-problem'; path: string; reason: string }
  /** An object not downloaded because its key would write outside `root`. */
  | { type: 'refused'; name: string; problem: string; root: string }
  /** A file or directory that could not be read while listing the local side. */
  | { type: 'local-problem'; side: 'source' | 'destination'; path: string; reason: string; quiet?: boolean }
  /** A symbolic link or special file left out of the local source. */
  | { type: 'skipped'; path: string; why: string }
  | { type: 'retry'; name: string; attempt: number; reason: string }
  /** Same size on both sides: the MD5s compared (undefined: not known, taken as the same). */
  | { type: 'compared'; relative: string; src: { kind: Location['kind']; md5?: string }; dst: { kind: Location['kind']; md5?: string } }
  | { type: 'debug'; message: string | (() => string) }
  /** Something the user may want to know (-v). */
  | { type: 'notice'; message: string }
  /** Deletions not done because failures could explain them (the failed names, or under them). */
  | { type: 'deletions-held'; count: number; failed: number }
  /** Deletions not done: nothing in the source (without --force), or more than --max-delete. */
  | { type: 'deletions-refused'; reason: 'empty-source' | 'max-delete' }
  /** S3 -> S3 only, before the first copy (s3cmd's 'Summary:' line): copies to make, destination-only objects. */
  | { type: 'summary'; copy: number; delete: number }
  | { type: 'would-delete'; name: string }
  | { type: 'deleted'; name: string }
  | { type: 'delete-failed'; name: string; kind: Location['kind']; problem: string };

export interface SyncReporter {
  event(e: SyncEvent): void;
  /** Progress while transfers run, for the terminal's status line or the log's interval lines (undefined: stop). */
  status(progress: Progress | undefined): void;
}

/** Equal content for a pair of the same size: equal ETags, else equal MD5s (an unknown MD5 counts as equal). */
async function sameContent(src: Location, a: Entry, dst: Location, b: Entry, report: SyncReporter): Promise<boolean> {
  if (a.etag && a.etag === b.etag) return true;
  const [x, y] = await Promise.all([src.md5(a), dst.md5(b)]);
  report.event({ type: 'compared', relative: a.relative, src: { kind: src.kind, md5: x }, dst: { kind: dst.kind, md5: y } });
  return x === undefined || y === undefined || x === y;
}

/**
 * The content id of a file or object (its size and MD5) for the maps of new entries, as one flat
 * 24-character string (16 MD5 bytes and the size as 8), not 'size:hex' (a joined string of two
 * parts): a 100,000-file sync holds one per new file.
 */
export function contentId(size: number, md5hex: string): string {
  if (!/^[0-9a-f]{32}$/i.test(md5hex)) return `\u2022${size}:${md5hex}`; // never equal to a packed id (those are Latin-1)
  const b = Buffer.allocUnsafe(24);
  b.write(md5hex, 0, 'hex');
  b.writeDoubleLE(size, 16);
  return b.toString('latin1');
}

/** A Stats-shaped object for buildAttrs from a local entry. */
function statLike(e: Entry): Stats {
  return { uid: e.uid ?? 0, gid: e.gid ?? 0, atimeMs: e.atimeMs ?? 0, mtimeMs: e.mtimeMs ?? 0, ctimeMs: e.ctimeMs ?? 0, mode: e.mode ?? 0o100644 } as Stats;
}


/**
 * Names a failure could explain the absence of: a deletion of one of them, or of anything under
 * one of them, is held. Memory grows with the number of failures only.
 */
class Blocked {
  private names = new Set<string>();
  add(relative: string): void {
    this.names.add(relative.replace(/\/+$/, ''));
  }
  get size(): number {
    return this.names.size;
  }
  holds(relative: string): boolean {
    if (this.names.has('')) return true;
    if (this.names.has(relative)) return true;
    for (let i = relative.indexOf('/'); i >= 0; i = relative.indexOf('/', i + 1)) if (this.names.has(relative.slice(0, i))) return true;
    return false;
  }
}

type Transferred = Extract<SyncEvent, { type: 'transferred' }>;

/**
 * The transfer lines, held until N in [n of N] is known (the listings and comparisons done), as
 * s3cmd knows it before its first transfer. At most 1,000 lines, or 1 second, are held: past that
 * they are printed with the count so far, and later ones as they come.
 */
class NumberedLines {
  private held: Transferred[] | undefined = [];
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly report: SyncReporter,
    private readonly total: () => number,
  ) {}
  emit(e: Transferred): void {
    if (!this.held) return this.report.event(e);
    this.held.push(e);
    if (this.held.length >= 1000) return this.release();
    this.timer ??= setTimeout(() => this.release(), 1000).unref();
  }
  /** The count is final (or waiting is over): print what is held, from now on print at once. */
  release(): void {
    if (this.timer) clearTimeout(this.timer);
    const held = this.held ?? [];
    this.held = undefined;
    for (const e of held) this.report.event({ ...e, of: Math.max(e.n, e.of, this.total()) });
  }
}

/** The MD5 an ETag is, for a plain (not multipart) upload. */
const plainEtagMd5 = (e: Entry) => (e.etag && /^[0-9a-f]{32}$/.test(e.etag) ? e.etag : undefined);

/**
 * Make `dst` hold what `src` holds (s3cmd's sync): new and changed entries are transferred,
 * unchanged ones skipped, and with --delete-removed entries only in `dst` deleted afterwards.
 * Adds to `totals`, which a command running several sources shares between them.
 */
export async function runSync(src: Location, dst: Location, s: Settings, totals: SyncTotals, report: SyncReporter): Promise<void> {
  const action: TransferAction =
    src.kind === 'local' && dst.kind === 's3' ? 'upload' : src.kind === 's3' && dst.kind === 'local' ? 'download' : src.kind === 's3' && dst.kind === 's3' ? 'remote copy' : invalidPair();
  const progress = new Progress();
  const pool = new Pool(s.parallel);
  const limiter = s.limitRate > 0 ? new TokenBucket(s.limitRate) : undefined;
  const deletions = new DeferredList<Entry>();
  const blocked = new Blocked();
  // Remote copies (into S3 only). `stable`: size:MD5 -> key of destination objects this sync does
  // not overwrite (unchanged, or only in the destination). Those objects are noted in a list that
  // spills to a temporary file (`kept`); the map is built after the listings only when new entries
  // wait to be copied, and only from objects of their sizes. A sync with nothing new (the common
  // re-sync) never builds it, so memory does not grow with the destination's size (a map of every
  // object cost about 600 bytes each: peak RSS 68 -> 129 MiB from 10,000 to 100,000 objects).
  const copyInto = dst.kind === 's3' && !s.shard;
  // S3 -> S3 announces its counts before the first copy, as s3cmd does: every transfer waits in
  // `pending` until the listings and comparisons are done
  const announce = action === 'remote copy';
  const deferred = copyInto || announce;
  let dstOnly = 0;
  // with SSE-C, ETags are not MD5s of the data (AWS): never match objects by them. The source of an
  // S3 -> S3 sync is read by copies, with the copy-source key; the destination with the customer key.
  const etagMd5 = (e: Entry) => (s.sseCustomerKey ? undefined : plainEtagMd5(e));
  const srcEtagMd5 = (e: Entry) => ((action === 'remote copy' ? s.sseCopySourceKey : s.sseCustomerKey) ? undefined : plainEtagMd5(e));
  const stable = new Map<string, { key: string; relative: string }>();
  const kept = new DeferredList<[number, string, string, string]>(2_000);
  const stableSizes = new Set<number>();
  // (empty objects are never copied: a copy saves nothing; of several keys, the first by name is used)
  const remember = (e: Entry | undefined) => {
    const m = e && etagMd5(e);
    if (!copyInto || !e || !m || e.size === 0) return;
    kept.push([e.size, m, e.key!, e.relative]);
    stableSizes.add(e.size);
  };
  const buildStable = async () => {
    for await (const [size, m, key, relative] of kept.items()) {
      if (!pendingSizes.has(size)) continue;
      const id = contentId(size, m);
      const had = stable.get(id);
      if (!had || compareRelative(relative, had.relative) < 0) stable.set(id, { key, relative });
    }
  };
  // new entries into S3 wait until the destination is fully listed (a match may be listed later)
  const pending = new DeferredList<Entry>();
  const pendingSizes = new Map<number, number>();
  // N in [n of N] is the number of transfers decided so far: exact once the listings are done,
  // which is usually long before the last transfer finishes.
  let decided = 0;
  let started = 0;
  // copies from the destination's own objects are numbered apart, [k of K], as s3cmd numbers them
  let copiesStarted = 0;
  let copiesTotal = 0;
  const lines = new NumberedLines(report, () => decided);
  let listed = false;
  let comparing = 0;
  const counted = () => {
    if (listed && comparing === 0 && !deferred) lines.release();
  };
  let refused = 0;
  /** One more transfer decided: the progress line's totals grow with it. */
  const decide1 = (e: Entry) => {
    decided++;
    progress.totalFiles = (progress.totalFiles ?? 0) + 1;
    progress.totalBytes = (progress.totalBytes ?? 0) + e.size;
  };
  let stop = false;
  // --shard splits by S3 key: the source's, else the destination's
  const shardKey = (p: Pair) => p.src?.key ?? p.dst?.key ?? (dst.kind === 's3' ? dst.target(p.src!.relative).key! : (p.src ?? p.dst)!.relative);

  /** Transfer one entry to its target; the bytes moved. */
  const transfer = async (e: Entry, to: { path?: string; key?: string }, name: string): Promise<number> => {
    if (e.dir && src.kind === 'local' && dst.kind === 's3') {
      const h = objectHeaders(s, undefined);
      if (s.preserveAttrs) h['x-amz-meta-s3cmd-attrs'] = buildAttrs(statLike(e), undefined) ?? '';
      if (!h['x-amz-meta-s3cmd-attrs']) delete h['x-amz-meta-s3cmd-attrs'];
      await putObject(dst.client, dst.bucket, to.key!, Buffer.alloc(0), h);
      return 0;
    }
    if (e.dir && dst.kind === 'local') {
      await mkdir(to.path!, { recursive: true });
      return 0;
    }
    if (src.kind === 'local' && dst.kind === 's3') {
      const res = await uploadFile(dst.client, e.path!, e.size, dst.bucket, to.key!, objectHeaders(s, e.path), {
        chunkSize: s.multipartChunkBytes,
        enableMultipart: s.enableMultipart,
        partConcurrency: Math.max(1, Math.min(s.parallel, 8)),
        limiter,
        onBytes: (n) => progress.addBytes(n),
        attrs: s.preserveAttrs ? (md5) => buildAttrs(statLike(e), md5) : undefined,
        debug: (m) => report.event({ type: 'debug', message: m }),
      });
      return res.bytes;
    }
    if (src.kind === 's3' && dst.kind === 'local') {
      const res = await downloadToFile(src.client, src.bucket, e.key!, to.path!, {
        preserve: s.preserveAttrs ? 'attrs' : 'lastmod',
        size: e.size,
        etag: e.etag,
        continuePartial: true,
        rangeConcurrency: Math.max(1, Math.min(s.parallel, 4)),
        limiter,
        onBytes: (n) => progress.addBytes(n),
        onRetry: (reason, attempt) => report.event({ type: 'retry', name, attempt, reason }),
        onVerify: (verified, text) => report.event({ type: 'notice', message: verified ? `verified '${name}': ${text}` : `not verified '${name}': ${text}` }),
        partSizeHints: [s.multipartChunkBytes],
      });
      return res.bytes;
    }
    if (src.kind === 's3' && dst.kind === 's3') {
      await copyRemote(src.client, { bucket: src.bucket, key: e.key!, size: e.size }, { bucket: dst.bucket, key: to.key! }, { partSize: s.multipartChunkBytes, concurrency: Math.min(s.parallel, 8), onBytes: (n) => progress.addBytes(n) });
      return e.size;
    }
    return invalidPair();
  };

  /** Transfer one entry to its place in `dst` (the source's own kind of transfer). */
  const transferOne = async (e: Entry): Promise<void> => {
    const from = src.name(e);
    const t = dst.target(e.relative);
    if (s.dryRun) {
      report.event({ type: 'would-transfer', action, from, to: t.name });
      return;
    }
    if (t.problem) {
      if (dst.kind === 'local') {
        totals.fail(from, t.problem);
        blocked.add(e.relative);
        report.event({ type: 'refused', name: from, problem: t.problem, root: dst.root });
        return;
      }
      totals.fail(from, t.problem);
      blocked.add(e.relative);
      report.event({ type: 'key-problem', path: from, reason: t.problem });
      if (s.stopOnError) stop = true;
      return;
    }
    // a directory that is already there: nothing to do
    if (e.dir && dst.kind === 'local' && (await stat(t.path!).catch(() => undefined))?.isDirectory()) return;
    // numbered when it starts, in the order the entries were decided (by name), as s3cmd numbers them
    const n = ++started;
    const t0 = performance.now();
    const bytes = await transfer(e, t, from);
    totals.transferDone(bytes);
    progress.fileDone();
    const mkdirLine = e.dir && dst.kind === 'local';
    lines.emit({ type: 'transferred', action: mkdirLine ? 'mkdir' : action, from, to: mkdirLine ? t.path! + '/' : t.path ?? t.name, bytes, seconds: (performance.now() - t0) / 1000, n, of: Math.max(n, decided) });
  };

  /** A failed transfer: counted and reported; a forbidden or missing bucket, or a full disk, ends the run. */
  const failure = (e: Entry, err: unknown): void => {
    // a forbidden or missing bucket, or a full disk, ends the whole run
    if (err instanceof S3Error && (err.status === 403 || err.code === 'NoSuchBucket')) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw err;
    totals.fail(src.name(e), err);
    blocked.add(e.relative);
    report.event({ type: 'failed', name: (e.path ?? e.key)!, error: err, action, relative: e.relative, to: dst.target(e.relative).name });
    if (s.stopOnError) stop = true;
  };

  /** Copy `e`'s content server-side from `from`, a destination key that holds it and is not being replaced. */
  const copyOne = async (e: Entry, from: { key: string; relative: string }): Promise<void> => {
    const t = dst.target(e.relative);
    if (t.problem || dst.kind !== 's3') return transferOne(e);
    // (s3cmd's S3 -> S3 --dry-run lists only the copies from the source)
    if (s.dryRun) return announce ? undefined : report.event({ type: 'would-transfer', action: 'remote copy', from: from.relative, to: e.relative });
    const n = ++copiesStarted;
    const t0 = performance.now();
    await copyRemote(dst.client, { bucket: dst.bucket, key: from.key, size: e.size }, { bucket: dst.bucket, key: t.key! }, { partSize: s.multipartChunkBytes, concurrency: Math.min(s.parallel, 8), onBytes: (n) => progress.addBytes(n) });
    totals.transferDone(0);
    totals.copiedWithin++;
    progress.fileDone();
    report.event({ type: 'transferred', action: 'remote copy', from: from.relative, to: e.relative, bytes: 0, seconds: (performance.now() - t0) / 1000, n, of: Math.max(n, copiesTotal) });
  };

  /**
   * The new entries held back until the destination was listed. Phase 1 transfers those whose
   * content the destination does not hold (of several with equal content, the first); phase 2, once
   * phase 1 has finished, copies the rest server-side from a key this sync does not overwrite, or
   * from the key phase 1 wrote (when that transfer failed, the entry is transferred instead).
   * A local file is hashed only when an object or another new file has its size.
   */
  const copyPhases = async (): Promise<void> => {
    // content id -> the relative name phase 1 writes it to (its key is dst.target(relative).key).
    // One entry per new file that has a content id: strings only, about 100 bytes each; the ids of
    // phase-1 transfers that failed are kept apart (their number is the failures').
    const planned = new Map<string, string>();
    const failedIds = new Set<string>();
    const copies: { e: Entry; id: string }[] = [];
    const idOf = async (e: Entry): Promise<string | undefined> => {
      if (e.size === 0 || !copyInto) return undefined;
      if (src.kind === 's3') {
        const m = srcEtagMd5(e);
        return m && contentId(e.size, m);
      }
      if (!stableSizes.has(e.size) && (pendingSizes.get(e.size) ?? 0) < 2) return undefined;
      const m = await src.md5(e).catch(() => undefined);
      return m && contentId(e.size, m);
    };
    if (pending.count) await buildStable();
    if (announce) {
      // the same choice as below, counted first (an S3 source's ids are its ETags: nothing is read)
      const seen = new Set<string>();
      let copy = 0;
      for await (const e of pending.items()) {
        const id = await idOf(e);
        if (id && (stable.has(id) || seen.has(id))) continue;
        copy++;
        if (id && !dst.target(e.relative).problem) seen.add(id);
      }
      report.event({ type: 'summary', copy, delete: dstOnly });
      decided = started + copy;
      lines.release();
    }
    for await (const e of pending.items()) {
      if (stop) break;
      const id = await idOf(e);
      if (id && (stable.has(id) || planned.has(id))) {
        copies.push({ e, id });
        if (!announce) decided--;
        copiesTotal++;
        continue;
      }
      const t = dst.target(e.relative);
      const plannedHere = !!id && !t.problem && !planned.has(id);
      if (plannedHere) planned.set(id, e.relative);
      await pool.submit(async () => {
        try {
          await transferOne(e);
        } catch (err) {
          if (plannedHere) failedIds.add(id);
          failure(e, err);
        }
      });
      if (pool.failed) break;
    }
    lines.release();
    await pool.drain();
    for (const { e, id } of copies) {
      if (stop || pool.failed) break;
      await pool.submit(async () => {
        try {
          const kept = stable.get(id);
          const first = planned.get(id);
          if (kept) await copyOne(e, kept);
          // phase 1 wrote this content (every phase-1 transfer has finished by now)
          else if (first !== undefined && (!failedIds.has(id) || s.dryRun)) await copyOne(e, { key: dst.target(first).key!, relative: first });
          else await transferOne(e);
        } catch (err) {
          failure(e, err);
        }
      });
    }
    await pool.drain();
  };

  if (!s.dryRun) report.status(progress);
  try {
    for await (const p of mergeJoin(src.list(), dst.list())) {
      if (stop) break;
      if (s.shard && !inShard(s, shardKey(p))) continue;
      if (!p.src) dstOnly++;
      if (p.src) {
        totals.srcFiles++;
        totals.srcBytes += p.src.size;
      }
      const d = decide(p, { checkMd5: s.checkMd5, skipExisting: s.skipExisting, deleteRemoved: s.deleteRemoved });
      if (d === 'skip') {
        if (p.src) totals.skipped++;
        if (!p.src || p.src.size === p.dst?.size) remember(p.dst);
        continue;
      }
      if (d === 'delete') {
        remember(p.dst);
        deletions.push(p.dst!);
        continue;
      }
      const e = p.src!;
      if (d === 'transfer') decide1(e);
      const defer = (e: Entry) => {
        pending.push(e);
        pendingSizes.set(e.size, (pendingSizes.get(e.size) ?? 0) + 1);
      };
      if (d === 'transfer' && deferred) {
        defer(e);
        continue;
      }
      if (d === 'check-md5') comparing++;
      await pool.submit(async () => {
        try {
          if (d === 'check-md5') {
            let same: boolean;
            try {
              same = await sameContent(src, e, dst, p.dst!, report);
              if (!same) decide1(e);
            } finally {
              comparing--;
              counted();
            }
            if (same) {
              totals.skipped++;
              return remember(p.dst);
            }
            if (announce) return defer(e);
          }
          await transferOne(e);
        } catch (err) {
          failure(e, err);
        }
      });
      if (pool.failed) break;
    }
    listed = true;
    counted();
    await pool.drain();
    if (deferred) await copyPhases();
  } finally {
    lines.release();
    report.status(undefined);
    pending.dispose();
    kept.dispose();
  }
  for (const l of [src, dst])
    if (l.kind === 'local') {
      for (const p of l.problemList) totals.fail(p.path, p.reason);
      for (const n of l.problemNames) blocked.add(n);
    }
  if (s.cacheFile && src.kind === 'local' && src.cache && !s.dryRun) {
    try {
      src.cache.save();
    } catch (e) {
      report.event({ type: 'notice', message: `cannot write the cache file '${s.cacheFile}': ${(e as Error).message}` });
    }
  }
  await runDeletions(dst, deletions, blocked, s, totals, report);
}

/** Deletions after the copies: none that a failure could explain, and within --max-delete. */
async function runDeletions(dst: Location, deletions: DeferredList<Entry>, blocked: Blocked, s: Settings, totals: SyncTotals, report: SyncReporter): Promise<void> {
  const removeBatch = async (batch: Entry[]) => {
    for (const r of await dst.remove(batch)) {
      if (r.problem !== undefined) {
        totals.fail(dst.name(r.entry), r.problem || 'delete failed');
        report.event({ type: 'delete-failed', name: dst.name(r.entry), kind: dst.kind, problem: r.problem });
        continue;
      }
      totals.deleted++;
      totals.deletedBytes += r.entry.size;
      report.event({ type: 'deleted', name: dst.name(r.entry) });
    }
  };
  try {
    if (!deletions.count) return;
    if (totals.srcFiles === 0 && !s.force) return report.event({ type: 'deletions-refused', reason: 'empty-source' });
    if (s.maxDelete > 0 && deletions.count > s.maxDelete) return report.event({ type: 'deletions-refused', reason: 'max-delete' });
    let batch: Entry[] = [];
    let held = 0;
    for await (const e of deletions.items()) {
      if (blocked.size && blocked.holds(e.relative)) {
        held++;
        continue;
      }
      if (s.dryRun) {
        report.event({ type: 'would-delete', name: dst.name(e) });
        continue;
      }
      batch.push(e);
      if (batch.length >= 1000) {
        await removeBatch(batch);
        batch = [];
      }
    }
    if (batch.length) await removeBatch(batch);
    if (held) report.event({ type: 'deletions-held', count: held, failed: blocked.size });
  } finally {
    deletions.dispose();
  }
}

function invalidPair(): never {
  throw new Error('sync between two local directories is not supported');
}
