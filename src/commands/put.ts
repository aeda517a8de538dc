// put: files, -r directories, '-' for stdin; parallel across files, multipart above the chunk size.
import { stat } from 'node:fs/promises';
import type { Context } from './context.ts';
import { s3uri, keyProblem, publicUrl } from '../s3/uri.ts';
import { output, warning, error, info, transferStats, debug, setStatus } from '../cli/output.ts';
import { EX, ParameterError, UnsupportedOptionError } from '../cli/exit-codes.ts';
import { parseArg } from '../storage/url.ts';
import { expandLocal, errText, type LocalFile } from '../storage/local.ts';
import { buildAttrs } from '../storage/attrs.ts';
import { makeFilter, inShard } from '../sync/select.ts';
import { uploadFile, uploadStream, FileChangedError } from '../transfer/upload.ts';
import { objectHeaders } from '../transfer/headers.ts';
import { Pool } from '../transfer/pool.ts';
import { TokenBucket } from '../transfer/throttle.ts';
import { Progress } from '../transfer/progress.ts';
import { S3Error } from '../s3/errors.ts';
import { listMultipartUploads } from '../s3/ops.ts';
import { reportLocalSkip } from './report.ts';

interface PutItem {
  local: LocalFile | 'stdin';
  key: string;
}

/** The files to upload ('-' is stdin, alone) with their destination keys, filtered. */
async function* localItems(ctx: Context, sources: string[], destKey: (rel: string) => string, onProblem: (path: string, reason: string, quiet?: boolean) => void): AsyncGenerator<PutItem> {
  const s = ctx.settings;
  const filter = makeFilter(s, debug);
  if (sources.length === 1 && sources[0] === '-') {
    if (filter.keeps('-')) yield { local: 'stdin', key: destKey('-') };
    return;
  }
  const files = expandLocal(sources, {
    recursive: s.recursive,
    followSymlinks: s.followSymlinks,
    keep: (rel) => filter.keeps(rel),
    pruneDir: filter.prunesDir,
    onProblem,
    onSkip: reportLocalSkip,
  });
  for await (const f of files) yield { local: f, key: destKey(f.relative) };
}

export async function cmdPut(ctx: Context, argsIn: string[]): Promise<number> {
  const s = ctx.settings;
  // s3k keeps directories and caches MD5s in sync only; put refuses them rather than ignore them
  if (s.keepDirs) throw new UnsupportedOptionError('s3k supports --keep-dirs with sync only, not put; use: s3k sync --keep-dirs DIR/ s3://BUCKET/PREFIX/');
  if (s.cacheFile) throw new UnsupportedOptionError('s3k supports --cache-file with sync only, not put (put hashes each file while it uploads it); drop the option');
  const args = [...argsIn];
  const dest = parseArg(args.pop()!);
  if (dest.type !== 's3') throw new ParameterError(`Destination must be S3Uri. Got: ${argsIn[argsIn.length - 1]}`);
  if (!dest.bucket) throw new ParameterError(`Expecting S3 URI with a bucket name instead of '${argsIn[argsIn.length - 1]}'`);
  if (args.length === 0) throw new ParameterError('Nothing to upload. Expecting a local file or directory.');
  const hasStdin = args.includes('-');
  if (hasStdin && args.length > 1) throw new ParameterError("Cannot specify multiple local files if uploading from '-' (ie stdin)");
  const destBase = dest.key;
  const destIsDir = destBase === '' || destBase.endsWith('/');
  if (hasStdin && destIsDir) throw new ParameterError("Destination S3 URI must not end with '/' when uploading from stdin.");
  const single = args.length === 1 && !s.recursive;
  if (!destIsDir && !single) {
    // A single file argument with -r is still fine when it is a file.
    const st = await stat(args[0]).catch(() => undefined);
    if (!(args.length === 1 && st?.isFile()))
      throw new ParameterError("Destination S3 URI must end with '/' (ie must refer to a directory on the remote side).");
  }
  const destKey = (rel: string) => (destIsDir ? destBase + rel : destBase);

  const tally = ctx.tally;
  const onProblem = (path: string, reason: string, quiet?: boolean) => {
    tally.fail(path, reason);
    // s3cmd passes over the entries of a directory it may list but not enter without a word
    (quiet ? info : error)(`Upload of '${path}' is not possible (Reason: ${reason})`);
  };

  const printPublicUrl = (key: string) => {
    if (s.aclPublic === true) output(`Public URL of the object is: ${publicUrl(s.endpoint, s.hostBucketTemplate, dest.bucket, key)}`);
  };
  const c = ctx.s3();
  const uploadOpts = {
    limiter: s.limitRate > 0 ? new TokenBucket(s.limitRate) : undefined,
    chunkSize: s.multipartChunkBytes,
    enableMultipart: s.enableMultipart,
    partConcurrency: Math.max(1, Math.min(s.parallel, 8)),
    uploadId: s.uploadId,
    debug: (m: string) => debug(m),
    onBytes: undefined as ((n: number) => void) | undefined,
  };

  // The first pass counts (for the [n of N] labels and the dry-run listing); a tree of more than
  // KEEP files is walked a second time while uploading, so memory stays flat.
  let total = 0;
  let totalBytes = 0;
  // Up to this many items are kept from the counting pass; a larger tree is walked again.
  const KEEP = 20_000;
  let kept: PutItem[] | undefined = [];
  for await (const it of localItems(ctx, args, destKey, onProblem)) {
    if (!inShard(s, it.key)) continue;
    total++;
    if (kept && kept.length < KEEP) kept.push(it);
    else kept = undefined;
    if (it.local !== 'stdin') totalBytes += it.local.stat.size;
    if (s.dryRun) output(`upload: '${it.local === 'stdin' ? '<stdin>' : it.local.path}' -> '${s3uri(dest.bucket, it.key)}'`);
  }
  if (total === 0) {
    if (tally.failed) return EX.PARTIAL;
    throw new ParameterError('Nothing to upload.');
  }
  info(`Summary: ${total} local files to upload`);
  if (s.dryRun) {
    warning('Exiting now because of --dry-run');
    return tally.failed ? EX.PARTIAL : EX.OK;
  }
  const items = (async function* () {
    if (kept) yield* kept;
    else for await (const it of localItems(ctx, args, destKey, () => undefined)) if (inShard(s, it.key)) yield it;
  })();

  const progress = new Progress(total, hasStdin ? undefined : totalBytes);
  uploadOpts.onBytes = (n: number) => progress.addBytes(n);
  setStatus(progress);
  const pool = new Pool(s.parallel);
  let stop = false;
  let i = 0;
  for await (const it of items) {
    if (stop) break;
    const label = `[${++i} of ${Math.max(total, i)}]`;
    const kp = keyProblem(it.key);
    if (kp) {
      tally.fail(it.local === 'stdin' ? '-' : it.local.path, kp);
      error(`Upload of '${it.local === 'stdin' ? '<stdin>' : it.local.path}' is not possible (Reason: ${kp})`);
      continue;
    }
    await pool.submit(async () => {
      const t0 = performance.now();
      const uri = s3uri(dest.bucket, it.key);
      try {
        let bytes: number;
        if (it.local === 'stdin') {
          const headers = objectHeaders(s, undefined);
          const r = await uploadStream(c, process.stdin, dest.bucket, it.key, headers, uploadOpts);
          bytes = r.bytes;
          tally.transferDone(bytes);
          output(`upload: '<stdin>' -> '${uri}' ${transferStats(bytes, (performance.now() - t0) / 1000)} ${label}`);
          printPublicUrl(it.key);
          return;
        }
        const f = it.local;
        const headers = objectHeaders(s, f.path);
        let uploadId: string | undefined;
        try {
          const r = await uploadFile(c, f.path, f.stat.size, dest.bucket, it.key, headers, {
            ...uploadOpts,
            attrs: s.preserveAttrs ? (md5) => buildAttrs(f.stat, md5) : undefined,
            uploadId: s.uploadId ?? (s.continuePut ? await findUpload(ctx, dest.bucket, it.key) : undefined),
            onUploadId: (id) => (uploadId = id),
          });
          bytes = r.bytes;
        } catch (e) {
          if (uploadId)
            error(`Upload of '${f.path}' failed. Use 's3k abortmp ${uri} ${uploadId}' to abort the upload, or 's3k --upload-id ${uploadId} put ...' (or --continue-put) to continue it.`);
          throw e;
        }
        progress.fileDone();
        tally.transferDone(bytes);
        output(`upload: '${f.path}' -> '${uri}' ${transferStats(bytes, (performance.now() - t0) / 1000)} ${label}`);
        printPublicUrl(it.key);
      } catch (e) {
        if (e instanceof S3Error && (e.status === 403 || e.code === 'NoSuchBucket')) throw e;
        if (e instanceof FileChangedError || (!(e instanceof S3Error) && ['EACCES', 'ENOENT', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? ''))) {
          tally.fail(it.local === 'stdin' ? '-' : it.local.path, errText(e));
          error(`Upload of '${it.local === 'stdin' ? '<stdin>' : it.local.path}' is not possible (Reason: ${errText(e)})`);
          if (s.stopOnError) stop = true;
          return;
        }
        throw e;
      }
    });
    if (pool.failed) break;
  }
  try {
    await pool.drain();
  } finally {
    setStatus(undefined);
  }
  if (tally.failed) return s.stopOnError ? EX.OSFILE : EX.PARTIAL;
  return EX.OK;
}

/** --continue-put: find the newest unfinished multipart upload for this key. */
async function findUpload(ctx: Context, bucket: string, key: string): Promise<string | undefined> {
  const ups = (await listMultipartUploads(ctx.s3(), bucket, key)).filter((u) => u.key === key);
  ups.sort((a, b) => b.initiated.getTime() - a.initiated.getTime());
  return ups[0]?.uploadId;
}
