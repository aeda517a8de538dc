// del / rm: single keys, wildcards, and -r with batched DeleteObjects (1000 keys a request),
// streamed from the listing so memory stays flat.
import type { Context } from './context.ts';
import { deleteObject } from '../s3/ops.ts';
import { output, warning, info, debug, setStatus } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { s3Arg } from '../storage/url.ts';
import { makeFilter, inShard } from '../sync/select.ts';
import { removeAll, removeOptions } from '../sync/remove.ts';
import { Progress } from '../transfer/progress.ts';
import { removalLines, removalSummary } from './report.ts';

export async function cmdDel(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  let rc: number = EX.OK;
  for (const arg of args) {
    const u = s3Arg(arg);
    if (!u.key) {
      if (s.recursive && !s.force) throw new ParameterError(`Please use --force to delete ALL contents of ${arg}`);
      if (!s.recursive) throw new ParameterError('File name required, not only the bucket name. Alternatively use --recursive');
    }
    if (s.recursive || u.wildcard) {
      // a wildcard without -r stays at its own level, as in s3cmd
      const progress = new Progress();
      if (!s.dryRun) setStatus(progress);
      let r;
      try {
        r = await removeAll(ctx.s3(), u, removeOptions(s, s.recursive, debug), removalLines, { tally: ctx.tally, progress });
      } finally {
        setStatus(undefined);
      }
      const filtered = s.exclude.length + s.include.length + s.rexclude.length + s.rinclude.length > 0 || s.maxDelete > 0;
      const code = removalSummary(r, u.uri, s.stats && s.recursive && !filtered);
      if (code !== EX.OK) rc = code;
    } else if (!makeFilter(s, debug).keeps(u.name) || !inShard(s, u.key)) {
      // one key, left out by the filter or by --shard K/N (another shard deletes it)
      info(`Summary: 0 remote files to delete`);
    } else {
      if (!s.dryRun) {
        await deleteObject(ctx.s3(), u.bucket, u.key);
        ctx.tally.deleted++;
      }
      output(`delete: '${u.uri}'`);
    }
  }
  if (s.dryRun) warning('Exiting now because of --dry-run');
  return rc;
}
