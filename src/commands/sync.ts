// sync with s3cmd's semantics in every direction (local -> S3, S3 -> local, S3 -> S3): the
// arguments are parsed here, each source is resolved into a pair of locations (sync/plan.ts) and
// synced by the engine (sync/engine.ts); this command prints what the engine reports, in s3cmd's
// lines, and the summary.
import { normalize } from 'node:path';
import type { Context } from './context.ts';
import { S3Error } from '../s3/errors.ts';
import { s3uri } from '../s3/uri.ts';
import { output, warning, error, info, debug, transferStats, formatSize, setStatus } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { parseArg } from '../storage/url.ts';
import { errText } from '../storage/local.ts';
import { syncLocations } from '../sync/plan.ts';
import { runSync, type SyncEvent, type SyncReporter } from '../sync/engine.ts';
import { reportBucketError, reportLocalSkip } from './report.ts';

function describe(e: unknown): string {
  if (e instanceof S3Error) return 'S3 error: ' + e.message;
  return (e as Error).message ? errText(e) : String(e);
}

/** A local file that could not be read for an upload. */
const LOCAL_READ = ['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'ELOOP', 'EIO'];

/** The reason s3cmd gives when a downloaded file cannot be written at `to`. */
function downloadReason(code: string, to: string): string | undefined {
  switch (code) {
    case 'EISDIR':
      return `${to} is a directory`;
    case 'ETXTBSY':
      return `${to} is currently open for execute, cannot be overwritten`;
    case 'EPERM':
    case 'EACCES':
      return `${to} permission denied`;
    case 'EBUSY':
      return `${to} is busy`;
    case 'EFBIG':
      return `${to} is too big`;
    case 'ENAMETOOLONG':
      return 'File Name is too long';
  }
  return undefined;
}

/** `dstBase`: the destination argument with a trailing '/', the base of s3cmd's relative names. */
function print(e: SyncEvent, dstBase: string): void {
  switch (e.type) {
    case 'transferred':
      if (e.action === 'mkdir') output(`mkdir: '${e.from}' -> '${e.to}' [${e.n} of ${e.of}]`);
      else if (e.action === 'remote copy') output(`remote copy: '${e.from}' -> '${e.to}'  [${e.n} of ${e.of}]`);
      else output(`${e.action}: '${e.from}' -> '${e.to}' ${transferStats(e.bytes, e.seconds)} [${e.n} of ${e.of}]`);
      return;
    case 'would-transfer':
      return output(`${e.action}: '${e.from}' -> '${e.to}'`);
    case 'failed': {
      const code = e.error instanceof S3Error ? undefined : (e.error as NodeJS.ErrnoException).code;
      if (code && e.action === 'upload' && LOCAL_READ.includes(code)) return error(`Upload of '${e.name}' is not possible (Reason: ${errText(e.error)})`);
      const why = code && e.action === 'download' ? downloadReason(code, e.to) : undefined;
      if (why) return error(`Download of '${e.to.startsWith(dstBase) ? e.to.slice(dstBase.length) : e.relative}' failed (Reason: ${why})`);
      return error(`${e.name}: ${describe(e.error)}`);
    }
    case 'key-problem':
      return error(`Upload of '${e.path}' is not possible (Reason: ${e.reason})`);
    case 'refused':
      return error(`Refusing to download '${e.name}': ${e.problem}, so it would be written outside '${e.root}'.`);
    case 'local-problem':
      // s3cmd passes over the entries of a directory it may list but not enter without a word
      if (e.quiet) return info(`Upload of '${e.path}' is not possible (Reason: ${e.reason})`);
      return error(e.side === 'source' ? `Upload of '${e.path}' is not possible (Reason: ${e.reason})` : `${e.path}: ${e.reason}`);
    case 'skipped':
      return reportLocalSkip(e.path, e.why);
    case 'retry':
      return info(`Retrying download of '${e.name}' (attempt ${e.attempt}): ${e.reason}`);
    case 'compared': {
      const side = (x: { kind: string; md5?: string }) => `${x.kind === 'local' ? 'local' : 'remote'} ${x.md5 ?? 'unknown'}`;
      return debug(() => `MD5 ${e.relative}: ${side(e.src)}, ${side(e.dst)}`);
    }
    case 'debug':
      return debug(e.message);
    case 'notice':
      return info(e.message);
    case 'deletions-held':
      return warning(`delete: not deleting ${e.count} files because ${e.failed} transfers failed or files could not be read (those files, or under those directories); re-run sync once they succeed.`);
    case 'deletions-refused':
      if (e.reason === 'empty-source') return warning('delete: cowardly refusing to delete because no source files were found.  Use --force to override.');
      return warning('delete: maximum requested number of deletes would be exceeded, none performed.');
    case 'summary':
      return output(`Summary: ${e.copy} source files to copy, ${e.delete} files at destination to delete`);
    case 'would-delete':
    case 'deleted':
      return output(`delete: '${e.name}'`);
    case 'delete-failed':
      return error(e.kind === 's3' ? `delete failed: '${e.name}'` : `delete failed: '${e.name}': ${e.problem}`);
  }
}

export async function cmdSync(ctx: Context, args: string[]): Promise<number> {
  if (args.includes('-')) throw new ParameterError("Stdin or stdout ('-') can't be used for a source or a destination with the sync command.");
  const dstArg = args[args.length - 1];
  const dst = parseArg(dstArg);
  const srcs = args.slice(0, -1).map(parseArg);
  let dir: 'up' | 'down' | 'copy';
  if (srcs.every((u) => u.type === 'file') && dst.type === 's3') dir = 'up';
  else if (srcs.every((u) => u.type === 's3') && dst.type === 'file') dir = 'down';
  else if (srcs.every((u) => u.type === 's3') && dst.type === 's3') dir = 'copy';
  else throw new ParameterError(`Invalid source/destination: '${args.join("' '")}'`);
  if (dst.type === 's3' && !dst.bucket) throw new ParameterError(`Expecting S3 URI with a bucket name instead of '${dstArg}'`);
  for (const u of srcs) if (u.type === 's3' && !u.bucket) throw new ParameterError(`Expecting S3 URI with a bucket name instead of '${s3uri(u.bucket)}'`);

  const s = ctx.settings;
  const totals = ctx.tally;
  const dstBase = normalize(dstArg.endsWith('/') ? dstArg : dstArg + '/');
  const reporter: SyncReporter = { event: (e) => print(e, dstBase), status: setStatus };
  const t0 = performance.now();
  let rc: number = EX.OK;
  for (const src of srcs) {
    try {
      const [from, to] = await syncLocations(src, dst, { settings: s, s3: () => ctx.s3(), report: reporter, multipleSources: srcs.length > 1 });
      await runSync(from, to, s, totals, reporter);
    } catch (e) {
      reportBucketError(e);
      throw e;
    }
    if (totals.failed) rc = EX.PARTIAL;
    if (rc !== EX.OK && s.stopOnError) break;
  }
  if (s.dryRun) {
    warning('Exiting now because of --dry-run');
    return rc;
  }
  const elapsed = Math.max(1.0, (performance.now() - t0) / 1000);
  let out: string;
  // s3cmd's rate counts the copies from the source only, not those from the destination's own objects
  const fromSource = totals.transferred - totals.copiedWithin;
  if (dir === 'copy') out = `Done. Copied ${totals.transferred} files in ${elapsed.toFixed(1)} seconds, ${(fromSource / elapsed).toFixed(2)} files/s.`;
  else {
    const [v, c] = formatSize(totals.bytes / elapsed, true, true);
    out = `Done. ${dir === 'up' ? 'Uploaded' : 'Downloaded'} ${totals.bytes} bytes in ${elapsed.toFixed(1)} seconds, ${v.toFixed(2)} ${c}B/s.`;
  }
  if (s.stats) {
    out += `\nStats: Number of files: ${totals.srcFiles} (${totals.srcBytes} bytes) `;
    // s3cmd: S3 -> S3 copies count as 'copied'; only a download reports the bytes deleted
    if (totals.transferred) out += `\nStats: Number of files ${dir === 'copy' ? 'copied' : 'transferred'}: ${totals.transferred} (${totals.bytes} bytes) `;
    if (totals.deleted) out += `\nStats: Number of files deleted: ${totals.deleted}` + (dir === 'down' ? ` (${totals.deletedBytes} bytes) ` : '');
    for (const l of out.split('\n')) output(l);
  } else if (totals.bytes > 0 || (dir === 'copy' && fromSource > 0)) output(out);
  else info(out);
  return rc;
}
