// del / rm: single keys, wildcards, and -r with batched DeleteObjects (1000 keys a request),
// streamed from the listing so memory stays flat.
import type { Context } from './context.ts';
import { deleteObject, deleteObjects } from '../s3/ops.ts';
import { s3uri } from '../s3/uri.ts';
import { output, warning, error, info } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { s3Arg, type S3Url } from '../storage/url.ts';
import { expand, type RemoteItem } from '../storage/s3.ts';
import { makeFilter, inShard } from './filters.ts';
import { Pool } from '../transfer/pool.ts';

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
      const r = await deleteRecursive(ctx, u, s.recursive);
      if (r !== EX.OK) rc = r;
    } else if (!makeFilter(s).keeps(u.key.slice(u.key.lastIndexOf('/') + 1))) {
      info(`Summary: 0 remote files to delete`);
    } else {
      if (s.dryRun) output(`delete: '${s3uri(u.bucket, u.key)}'`);
      else {
        await deleteObject(ctx.s3(), u.bucket, u.key);
        output(`delete: '${s3uri(u.bucket, u.key)}'`);
      }
    }
  }
  if (s.dryRun) warning('Exiting now because of --dry-run');
  return rc;
}

/** Delete everything under an s3:// prefix (or matching a wildcard) in batches of 1000. */
export async function deleteRecursive(ctx: Context, u: S3Url, recursive = true): Promise<number> {
  const s = ctx.settings;
  const c = ctx.s3();
  const filter = makeFilter(s);
  const pool = new Pool(Math.max(1, Math.min(s.parallel, 8)));
  let batch: RemoteItem[] = [];
  let count = 0;
  let bytes = 0;
  let failed = 0;
  const maxDelete = s.maxDelete;
  const flush = async (items: RemoteItem[]) => {
    if (!items.length) return;
    if (s.dryRun) {
      for (const it of items) output(`delete: '${s3uri(it.bucket, it.key)}'`);
      return;
    }
    await pool.submit(async () => {
      const res = await deleteObjects(c, u.bucket, items.map((i) => i.key));
      const bad = new Map(res.errors.map((e) => [e.key, e]));
      for (const it of items) {
        const e = bad.get(it.key);
        if (e) {
          failed++;
          error(`delete failed: '${s3uri(it.bucket, it.key)}': ${e.code} ${e.message}`);
        } else output(`delete: '${s3uri(it.bucket, it.key)}'`);
      }
    });
  };
  if (maxDelete > 0) {
    // s3cmd refuses the whole deletion when it would exceed --max-delete: count first.
    let n = 0;
    for await (const it of expand(c, u, { recursive, keep: (rel, key) => filter.keeps(rel) && inShard(s, key) })) {
      void it;
      if (++n > maxDelete) {
        warning('delete: maximum requested number of deletes would be exceeded, none performed.');
        return EX.OK;
      }
    }
  }
  for await (const it of expand(c, u, { recursive, keep: (rel, key) => filter.keeps(rel) && inShard(s, key) })) {
    batch.push(it);
    count++;
    bytes += it.size ?? 0;
    if (batch.length >= 1000) {
      await flush(batch);
      batch = [];
    }
  }
  await flush(batch);
  await pool.drain();
  if (count === 0) warning('Remote list is empty.');
  else info(`Deleted ${count} objects (${bytes}) from ${s3uri(u.bucket, u.key)}`);
  return failed ? EX.PARTIAL : EX.OK;
}
