// --exclude/--include/--rexclude/--rinclude (s3cmd semantics: a path is excluded when it matches
// an exclude pattern and no include pattern), and --shard K/N.
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings.ts';
import { fnmatch } from '../sync/fnmatch.ts';
import { ParameterError } from '../cli/exit-codes.ts';

export function makeFilter(s: Settings): (relative: string) => boolean {
  const compile = (pats: string[]) =>
    pats.map((p) => {
      try {
        return new RegExp(p);
      } catch {
        throw new ParameterError(`invalid regular expression '${p}'`);
      }
    });
  const rex = compile(s.rexclude);
  const rin = compile(s.rinclude);
  if (!s.exclude.length && !rex.length) return () => true;
  return (rel: string) => {
    const excluded = s.exclude.some((p) => fnmatch(rel, p)) || rex.some((r) => r.test(rel));
    if (!excluded) return true;
    return s.include.some((p) => fnmatch(rel, p)) || rin.some((r) => r.test(rel));
  };
}

/** Stable partition of keys: shard = first 4 bytes of md5(key) mod N. */
export function shardOf(key: string, count: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % count;
}

export function inShard(s: Settings, key: string): boolean {
  return !s.shard || shardOf(key, s.shard.count) === s.shard.index;
}
