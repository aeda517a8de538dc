// Removing every object an s3:// argument names (del -r, del with a wildcard, rb --force on a
// bucket that is not empty), as s3cmd's batch delete does: streamed from the listing in
// DeleteObjects batches of 1000 (a few batches in flight), so memory stays flat; with --max-delete
// the listing is counted first and nothing is removed when it has more. Nothing here prints: each
// key removed (or, with --dry-run, to be removed) and each failure is reported to the caller.
import type { Settings } from '../config/settings.ts';
import type { S3Client } from '../s3/client.ts';
import { s3uri } from '../s3/uri.ts';
import type { S3Url } from '../storage/url.ts';
import { expand, removeKeys, type RemoteItem } from '../storage/s3.ts';
import { Pool } from '../transfer/pool.ts';
import type { Progress } from '../transfer/progress.ts';
import type { Tally } from '../transfer/summary.ts';
import { selection } from './select.ts';

export interface RemoveOptions {
  recursive: boolean;
  /** Keep (remove) this object: --exclude/--include on the relative name, --shard on the key. */
  keep: (relative: string, key: string) => boolean;
  /** 0 or less: no limit. */
  maxDelete: number;
  dryRun: boolean;
  parallel: number;
}

/** This run's options for removeAll: its filter and shard, --max-delete, --dry-run, --parallel. */
export function removeOptions(s: Settings, recursive: boolean, debug?: (msg: () => string) => void): RemoveOptions {
  return { recursive, keep: selection(s, debug, false).keep, maxDelete: s.maxDelete, dryRun: s.dryRun, parallel: s.parallel };
}

export interface RemoveReport {
  /** Removed, or with --dry-run to be removed. */
  removed(uri: string): void;
  failed(uri: string, code: string, message: string): void;
}

export interface RemoveResult {
  /** Objects listed for removal. */
  count: number;
  bytes: number;
  failed: number;
  /** More than --max-delete objects were listed: none was removed. */
  overMaxDelete: boolean;
}

/** Where a run counts what it removed: the command's tally, and the progress shown while it runs. */
export interface RemoveTracking {
  tally?: Tally;
  progress?: Progress;
}

export async function removeAll(c: S3Client, url: S3Url, o: RemoveOptions, report: RemoveReport, track: RemoveTracking = {}): Promise<RemoveResult> {
  const result: RemoveResult = { count: 0, bytes: 0, failed: 0, overMaxDelete: false };
  const listing = () => expand(c, url, { recursive: o.recursive, keep: o.keep });
  if (o.maxDelete > 0) {
    let n = 0;
    for await (const it of listing()) {
      void it;
      if (++n > o.maxDelete) return { ...result, overMaxDelete: true };
    }
  }
  const pool = new Pool(Math.max(1, Math.min(o.parallel, 8)));
  const flush = async (items: RemoteItem[]) => {
    if (!items.length) return;
    if (o.dryRun) {
      for (const it of items) report.removed(s3uri(it.bucket, it.key));
      return;
    }
    await pool.submit(async () => {
      const failed = await removeKeys(c, url.bucket, items.map((i) => i.key));
      for (const it of items) {
        const f = failed.get(it.key);
        const uri = s3uri(it.bucket, it.key);
        if (f) {
          result.failed++;
          track.tally?.fail(uri, `${f.code} ${f.message}`.trim());
          report.failed(uri, f.code, f.message);
        } else {
          if (track.tally) {
            track.tally.deleted++;
            track.tally.deletedBytes += it.size ?? 0;
          }
          track.progress?.addBytes(it.size ?? 0);
          track.progress?.fileDone();
          report.removed(uri);
        }
      }
    });
  };
  let batch: RemoteItem[] = [];
  for await (const it of listing()) {
    batch.push(it);
    result.count++;
    result.bytes += it.size ?? 0;
    if (batch.length >= 1000) {
      await flush(batch);
      batch = [];
    }
  }
  await flush(batch);
  await pool.drain();
  return result;
}
