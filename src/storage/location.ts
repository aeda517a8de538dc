// What a sync sees of either side, local or S3: a Location lists its entries sorted by relative
// name (UTF-8 byte order, S3's order) and already filtered, knows an entry's MD5, names where a
// new entry would go, and removes entries in batches. LocalTree (local.ts) and S3Tree (s3.ts)
// implement it; sync/engine.ts runs one merge-join over any pair of them.
import type { LocalTree } from './local.ts';
import type { S3Tree } from './s3.ts';

/** One file or object, named relative to the location's root. */
export interface Entry {
  /** '/'-separated path relative to the location's root. */
  relative: string;
  size: number;
  /** Local path (local side). */
  path?: string;
  /** Object key (S3 side). */
  key?: string;
  etag?: string;
  mtimeMs?: number;
  /** Local side: device and inode (the --cache-file key). */
  dev?: number;
  ino?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  ctimeMs?: number;
  storageClass?: string;
  /** A directory: a local directory, or an S3 directory marker (a key ending in '/'); `relative` ends in '/'. */
  dir?: boolean;
}

/** Where an entry with a given relative name goes in a location. */
export interface Target {
  /** As shown to the user: a local path or an s3:// URI. */
  name: string;
  /** Local side: the path to write, unless `problem` says it would escape the directory. */
  path?: string;
  /** S3 side: the object key (`problem` says when S3 cannot store it). */
  key?: string;
  problem?: string;
}

/** The outcome of removing one entry: `problem` says why it failed. */
export interface Removal {
  entry: Entry;
  problem?: string;
}

export type Location = LocalTree | S3Tree;
