// du: bytes and object count per bucket or prefix.
import type { Context } from './context.ts';
import { listBuckets } from '../s3/ops.ts';
import { s3uri } from '../s3/uri.ts';
import { result, formatSize } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';
import { parseArg } from '../storage/url.ts';
import { listPages } from '../storage/s3.ts';
import { reportBucketError } from './report.ts';

async function usage(ctx: Context, bucket: string, prefix: string): Promise<number> {
  let bytes = 0;
  let count = 0;
  try {
    for await (const page of listPages(ctx.s3(), bucket, { prefix, recursive: true })) {
      for (const o of page.objects) {
        bytes += o.size;
        count++;
      }
    }
  } catch (e) {
    reportBucketError(e);
    throw e;
  }
  const human = ctx.settings.humanReadable;
  const [v, c] = formatSize(bytes, human);
  const sizeStr = `${v}${c}`.padStart(human ? 5 : 12);
  if (ctx.settings.json) result(JSON.stringify({ uri: s3uri(bucket, prefix), size: bytes, objects: count }));
  else result(`${sizeStr} ${String(count).padStart(7)} objects ${s3uri(bucket, prefix)}`);
  return bytes;
}

export async function cmdDu(ctx: Context, args: string[]): Promise<number> {
  if (args.length) {
    const u = parseArg(args[0]);
    if (u.type === 's3' && u.bucket) {
      await usage(ctx, u.bucket, u.key);
      return EX.OK;
    }
  }
  let total = 0;
  for (const b of await listBuckets(ctx.s3())) total += await usage(ctx, b.name, '');
  if (!ctx.settings.json) {
    const [v, c] = formatSize(total, ctx.settings.humanReadable);
    result('-'.repeat(12));
    result(`${`${v}${c}`.padEnd(12)} Total`);
  }
  return EX.OK;
}
