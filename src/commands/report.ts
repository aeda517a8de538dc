// s3cmd's lines for outcomes that more than one command reports. Not a command: commands print
// through it so that the same event reads the same everywhere (del -r and rb --force both remove
// every object under an argument; ls, du, info and sync all name a missing bucket; cp, setacl and
// restore meet directory markers in their listings).
import { output, error, warning, info, debug } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';
import { bucketProblem } from '../storage/s3.ts';
import { RENAMED } from '../storage/local.ts';
import type { RemoveReport, RemoveResult } from '../sync/remove.ts';

export const removalLines: RemoveReport = {
  removed: (uri) => output(`delete: '${uri}'`),
  failed: (uri, code, message) => error(`delete failed: '${uri}': ${code} ${message}`),
};

/**
 * The summary of removeAll, and its exit code. `stats`: --stats where s3cmd honours it (del -r
 * without filters or --max-delete), a blank line and the count instead of the INFO line.
 */
export function removalSummary(r: RemoveResult, uri: string, stats = false): number {
  if (r.overMaxDelete) {
    warning('delete: maximum requested number of deletes would be exceeded, none performed.');
    return EX.OK;
  }
  if (r.count === 0) warning('Remote list is empty.');
  else if (stats) {
    output('');
    output(`Stats: Number of files deleted: ${r.count} (${r.bytes} bytes) `);
  } else info(`Deleted ${r.count} objects (${r.bytes}) from ${uri}`);
  return r.failed ? EX.PARTIAL : EX.OK;
}

/** A listed key with no name below the argument (a directory marker), for expand's onEmptyName. */
export const warnEmptyName = () => warning('Empty object name on S3 found, ignoring.');

/** s3cmd names the bucket before the S3 error when the bucket is missing or forbidden. */
export function reportBucketError(e: unknown, bucket?: string): void {
  const problem = bucketProblem(e, bucket);
  if (problem) error(problem);
}

/**
 * A local entry left out of an upload (put, sync): s3cmd warns about links to files and special
 * files; a link to a directory is simply not descended into.
 */
export function reportLocalSkip(path: string, why: string): void {
  if (why === 'symbolic link' || why === 'non regular file') warning(`Skipping over ${why}: ${path}`);
  else if (why.endsWith(RENAMED)) warning(`${why} in: ${path}`);
  else debug(`Skipping ${why}: ${path}`);
}
