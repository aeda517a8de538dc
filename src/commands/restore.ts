// restore: start a Glacier / Deep Archive restore (POST ?restore) for keys, wildcards or -r prefixes,
// with -D/--restore-days and --restore-priority (bulk, standard, expedited).
import type { Context } from './context.ts';
import { restoreObject } from '../s3/subresources.ts';
import { S3Error, RetriesExhaustedError } from '../s3/errors.ts';
import { s3uri } from '../s3/uri.ts';
import { output, info, warning, debug } from '../cli/output.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';
import { s3Arg } from '../storage/url.ts';
import { expand } from '../storage/s3.ts';
import { selection } from '../sync/select.ts';
import { warnEmptyName } from './report.ts';

/** 'bulk' -> 'Bulk' etc.; anything else is a parameter problem. */
export function restoreTier(priority: string): string {
  const t = priority.charAt(0).toUpperCase() + priority.slice(1).toLowerCase();
  if (!['Standard', 'Expedited', 'Bulk'].includes(t)) throw new ParameterError('Valid restoration priorities: bulk, standard, expedited');
  return t;
}

export async function cmdRestore(ctx: Context, args: string[]): Promise<number> {
  const s = ctx.settings;
  if (s.restoreDays < 1) throw new ParameterError('You must restore a file for 1 or more days');
  const tier = restoreTier(s.restorePriority);
  const selected = selection(s, debug, true);
  const items: { bucket: string; key: string }[] = [];
  for (const arg of args) {
    const u = s3Arg(arg);
    for await (const it of expand(ctx.s3(), u, { recursive: s.recursive, exactObject: true, keep: selected.keep, onEmptyName: warnEmptyName })) items.push({ bucket: it.bucket, key: it.key });
  }
  info(`Summary: Restoring ${items.length} remote files for ${s.restoreDays} days at ${tier} priority`);
  if (s.dryRun) {
    for (const e of selected.excluded) output(`exclude: ${e}`);
    for (const it of items) output(`restore: '${s3uri(it.bucket, it.key)}'`);
    warning('Exiting now because of --dry-run');
    return EX.OK;
  }
  for (const it of items) {
    const uri = s3uri(it.bucket, it.key);
    if (it.key.endsWith('/')) {
      debug('Skipping directory since only files may be restored');
      continue;
    }
    try {
      await restoreObject(ctx.s3(), it.bucket, it.key, s.restoreDays, tier);
      output(`restore: '${uri}'`);
    } catch (e) {
      if (e instanceof S3Error && e.code === 'RestoreAlreadyInProgress') warning(`${e.s3Message || 'Object restore is already in progress'}: ${uri}`);
      // 501 NotImplemented is the server's final word (e.g. Ceph RGW without Glacier tiers), not a transient failure.
      else if (e instanceof RetriesExhaustedError && e.lastError instanceof S3Error && e.lastError.status === 501) throw e.lastError;
      else throw e;
    }
  }
  return EX.OK;
}
