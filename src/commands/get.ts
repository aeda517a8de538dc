// get: single objects, wildcards, -r prefixes, '-' for stdout; parallel across objects; temp+rename.
import { mkdir, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { normalize } from 'node:path';
import type { Context } from './context.ts';
import { s3uri } from '../s3/uri.ts';
import { output, warning, error, info, debug, transferStats, setStatus } from '../cli/output.ts';
import { EX, ParameterError, CliError } from '../cli/exit-codes.ts';
import { parseArg, s3Arg, type S3Url } from '../storage/url.ts';
import { expand, type RemoteItem } from '../storage/s3.ts';
import { errText, safeJoin } from '../storage/local.ts';
import { selection } from '../sync/select.ts';
import { downloadToFile, downloadToStream } from '../transfer/download.ts';
import { Pool } from '../transfer/pool.ts';
import { TokenBucket } from '../transfer/throttle.ts';
import { Progress } from '../transfer/progress.ts';
import { S3Error, TransferError } from '../s3/errors.ts';

/** An object to download: its size is known (listing or HEAD). */
type Item = RemoteItem & { size: number };

const statOrUndefined = (p: string) => {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
};

/** -v: how a download was checked, or why it could not be. */
const verifyNote = (uri: string) => (verified: boolean, text: string) => info(verified ? `verified '${uri}': ${text}` : `not verified '${uri}': ${text}`);

export async function cmdGet(ctx: Context, argsIn: string[]): Promise<number> {
  const s = ctx.settings;
  const args = [...argsIn];
  let destBase = '.';
  if (args.length > 1 && parseArg(args[args.length - 1]).type === 'file') destBase = args.pop()!;
  else if (args.length === 1 && parseArg(args[0]).type === 'file') throw new ParameterError('Nothing to download. Expecting S3 URI.');
  const sources: S3Url[] = args.map((a) => {
    const u = s3Arg(a);
    if ((!u.key || u.key.endsWith('/')) && !u.wildcard && !s.recursive) throw new ParameterError(`Expecting S3 URI with a filename or --recursive: ${s3uri(u.bucket, u.key)}`);
    return u;
  });
  const selected = selection(s, debug, false);
  const toStdout = destBase === '-';
  if (toStdout && s.json) throw new ParameterError("--json prints its summary on stdout, where 'get ... -' writes the object; drop --json, or download to a file.");
  const tally = ctx.tally;
  const destStat = toStdout ? undefined : await stat(destBase).catch(() => undefined);
  // Several objects need an existing directory, as in s3cmd (also with -r). A trailing '/' on a
  // missing one names a directory to create for a single object (where s3cmd fails to write 'dir/').
  const destIsDirFor = (count: number) => !!destStat?.isDirectory() || (!toStdout && /[\\/]$/.test(destBase) && count === 1);

  // Resolve the remote list (streamed per argument; held only as light records).
  const items: Item[] = [];
  for (const u of sources) {
    for await (const it of expand(ctx.s3(), u, { recursive: s.recursive, requireAttribs: true, exactObject: true, keep: selected.keep })) items.push({ ...it, size: it.size ?? 0 });
  }
  info(`Summary: ${items.length} remote files to download`);
  if (items.length === 0) {
    if (sources.some((u) => s.recursive || u.wildcard)) warning('Remote list is empty.');
    return EX.OK;
  }
  const destIsDir = destIsDirFor(items.length);
  if (!toStdout && !destIsDir && items.length > 1) throw new ParameterError('Destination must be a directory or stdout when downloading multiple sources.');

  let rc: number = EX.OK;
  const targets: { it: Item; dest: string }[] = [];
  for (const it of items) {
    if (toStdout) targets.push({ it, dest: '-' });
    else if (!destIsDir) targets.push({ it, dest: destBase });
    else {
      const j = safeJoin(destBase, it.relative);
      if (!j.path) {
        error(`Refusing to download '${s3uri(it.bucket, it.key)}': ${j.problem}, so it would be written outside '${destBase}'. Download it alone with 's3k get s3://${it.bucket}/KEY FILE' to choose a safe name.`);
        tally.fail(s3uri(it.bucket, it.key), `${j.problem}, so it would be written outside '${destBase}'`);
        rc = EX.PARTIAL;
        continue;
      }
      // s3cmd's name: the destination, a '/', the key below the argument ('./a.txt' for '.')
      const shown = (/[\\/]$/.test(destBase) ? destBase : destBase + '/') + it.relative;
      targets.push({ it, dest: normalize(shown) === normalize(j.path) ? shown : j.path });
    }
  }

  if (s.dryRun) {
    for (const t of targets) output(`download: '${s3uri(t.it.bucket, t.it.key)}' -> '${t.dest}'`);
    warning('Exiting now because of --dry-run');
    return rc;
  }

  const c = ctx.s3();
  if (toStdout) {
    for (const t of targets) await downloadToStream(c, t.it.bucket, t.it.key, process.stdout, { onVerify: verifyNote(s3uri(t.it.bucket, t.it.key)), partSizeHints: [s.multipartChunkBytes] });
    return rc;
  }

  const pool = new Pool(s.parallel);
  const limiter = s.limitRate > 0 ? new TokenBucket(s.limitRate) : undefined;
  const progress = new Progress(targets.length, targets.reduce((a, t) => a + t.it.size, 0));
  setStatus(progress);
  try {
    for (const t of targets) {
      const uri = s3uri(t.it.bucket, t.it.key);
      // a directory marker (a key ending in '/') is a directory, never a 0-byte file
      if (t.it.key.endsWith('/') && destIsDir) {
        await mkdir(t.dest, { recursive: true });
        continue;
      }
      // Existing-file policy, checked before any byte moves.
      const existing = statOrUndefined(t.dest);
      let resumeFrom = 0;
      if (existing) {
        if (existing.isDirectory()) {
          error(`Download of '${uri}' failed (Reason: '${t.dest}' is a directory)`);
          tally.fail(uri, `'${t.dest}' is a directory`);
          continue;
        }
        if (s.continueGet) {
          if (existing.size === t.it.size) {
            info(`Skipping over existing file: '${t.dest}'`);
            tally.skipped++;
            continue;
          }
          if (existing.size < t.it.size) resumeFrom = existing.size;
        } else if (s.skipExisting) {
          info(`Skipping over existing file: '${t.dest}'`);
          tally.skipped++;
          continue;
        } else if (!s.force) {
          await pool.drain().catch(() => undefined);
          throw new ParameterError(`File '${t.dest}' already exists. Use either of --force / --continue / --skip-existing or give it a new name.`);
        }
      }
      await pool.submit(async () => {
        const t0 = performance.now();
        try {
          const r = await downloadToFile(c, t.it.bucket, t.it.key, t.dest, {
            resumeFrom,
            continuePartial: s.continueGet,
            etag: t.it.etag,
            preserve: 'lastmod',
            size: t.it.size,
            rangeConcurrency: Math.max(1, Math.min(s.parallel, 4)),
            limiter,
            onBytes: (n) => progress.addBytes(n),
            onRetry: (why, n) => info(`Retrying download of '${uri}' (attempt ${n}): ${why}`),
            onVerify: verifyNote(uri),
            partSizeHints: [s.multipartChunkBytes],
          });
          progress.fileDone();
          tally.transferDone(r.bytes);
          output(`download: '${uri}' -> '${t.dest}' ${transferStats(r.bytes, (performance.now() - t0) / 1000)}`);
        } catch (e) {
          if (e instanceof S3Error && e.status === 404) {
            tally.fail(uri, e.message);
            error(`Download of '${t.dest}' failed (Reason: ${e.message})`);
            return;
          }
          if (e instanceof S3Error || e instanceof TransferError) throw e;
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOSPC' || code === 'EDQUOT') throw new CliError(`Download of '${t.dest}' failed (Reason: ${errText(e)}); nothing was left behind. Free some space and retry.`, EX.IOERR);
          if (code && ['EACCES', 'EROFS', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EPERM'].includes(code)) {
            tally.fail(uri, `'${t.dest}': ${errText(e)}`);
            error(`Download of '${t.dest}' failed (Reason: ${errText(e)})`);
            return;
          }
          throw e;
        }
      });
      if (pool.failed) break;
    }
    await pool.drain();
  } finally {
    setStatus(undefined);
  }
  if (tally.failed) return EX.PARTIAL;
  return rc;
}
