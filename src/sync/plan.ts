// From a sync command's source and destination arguments to the two Locations runSync merges, with
// s3cmd's naming rules:
//  - local -> S3: 'dir' syncs as dest/dir/..., 'dir/' (or '.') as its contents; a single file goes
//    to dest/name (dest ending in '/') or to the key given;
//  - S3 -> local: a key naming an object is a single-file sync (into a directory, or to the file
//    name given); any other key without a trailing '/' is a directory-like prefix that syncs as
//    dest/name/...;
//  - S3 -> S3: like a local directory, 's3://b/dir' syncs as dest/dir/..., 's3://b/dir/' as its
//    contents.
// --exclude/--include see each entry's relative name as s3cmd does: with the source's own name in
// front when the argument has no trailing '/' ('sync dir s3://b/' matches 'dir/a.txt').
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Settings } from '../config/settings.ts';
import type { S3Client } from '../s3/client.ts';
import { headObject } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { ParameterError } from '../cli/exit-codes.ts';
import type { S3Url, LocalPath } from '../storage/url.ts';
import { LocalTree, type WalkProblem } from '../storage/local.ts';
import { HashCache } from '../storage/hashcache.ts';
import { S3Tree } from '../storage/s3.ts';
import type { Location } from '../storage/location.ts';
import { makeFilter } from './select.ts';
import type { SyncReporter } from './engine.ts';

export interface PlanContext {
  settings: Settings;
  /** The S3 client (asked for only once the arguments are known to be usable). */
  s3: () => S3Client;
  report: SyncReporter;
  /** More than one source argument: the destination must then be a directory. */
  multipleSources: boolean;
}

const NOT_A_REMOTE_DIR = "Destination S3 URI must end with '/' (ie must refer to a directory on the remote side).";

/** The source and destination Locations of one source argument. */
export async function syncLocations(src: S3Url | LocalPath, dst: S3Url | LocalPath, ctx: PlanContext): Promise<[Location, Location]> {
  if (src.type === 'file' && dst.type === 's3') return uploadPair(src.path, dst, ctx);
  if (src.type === 's3' && dst.type === 'file') return downloadPair(src, dst.path, ctx);
  if (src.type === 's3' && dst.type === 's3') return copyPair(src, dst, ctx);
  throw new ParameterError('sync needs an s3:// source or destination');
}

function filterFor(ctx: PlanContext) {
  return makeFilter(ctx.settings, (m) => ctx.report.event({ type: 'debug', message: m }));
}

async function uploadPair(srcPath: string, dst: S3Url, ctx: PlanContext): Promise<[Location, Location]> {
  const s = ctx.settings;
  let st: Stats;
  try {
    st = await stat(srcPath);
  } catch {
    throw new ParameterError(`Invalid source: '${srcPath}' is not an existing file or directory`);
  }
  const pathFilter = filterFor(ctx);
  const contents = srcPath.endsWith('/') || basename(srcPath) === '.';
  const matchBase = st.isDirectory() && !contents ? basename(srcPath) + '/' : '';
  const keep = (rel: string) => pathFilter.keeps(matchBase + rel);
  const destKey = dst.key;
  const destIsDir = destKey === '' || destKey.endsWith('/');
  if (!destIsDir && (st.isDirectory() || ctx.multipleSources)) throw new ParameterError(NOT_A_REMOTE_DIR);
  const treeOptions = {
    followSymlinks: s.followSymlinks,
    keep,
    pruneDir: pathFilter.prunesDir,
    onProblem: (p: WalkProblem) => ctx.report.event({ type: 'local-problem', side: 'source', path: p.path, reason: p.reason, quiet: p.quiet }),
    onSkip: (path: string, why: string) => ctx.report.event({ type: 'skipped', path, why }),
    dirs: s.keepDirs,
    cache: s.cacheFile ? HashCache.load(s.cacheFile, (why) => ctx.report.event({ type: 'notice', message: why })) : undefined,
  };
  if (st.isDirectory()) {
    const prefix = destKey + (contents ? '' : basename(srcPath) + '/');
    return [new LocalTree(srcPath, treeOptions), new S3Tree(ctx.s3(), dst.bucket, prefix, { keep, dirs: s.keepDirs })];
  }
  const relative = basename(srcPath);
  const key = destIsDir ? destKey + relative : destKey;
  return [
    new LocalTree(dirname(srcPath), treeOptions, { path: srcPath, relative, stat: st }),
    new S3Tree(ctx.s3(), dst.bucket, destIsDir ? destKey : '', { keep, only: { key, relative } }),
  ];
}

async function downloadPair(src: S3Url, dstPath: string, ctx: PlanContext): Promise<[Location, Location]> {
  const s = ctx.settings;
  const pathFilter = filterFor(ctx);
  let matchBase = '';
  const keep = (rel: string) => pathFilter.keeps(matchBase + rel);
  const c = ctx.s3();
  let prefix = src.key;
  let root = dstPath;
  let only: { key: string; relative: string } | undefined;
  if (prefix && !prefix.endsWith('/')) {
    // An exact object is a single-file sync; otherwise the name is a directory-like prefix.
    const h = await headObject(c, src.bucket, prefix).catch((e) => {
      if (e instanceof S3Error && e.status === 404 && e.code !== 'NoSuchBucket') return undefined;
      throw e;
    });
    if (h) {
      const dstSt = await stat(dstPath).catch(() => undefined);
      if (dstSt?.isDirectory() || dstPath.endsWith('/')) only = { key: prefix, relative: basename(prefix) };
      else {
        root = join(dstPath, '..');
        only = { key: prefix, relative: basename(dstPath) };
      }
      prefix = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    } else {
      root = join(dstPath, basename(prefix));
      matchBase = basename(prefix) + '/';
      prefix += '/';
    }
  }
  // directory markers are re-created as directories (never written as files)
  const remote = new S3Tree(c, src.bucket, prefix, { keep, only, dirs: true });
  const rootSt = await stat(root).catch(() => undefined);
  if (rootSt && !rootSt.isDirectory()) throw new ParameterError(`Destination '${root}' exists and is not a directory.`);
  const local = new LocalTree(
    root,
    {
      followSymlinks: s.followSymlinks,
      keep,
      pruneDir: pathFilter.prunesDir,
      onProblem: (p) => ctx.report.event({ type: 'local-problem', side: 'destination', path: p.path, reason: p.reason }),
    },
    only ? { path: join(root, only.relative), relative: only.relative } : rootSt ? undefined : 'nothing',
  );
  return [remote, local];
}

async function copyPair(src: S3Url, dst: S3Url, ctx: PlanContext): Promise<[Location, Location]> {
  const pathFilter = filterFor(ctx);
  let matchBase = '';
  const keep = (rel: string) => pathFilter.keeps(matchBase + rel);
  const c = ctx.s3();
  const destKey = dst.key;
  if (destKey && !destKey.endsWith('/')) throw new ParameterError(NOT_A_REMOTE_DIR);
  let srcPrefix = src.key;
  let dstPrefix = destKey;
  if (srcPrefix && !srcPrefix.endsWith('/')) {
    dstPrefix = destKey + basename(srcPrefix) + '/';
    matchBase = basename(srcPrefix) + '/';
    srcPrefix += '/';
  }
  // the source is read by server-side copies: its HEADs use the copy-source SSE-C key, the destination's the customer key
  return [new S3Tree(c, src.bucket, srcPrefix, { keep, dirs: true, copySource: true }), new S3Tree(c, dst.bucket, dstPrefix, { keep, dirs: true })];
}
