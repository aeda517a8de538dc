// sync with s3cmd's semantics in every direction (local -> S3, S3 -> local, S3 -> S3).
// Both sides are streamed in sorted order and merge-joined; comparisons (size, then MD5) and
// transfers run in one bounded pool, so the first transfer starts while the listings are still
// being read and memory does not grow with the number of files. Deletions (--delete-removed) are
// held until every copy has succeeded: a sync never deletes before the copies it depends on.
import { stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { Context } from './context.ts';
import { s3uri, keyProblem } from '../s3/uri.ts';
import { headObject, deleteObjects } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { output, warning, error, info, debug, transferStats, formatSize, setStatus } from '../cli/output.ts';
import { EX, ParameterError, S3kError } from '../cli/exit-codes.ts';
import { walk, errText, md5File, safeJoin } from '../storage/local.ts';
import { parseArg, type S3Url } from '../storage/url.ts';
import { listPages } from '../storage/s3.ts';
import { mergeJoin, decide, type SyncEntry, type Pair } from '../sync/merge.ts';
import { DeferredList } from '../sync/deferred.ts';
import { makeFilter, inShard } from '../sync/select.ts';
import { Pool } from '../transfer/pool.ts';
import { TokenBucket } from '../transfer/throttle.ts';
import { Progress } from '../transfer/progress.ts';
import { uploadFile } from '../transfer/upload.ts';
import { downloadToFile } from '../transfer/download.ts';
import { copyRemote } from '../transfer/copy.ts';
import { buildAttrs, attrsMd5, isMd5Hex } from '../storage/attrs.ts';
import { objectHeaders } from '../transfer/headers.ts';
import { reportBucketError } from './report.ts';

type Direction = 'up' | 'down' | 'copy';

interface Totals {
  srcFiles: number;
  srcBytes: number;
  transferred: number;
  bytes: number;
  deleted: number;
  deletedBytes: number;
  failed: number;
}

export async function cmdSync(ctx: Context, args: string[]): Promise<number> {
  if (args.includes('-')) throw new ParameterError("Stdin or stdout ('-') can't be used for a source or a destination with the sync command.");
  const dstArg = args[args.length - 1];
  const srcArgs = args.slice(0, -1);
  const dst = parseArg(dstArg);
  const srcs = srcArgs.map(parseArg);
  let dir: Direction;
  if (srcs.every((u) => u.type === 'file') && dst.type === 's3') dir = 'up';
  else if (srcs.every((u) => u.type === 's3') && dst.type === 'file') dir = 'down';
  else if (srcs.every((u) => u.type === 's3') && dst.type === 's3') dir = 'copy';
  else throw new ParameterError(`Invalid source/destination: '${args.join("' '")}'`);
  if (dst.type === 's3' && !dst.bucket) throw new ParameterError(`Expecting S3 URI with a bucket name instead of '${dstArg}'`);
  for (const u of srcs) if (u.type === 's3' && !u.bucket) throw new ParameterError(`Expecting S3 URI with a bucket name instead of '${s3uri(u.bucket)}'`);

  const s = ctx.settings;
  const totals: Totals = { srcFiles: 0, srcBytes: 0, transferred: 0, bytes: 0, deleted: 0, deletedBytes: 0, failed: 0 };
  const t0 = performance.now();
  let rc: number = EX.OK;
  for (const src of srcs) {
    let r: number;
    if (dir === 'up') r = await syncUp(ctx, (src as { path: string }).path, dst as S3Url, srcs.length > 1, totals);
    else if (dir === 'down') r = await syncDown(ctx, src as S3Url, (dst as { path: string }).path, totals);
    else r = await syncCopy(ctx, src as S3Url, dst as S3Url, totals);
    if (r !== EX.OK) rc = r;
    if (rc !== EX.OK && s.stopOnError) break;
  }
  if (s.dryRun) {
    warning('Exiting now because of --dry-run');
    return rc;
  }
  const elapsed = Math.max(1.0, (performance.now() - t0) / 1000);
  let out: string;
  if (dir === 'copy') out = `Done. Copied ${totals.transferred} files in ${elapsed.toFixed(1)} seconds, ${(totals.transferred / elapsed).toFixed(2)} files/s.`;
  else {
    const [v, c] = formatSize(totals.bytes / elapsed, true, true);
    out = `Done. ${dir === 'up' ? 'Uploaded' : 'Downloaded'} ${totals.bytes} bytes in ${elapsed.toFixed(1)} seconds, ${v.toFixed(2)} ${c}B/s.`;
  }
  if (s.stats) {
    out += `\nStats: Number of files: ${totals.srcFiles} (${totals.srcBytes} bytes) `;
    if (totals.transferred) out += `\nStats: Number of files transferred: ${totals.transferred} (${totals.bytes} bytes) `;
    if (totals.deleted) out += `\nStats: Number of files deleted: ${totals.deleted} (${totals.deletedBytes} bytes) `;
    for (const l of out.split('\n')) output(l);
  } else if (totals.bytes > 0 || (dir === 'copy' && totals.transferred > 0)) output(out);
  else info(out);
  return rc;
}

/** Remote objects under a prefix as sync entries (relative to the prefix), filtered. */
async function* remoteEntries(ctx: Context, bucket: string, prefix: string, filter: (rel: string) => boolean, exactKey?: { key: string; relative: string }): AsyncGenerator<SyncEntry> {
  try {
    for await (const page of listPages(ctx.s3(), bucket, { prefix: exactKey ? exactKey.key : prefix, recursive: true })) {
      for (const o of page.objects) {
        if (exactKey) {
          if (o.key === exactKey.key && filter(exactKey.relative)) yield { relative: exactKey.relative, size: o.size, key: o.key, etag: o.etag, mtimeMs: o.lastModified.getTime(), storageClass: o.storageClass };
          continue;
        }
        const rel = o.key.slice(prefix.length);
        if (!rel || rel.endsWith('/')) continue;
        if (!filter(rel)) continue;
        yield { relative: rel, size: o.size, key: o.key, etag: o.etag, mtimeMs: o.lastModified.getTime(), storageClass: o.storageClass };
      }
    }
  } catch (e) {
    reportBucketError(e);
    throw e;
  }
}

function localEntry(path: string, relative: string, st: Stats): SyncEntry {
  return { relative, size: st.size, path, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, mode: st.mode, uid: st.uid, gid: st.gid };
}

/** The MD5 S3 knows for an object: a plain ETag, else s3cmd-attrs md5 or rclone's md5chksum (HEAD). */
async function remoteMd5(ctx: Context, bucket: string, e: SyncEntry): Promise<string | undefined> {
  if (isMd5Hex(e.etag)) return e.etag;
  try {
    const h = await headObject(ctx.s3(), bucket, e.key!);
    const md5 = attrsMd5(h.metadata['s3cmd-attrs']);
    if (md5) return md5;
    const rc = h.metadata['md5chksum'];
    if (rc) {
      const hex = Buffer.from(rc, 'base64').toString('hex');
      if (isMd5Hex(hex)) return hex;
    }
  } catch (err) {
    if (!(err instanceof S3Error && err.status === 404)) throw err;
  }
  return undefined;
}

interface Runner {
  progress: Progress;
  pool: Pool;
  limiter?: TokenBucket;
  decided: number;
  started: number;
  label(): string;
}

function runner(ctx: Context): Runner {
  const s = ctx.settings;
  const r: Runner = {
    progress: new Progress(),
    pool: new Pool(s.parallel),
    limiter: s.limitRate > 0 ? new TokenBucket(s.limitRate) : undefined,
    decided: 0,
    started: 0,
    // N is the number of transfers decided so far: exact once the listings are done, which is
    // usually long before the last transfer finishes.
    label: () => {
      const n = ++r.started;
      r.progress.fileDone();
      return `[${n} of ${Math.max(n, r.decided)}]`;
    },
  };
  return r;
}

/** A file whose name cannot be an S3 key (too long, ...): reported, counted as failed, the rest goes on. */
class UploadNotPossibleError extends S3kError {
  constructor(path: string, reason: string) {
    super(`Upload of '${path}' is not possible (Reason: ${reason})`, EX.USAGE);
    this.name = 'UploadNotPossibleError';
  }
}

/** Shared loop: walk the merged pairs, decide, check, transfer in the pool, defer deletions. */
async function runPairs(
  ctx: Context,
  pairs: AsyncIterable<Pair>,
  totals: Totals,
  r: Runner,
  ops: {
    keyOf: (p: Pair) => string;
    sameContent: (p: Pair) => Promise<boolean>;
    transfer: (p: Pair) => Promise<void>;
    dryLine: (p: Pair) => string;
    deletions: DeferredList<SyncEntry>;
  },
): Promise<void> {
  const s = ctx.settings;
  let stop = false;
  if (!s.dryRun) setStatus(() => r.progress.line());
  try {
    for await (const p of pairs) {
      if (stop) break;
      if (!inShard(s, ops.keyOf(p))) continue;
      if (p.src) {
        totals.srcFiles++;
        totals.srcBytes += p.src.size;
      }
      const d = decide(p, { checkMd5: s.checkMd5, skipExisting: s.skipExisting, deleteRemoved: s.deleteRemoved });
      if (d === 'skip') continue;
      if (d === 'delete') {
        ops.deletions.push(p.dst!);
        continue;
      }
      if (d === 'transfer') r.decided++;
      await r.pool.submit(async () => {
        try {
          if (d === 'check-md5') {
            if (await ops.sameContent(p)) return;
            r.decided++;
          }
          if (s.dryRun) {
            output(ops.dryLine(p));
            return;
          }
          await ops.transfer(p);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (e instanceof S3Error && (e.status === 403 || e.code === 'NoSuchBucket')) throw e;
          if (code === 'ENOSPC') throw e;
          totals.failed++;
          if (e instanceof UploadNotPossibleError) error(e.message);
          else error(`${p.src?.path ?? p.src?.key ?? p.dst?.key}: ${e instanceof S3Error ? 'S3 error: ' + e.message : (e as Error).message ? errText(e) : String(e)}`);
          if (s.stopOnError) stop = true;
        }
      });
      if (r.pool.failed) break;
    }
    await r.pool.drain();
  } finally {
    setStatus(undefined);
  }
}

/** Deletions after the copies: only when every copy succeeded and within --max-delete. */
async function runDeletions(ctx: Context, totals: Totals, deletions: DeferredList<SyncEntry>, sourceEmpty: boolean, del: (batch: SyncEntry[]) => Promise<void>, line: (e: SyncEntry) => string): Promise<number> {
  const s = ctx.settings;
  try {
    if (!deletions.count) return EX.OK;
    if (totals.failed) {
      warning(`delete: not deleting ${deletions.count} files because ${totals.failed} transfers failed; re-run sync once they succeed.`);
      return EX.PARTIAL;
    }
    if (sourceEmpty && !s.force) {
      warning('delete: cowardly refusing to delete because no source files were found.  Use --force to override.');
      return EX.OK;
    }
    if (s.maxDelete > 0 && deletions.count > s.maxDelete) {
      warning('delete: maximum requested number of deletes would be exceeded, none performed.');
      return EX.OK;
    }
    let batch: SyncEntry[] = [];
    for await (const e of deletions.items()) {
      if (s.dryRun) {
        output(line(e));
        continue;
      }
      batch.push(e);
      if (batch.length >= 1000) {
        await del(batch);
        batch = [];
      }
    }
    if (batch.length) await del(batch);
    return EX.OK;
  } finally {
    deletions.dispose();
  }
}

async function syncUp(ctx: Context, srcPath: string, dst: S3Url, multipleSources: boolean, totals: Totals): Promise<number> {
  const s = ctx.settings;
  let st: Stats;
  try {
    st = await stat(srcPath);
  } catch {
    throw new ParameterError(`Invalid source: '${srcPath}' is not an existing file or directory`);
  }
  const pathFilter = makeFilter(s, debug);
  // s3cmd matches patterns against the path below the argument, which keeps the directory's own
  // name when the argument has no trailing '/' (sync dir s3://b/ -> 'dir/a.txt')
  const matchBase = st.isDirectory() && !(srcPath.endsWith('/') || basename(srcPath) === '.') ? basename(srcPath) + '/' : '';
  const filter = (rel: string) => pathFilter.keeps(matchBase + rel);
  const destKey = dst.key;
  const destIsDir = destKey === '' || destKey.endsWith('/');
  if (!destIsDir && (st.isDirectory() || multipleSources)) throw new ParameterError("Destination S3 URI must end with '/' (ie must refer to a directory on the remote side).");
  let problems = 0;
  let local: AsyncIterable<SyncEntry>;
  let remote: AsyncIterable<SyncEntry>;
  let dstPrefix: string;
  if (st.isDirectory()) {
    const contents = srcPath.endsWith('/') || basename(srcPath) === '.';
    dstPrefix = destKey + (contents ? '' : basename(srcPath) + '/');
    local = (async function* () {
      for await (const f of walk(srcPath, '', {
        followSymlinks: s.followSymlinks,
        onProblem: (p) => {
          problems++;
          error(`Upload of '${p.path}' is not possible (Reason: ${p.reason})`);
        },
        onSkip: (p, why) => info(`Skipping ${why}: ${p}`),
        pruneDir: pathFilter.prunesDir,
      })) {
        if (filter(f.relative)) yield localEntry(f.path, f.relative, f.stat);
      }
    })();
    remote = remoteEntries(ctx, dst.bucket, dstPrefix, filter);
  } else {
    const rel = basename(srcPath);
    dstPrefix = destIsDir ? destKey : '';
    const key = destIsDir ? destKey + rel : destKey;
    local = (async function* () {
      if (filter(rel)) yield localEntry(srcPath, rel, st);
    })();
    remote = remoteEntries(ctx, dst.bucket, dstPrefix, filter, { key, relative: rel });
  }
  const keyFor = (rel: string) => (st.isDirectory() || destIsDir ? dstPrefix + rel : destKey);
  const c = ctx.s3();
  const r = runner(ctx);
  const deletions = new DeferredList<SyncEntry>();
  await runPairs(ctx, mergeJoin(local, remote), totals, r, {
    keyOf: (p) => (p.dst?.key ?? keyFor(p.src!.relative)),
    sameContent: async (p) => {
      const [a, b] = await Promise.all([md5File(p.src!.path!, p.src!.size), remoteMd5(ctx, dst.bucket, p.dst!)]);
      debug(`MD5 ${p.src!.relative}: local ${a}, remote ${b ?? 'unknown'}`);
      return b === undefined ? true : a === b;
    },
    dryLine: (p) => `upload: '${p.src!.path}' -> '${s3uri(dst.bucket, keyFor(p.src!.relative))}'`,
    transfer: async (p) => {
      const e = p.src!;
      const key = keyFor(e.relative);
      const kp = keyProblem(key);
      if (kp) throw new UploadNotPossibleError(e.path!, kp);
      const t0 = performance.now();
      const headers = objectHeaders(s, e.path);
      const res = await uploadFile(c, e.path!, e.size, dst.bucket, key, headers, {
        chunkSize: s.multipartChunkBytes,
        enableMultipart: s.enableMultipart,
        partConcurrency: Math.max(1, Math.min(s.parallel, 8)),
        limiter: r.limiter,
        onBytes: (n) => r.progress.addBytes(n),
        attrs: s.preserveAttrs ? (md5) => buildAttrs(statLike(e), md5) : undefined,
        debug: (m) => debug(m),
      });
      totals.transferred++;
      totals.bytes += res.bytes;
      output(`upload: '${e.path}' -> '${s3uri(dst.bucket, key)}' ${transferStats(res.bytes, (performance.now() - t0) / 1000)} ${r.label()}`);
    },
    deletions,
  });
  if (problems) totals.failed += problems;
  const drc = await runDeletions(
    ctx,
    totals,
    deletions,
    totals.srcFiles === 0,
    (batch) => deleteRemoteBatch(ctx, dst.bucket, batch, totals),
    (e) => `delete: '${s3uri(dst.bucket, e.key!)}'`,
  );
  return totals.failed ? EX.PARTIAL : drc;
}

/** One DeleteObjects batch on the destination bucket, with s3cmd's delete lines. */
async function deleteRemoteBatch(ctx: Context, bucket: string, batch: SyncEntry[], totals: Totals): Promise<void> {
  const res = await deleteObjects(ctx.s3(), bucket, batch.map((b) => b.key!));
  const bad = new Set(res.errors.map((x) => x.key));
  for (const b of batch) {
    if (bad.has(b.key!)) {
      totals.failed++;
      error(`delete failed: '${s3uri(bucket, b.key!)}'`);
      continue;
    }
    totals.deleted++;
    totals.deletedBytes += b.size;
    output(`delete: '${s3uri(bucket, b.key!)}'`);
  }
}

/** A Stats-shaped object for buildAttrs from a sync entry. */
function statLike(e: SyncEntry): Stats {
  return { uid: e.uid ?? 0, gid: e.gid ?? 0, atimeMs: e.atimeMs ?? 0, mtimeMs: e.mtimeMs ?? 0, ctimeMs: e.ctimeMs ?? 0, mode: e.mode ?? 0o100644 } as Stats;
}

async function syncDown(ctx: Context, src: S3Url, dstPath: string, totals: Totals): Promise<number> {
  const s = ctx.settings;
  const pathFilter = makeFilter(s, debug);
  let matchBase = '';
  const filter = (rel: string) => pathFilter.keeps(matchBase + rel);
  const c = ctx.s3();
  let prefix = src.key;
  let root = dstPath;
  let single: { key: string; relative: string } | undefined;
  if (prefix && !prefix.endsWith('/')) {
    // An exact object is a single-file sync; otherwise the name is a directory-like prefix.
    const h = await headObject(c, src.bucket, prefix).catch((e) => {
      if (e instanceof S3Error && e.status === 404 && e.code !== 'NoSuchBucket') return undefined;
      throw e;
    });
    if (h) {
      const dstSt = await stat(dstPath).catch(() => undefined);
      const rel = basename(prefix);
      if (dstSt?.isDirectory() || dstPath.endsWith('/')) single = { key: prefix, relative: rel };
      else {
        root = join(dstPath, '..');
        single = { key: prefix, relative: basename(dstPath) };
      }
      prefix = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    } else {
      root = join(dstPath, basename(prefix));
      matchBase = basename(prefix) + '/';
      prefix += '/';
    }
  }
  const remote = single ? remoteEntries(ctx, src.bucket, prefix, filter, single) : remoteEntries(ctx, src.bucket, prefix, filter);
  const rootSt = await stat(root).catch(() => undefined);
  if (rootSt && !rootSt.isDirectory()) throw new ParameterError(`Destination '${root}' exists and is not a directory.`);
  let problems = 0;
  const local: AsyncIterable<SyncEntry> = single
    ? (async function* () {
        const p = join(root, single!.relative);
        const st = await stat(p).catch(() => undefined);
        if (st?.isFile()) yield localEntry(p, single!.relative, st);
      })()
    : rootSt
      ? (async function* () {
          for await (const f of walk(root, '', {
            followSymlinks: s.followSymlinks,
            onProblem: (p) => {
              problems++;
              error(`${p.path}: ${p.reason}`);
            },
            pruneDir: pathFilter.prunesDir,
          }))
            if (filter(f.relative)) yield localEntry(f.path, f.relative, f.stat);
        })()
      : (async function* () {})();
  const r = runner(ctx);
  const deletions = new DeferredList<SyncEntry>();
  let refused = 0;
  await runPairs(ctx, mergeJoin(remote, local), totals, r, {
    keyOf: (p) => p.src?.key ?? p.dst!.relative,
    sameContent: async (p) => {
      const [a, b] = await Promise.all([remoteMd5(ctx, src.bucket, p.src!), md5File(p.dst!.path!, p.dst!.size)]);
      return a === undefined ? true : a === b;
    },
    dryLine: (p) => `download: '${s3uri(src.bucket, p.src!.key!)}' -> '${join(root, p.src!.relative)}'`,
    transfer: async (p) => {
      const e = p.src!;
      const j = safeJoin(root, e.relative);
      if (!j.path) {
        refused++;
        error(`Refusing to download '${s3uri(src.bucket, e.key!)}': ${j.problem}, so it would be written outside '${root}'.`);
        return;
      }
      const t0 = performance.now();
      const res = await downloadToFile(c, src.bucket, e.key!, j.path, {
        preserve: s.preserveAttrs ? 'attrs' : 'lastmod',
        size: e.size,
        etag: e.etag,
        continuePartial: true,
        rangeConcurrency: Math.max(1, Math.min(s.parallel, 4)),
        limiter: r.limiter,
        onBytes: (n) => r.progress.addBytes(n),
        onRetry: (why, n) => info(`Retrying download of '${s3uri(src.bucket, e.key!)}' (attempt ${n}): ${why}`),
      });
      totals.transferred++;
      totals.bytes += res.bytes;
      output(`download: '${s3uri(src.bucket, e.key!)}' -> '${j.path}' ${transferStats(res.bytes, (performance.now() - t0) / 1000)} ${r.label()}`);
    },
    deletions,
  });
  totals.failed += problems + refused;
  const drc = await runDeletions(
    ctx,
    totals,
    deletions,
    totals.srcFiles === 0,
    async (batch) => {
      for (const e of batch) {
        try {
          await unlink(e.path!);
          totals.deleted++;
          totals.deletedBytes += e.size;
          output(`delete: '${e.path}'`);
        } catch (err) {
          totals.failed++;
          error(`delete failed: '${e.path}': ${errText(err)}`);
        }
      }
    },
    (e) => `delete: '${e.path}'`,
  );
  return totals.failed ? EX.PARTIAL : drc;
}

async function syncCopy(ctx: Context, src: S3Url, dst: S3Url, totals: Totals): Promise<number> {
  const s = ctx.settings;
  const pathFilter = makeFilter(s, debug);
  let matchBase = '';
  const filter = (rel: string) => pathFilter.keeps(matchBase + rel);
  const c = ctx.s3();
  const destKey = dst.key;
  if (destKey && !destKey.endsWith('/')) throw new ParameterError("Destination S3 URI must end with '/' (ie must refer to a directory on the remote side).");
  let srcPrefix = src.key;
  let dstPrefix = destKey;
  if (srcPrefix && !srcPrefix.endsWith('/')) {
    dstPrefix = destKey + basename(srcPrefix) + '/';
    matchBase = basename(srcPrefix) + '/';
    srcPrefix += '/';
  }
  const r = runner(ctx);
  const deletions = new DeferredList<SyncEntry>();
  await runPairs(ctx, mergeJoin(remoteEntries(ctx, src.bucket, srcPrefix, filter), remoteEntries(ctx, dst.bucket, dstPrefix, filter)), totals, r, {
    keyOf: (p) => p.src?.key ?? p.dst!.key!,
    sameContent: async (p) => {
      if (p.src!.etag && p.src!.etag === p.dst!.etag) return true;
      const [a, b] = await Promise.all([remoteMd5(ctx, src.bucket, p.src!), remoteMd5(ctx, dst.bucket, p.dst!)]);
      return a === undefined || b === undefined ? true : a === b;
    },
    dryLine: (p) => `remote copy: '${s3uri(src.bucket, p.src!.key!)}' -> '${s3uri(dst.bucket, dstPrefix + p.src!.relative)}'`,
    transfer: async (p) => {
      const e = p.src!;
      const key = dstPrefix + e.relative;
      await copyRemote(c, { bucket: src.bucket, key: e.key!, size: e.size }, { bucket: dst.bucket, key }, { partSize: s.multipartChunkBytes, concurrency: Math.min(s.parallel, 8) });
      totals.transferred++;
      totals.bytes += e.size;
      output(`remote copy: '${s3uri(src.bucket, e.key!)}' -> '${s3uri(dst.bucket, key)}'  ${r.label()}`);
    },
    deletions,
  });
  const drc = await runDeletions(
    ctx,
    totals,
    deletions,
    totals.srcFiles === 0,
    (batch) => deleteRemoteBatch(ctx, dst.bucket, batch, totals),
    (e) => `delete: '${s3uri(dst.bucket, e.key!)}'`,
  );
  return totals.failed ? EX.PARTIAL : drc;
}
