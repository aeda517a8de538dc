// mb, rb
import type { Context } from './context.ts';
import { createBucket, deleteBucket } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { bucketNameProblem } from '../s3/uri.ts';
import { output, warning, error, debug } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { parseArg, s3Url } from '../storage/url.ts';
import { removeAll, removeOptions } from '../sync/remove.ts';
import { removalLines, removalSummary } from './report.ts';

function bucketOnly(arg: string): string {
  const u = parseArg(arg);
  if (u.type !== 's3' || !u.bucket || u.key) throw new ParameterError(`Expecting S3 URI with just the bucket name set instead of '${arg}'`);
  return u.bucket;
}

export async function cmdMb(ctx: Context, args: string[]): Promise<number> {
  for (const arg of args) {
    const bucket = bucketOnly(arg);
    // s3cmd checks the DNS rules only for a bucket made outside US / us-east-1
    const problem = bucketNameProblem(bucket, !!ctx.settings.bucketLocation);
    if (problem) throw new ParameterError(problem);
    if (ctx.settings.dryRun) {
      output(`Bucket 's3://${bucket}/' created`);
      continue;
    }
    try {
      await createBucket(ctx.s3(), bucket, ctx.settings.bucketLocation, ctx.settings.aclPublic ? { 'x-amz-acl': 'public-read' } : {});
    } catch (e) {
      if (e instanceof S3Error && e.code === 'BucketAlreadyExists') error(`Bucket '${bucket}' already exists`);
      throw e;
    }
    output(`Bucket 's3://${bucket}/' created`);
  }
  return EX.OK;
}

export async function cmdRb(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  for (const arg of args) {
    const bucket = bucketOnly(arg);
    const once = async (retry: boolean): Promise<number> => {
      try {
        if (!s.dryRun) await deleteBucket(ctx.s3(), bucket);
        output(`Bucket 's3://${bucket}/' removed`);
        return EX.OK;
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
        if (e.code === 'NoSuchBucket') {
          if (s.force) return EX.OK;
          throw e;
        }
        if (e.code === 'BucketNotEmpty' && retry && (s.force || s.recursive)) {
          warning('Bucket is not empty. Removing all the objects from it first. This may take some time...');
          const all = s3Url(bucket);
          const rc = removalSummary(await removeAll(ctx.s3(), all, removeOptions(s, true, debug), removalLines), all.uri);
          if (rc === EX.OK) return once(false);
          output('Bucket was not removed');
          return rc;
        }
        if (e.code === 'AccessDenied') error(`Access to bucket '${bucket}' was denied`);
        throw e;
      }
    };
    const rc = await once(true);
    if (rc !== EX.OK) return rc;
  }
  return EX.OK;
}
