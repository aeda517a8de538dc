// multipart, listmp, abortmp: unfinished multipart uploads in s3cmd's tab-separated layout.
import type { Context } from './context.ts';
import { abortMultipartUpload } from '../s3/ops.ts';
import { listUploadsRaw, listPartsRaw } from '../s3/subresources.ts';
import { s3uri } from '../s3/uri.ts';
import { output, warning } from '../cli/output.ts';
import { outputKeepTabs } from './tabbed-output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { s3Arg, type S3Url } from '../storage/url.ts';

function s3arg(arg: string, needKey: boolean): S3Url {
  const u = s3Arg(arg);
  if (needKey && !u.key) throw new ParameterError(`Expecting S3 URI with an object name (s3://BUCKET/OBJECT) instead of '${arg}'`);
  return u;
}

/** multipart s3://BUCKET [Id]: every unfinished upload in the bucket (only that Id when given). */
export async function cmdMultipart(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0], false);
  const only = args[1];
  const uploads = await listUploadsRaw(ctx.s3(), u.bucket);
  output(s3uri(u.bucket, u.key));
  outputKeepTabs('Initiated\tPath\tId');
  for (const up of uploads) {
    if (only && up.uploadId !== only) continue;
    outputKeepTabs(`${up.initiated}\t${s3uri(u.bucket, up.key)}\t${up.uploadId}`);
  }
  return EX.OK;
}

/** listmp s3://BUCKET/OBJECT Id: the parts uploaded so far. */
export async function cmdListmp(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0], true);
  const parts = await listPartsRaw(ctx.s3(), u.bucket, u.key, args[1]);
  outputKeepTabs('LastModified\t\t\tPartNumber\tETag\tSize');
  for (const p of parts) outputKeepTabs(`${p.lastModified}\t${p.partNumber}\t${p.etag}\t${p.size}`);
  return EX.OK;
}

/** abortmp s3://BUCKET/OBJECT Id */
export async function cmdAbortmp(ctx: Context, args: string[]): Promise<number> {
  const u = s3arg(args[0], true);
  if (ctx.settings.dryRun) {
    output(s3uri(u.bucket, u.key));
    warning('Exiting now because of --dry-run');
    return EX.OK;
  }
  await abortMultipartUpload(ctx.s3(), u.bucket, u.key, args[1]);
  output(s3uri(u.bucket, u.key));
  return EX.OK;
}
