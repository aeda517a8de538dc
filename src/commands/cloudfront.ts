// cflist, cfinfo, cfcreate, cfdelete, cfmodify, cfinvalinfo: s3k manages S3 storage only.
import type { Context } from './context.ts';
import { CliError, EX } from '../cli/exit-codes.ts';

export async function cmdCloudFront(_ctx: Context, _args: string[]): Promise<number> {
  throw new CliError(
    "CloudFront is not supported by s3k: it manages S3 (and S3-compatible) storage only. Use the AWS CLI for distributions and invalidations ('aws cloudfront list-distributions', 'aws cloudfront create-invalidation ...').",
    EX.USAGE,
  );
}
