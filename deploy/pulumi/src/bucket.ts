// The bucket's lifecycle rules as plain data (tested without Pulumi, read as what S3 receives).
import type * as aws from '@pulumi/aws';

/** Incomplete multipart uploads (an interrupted put or sync) are aborted, and their parts deleted, after this many days. */
export const ABORT_INCOMPLETE_MULTIPART_DAYS = 7;

export interface LifecycleOptions {
  /** Versioning is on (BucketVersioning Enabled). */
  versioning: boolean;
  /** With versioning: delete versions this many days after they stop being current (0 = keep them). */
  noncurrentVersionExpirationDays: number;
}

/**
 * Every object (an empty filter): abort incomplete multipart uploads after 7 days (their parts are billed
 * and invisible to ls); with versioning and noncurrentVersionExpirationDays > 0, delete versions that
 * many days after they were overwritten or deleted, and the delete markers left with no version behind them.
 */
export function lifecycleRules(opts: LifecycleOptions): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const days = opts.noncurrentVersionExpirationDays;
  if (!Number.isInteger(days) || days < 0) throw new Error(`noncurrentVersionExpirationDays must be a whole number of days >= 0, not ${days}`);
  const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = [
    {
      id: 'abort-incomplete-multipart-uploads',
      status: 'Enabled',
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_MULTIPART_DAYS },
    },
  ];
  if (opts.versioning && days > 0) {
    rules.push({
      id: 'expire-noncurrent-versions',
      status: 'Enabled',
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: days },
      expiration: { expiredObjectDeleteMarker: true },
    });
  }
  return rules;
}
