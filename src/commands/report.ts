// s3cmd's lines for outcomes that more than one command reports. Not a command: commands print
// through it so that the same event reads the same everywhere (ls, du, info and sync all name a
// missing bucket; cp, setacl and restore meet directory markers in their listings).
import { error, warning } from '../cli/output.ts';
import { bucketProblem } from '../storage/s3.ts';

/** A listed key with no name below the argument (a directory marker), for expand's onEmptyName. */
export const warnEmptyName = () => warning('Empty object name on S3 found, ignoring.');

/** s3cmd names the bucket before the S3 error when the bucket is missing or forbidden. */
export function reportBucketError(e: unknown, bucket?: string): void {
  const problem = bucketProblem(e, bucket);
  if (problem) error(problem);
}
