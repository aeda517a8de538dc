// The --exclude/--include filter of this run (s3cmd's semantics, see sync/filter.ts), and --shard K/N.
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings.ts';
import { compileFilter, PatternError, type PathFilter } from '../sync/filter.ts';
import { ParameterError } from '../cli/exit-codes.ts';
import { debug } from '../cli/output.ts';

export function makeFilter(s: Settings): PathFilter {
  try {
    return compileFilter(s, debug);
  } catch (e) {
    if (e instanceof PatternError) throw new ParameterError(e.message);
    throw e;
  }
}

/** Stable partition of keys: shard = first 4 bytes of md5(key) mod N. */
export function shardOf(key: string, count: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % count;
}

export function inShard(s: Settings, key: string): boolean {
  return !s.shard || shardOf(key, s.shard.count) === s.shard.index;
}
