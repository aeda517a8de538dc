// Which entries a run acts on: the --exclude/--include filter of this run (s3cmd's semantics, see
// filter.ts) and --shard K/N. Every multi-key command (put, get, del, cp/mv, setacl, restore, sync)
// selects with these.
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings.ts';
import { compileFilter, PatternError, type PathFilter } from './filter.ts';
import { ParameterError } from '../cli/exit-codes.ts';

/** The run's filter; `debug` receives s3cmd's EXCL-MATCH / INCL-MATCH / EXCLUDE lines. */
export function makeFilter(s: Settings, debug?: (msg: () => string) => void): PathFilter {
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

/** The filter and the shard together, for listings of objects (relative name and key). */
export class Selection {
  /** Relative names the filter left out while `noting` (--dry-run prints them as 'exclude: ...'). */
  readonly excluded: string[] = [];

  constructor(
    private readonly s: Settings,
    readonly filter: PathFilter,
    public noting: boolean,
  ) {}

  readonly keep = (relative: string, key: string): boolean => {
    if (!inShard(this.s, key)) return false;
    if (this.filter.keeps(relative)) return true;
    if (this.noting) this.excluded.push(relative);
    return false;
  };
}

export function selection(s: Settings, debug: ((msg: () => string) => void) | undefined, noteExcluded: boolean): Selection {
  return new Selection(s, makeFilter(s, debug), noteExcluded);
}
