// Objects in S3 as the commands and sync see them. Every listing of an s3:// argument goes through
// listPages (page by page, so memory does not grow with the bucket; bucketProblem names the bucket
// of a listing that failed because it is missing or forbidden):
//  - listView: what ls shows (directories and objects of one level, or all with -r; wildcards);
//  - expand: the objects a multi-key command acts on (s3cmd's fetch_remote_list: one named key,
//    a wildcard, or a prefix with -r; relative names as s3cmd computes them; filter and shard);
//  - S3Tree: one side of a sync (every object under a prefix, or one key).
// Also the MD5 S3 knows for an object (ETag, s3cmd-attrs, rclone's md5chksum) and batched removal.
import type { S3Client } from '../s3/client.ts';
import { listObjects, headObject, deleteObjects, type ListPage, type ObjectInfo } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { s3uri, keyProblem } from '../s3/uri.ts';
import { ParameterError } from '../cli/exit-codes.ts';
import { fnmatch } from './fnmatch.ts';
import { attrsMd5, isMd5Hex } from './attrs.ts';
import type { S3Url } from './url.ts';
import type { Entry, Removal, Target } from './location.ts';

/** The bucket a failed listing was reading (the error itself stays as the server's answer made it). */
const listedBucket = new WeakMap<object, string>();

/**
 * s3cmd's line naming the bucket of an error about the bucket as a whole ("Bucket 'b' does not
 * exist", "Access to bucket 'b' was denied"): for an error from listPages, or for `bucket`.
 */
export function bucketProblem(e: unknown, bucket?: string): string | undefined {
  if (!(e instanceof S3Error)) return undefined;
  const b = bucket ?? listedBucket.get(e);
  if (b === undefined) return undefined;
  if (e.code === 'NoSuchBucket') return `Bucket '${b}' does not exist`;
  if (e.code === 'AccessDenied') return `Access to bucket '${b}' was denied`;
  return undefined;
}

export interface PageOptions {
  prefix: string;
  /** Every key under the prefix; otherwise one level (keys below a '/' come as directories). */
  recursive: boolean;
  /** Stop after this many keys and directories (0: no limit). */
  limit?: number;
}

/** ListObjectsV2 pages under a prefix. */
export async function* listPages(c: S3Client, bucket: string, o: PageOptions): AsyncGenerator<ListPage> {
  try {
    yield* listObjects(c, bucket, { prefix: o.prefix, delimiter: o.recursive ? undefined : '/', limit: o.limit });
  } catch (e) {
    if (e instanceof S3Error && !listedBucket.has(e)) listedBucket.set(e, bucket);
    throw e;
  }
}

async function* listKeys(c: S3Client, bucket: string, prefix: string, recursive: boolean): AsyncGenerator<ObjectInfo> {
  for await (const page of listPages(c, bucket, { prefix, recursive })) yield* page.objects;
}

/**
 * What ls lists for an argument, page by page: a key ending in a single '*' is a plain prefix (as
 * in s3cmd); other wildcards are matched (fnmatch) against keys and directories, listed from the
 * literal part before the first '*', '?' or '['.
 */
export async function* listView(c: S3Client, url: S3Url, o: { recursive: boolean; limit?: number }): AsyncGenerator<ListPage> {
  let prefix = url.key;
  let pattern: string | undefined;
  if (url.wildcard) {
    if (/^[^*?[]*\*$/.test(prefix)) prefix = prefix.slice(0, -1);
    else {
      pattern = prefix;
      prefix = prefix.slice(0, prefix.search(/[*?[]/));
    }
  }
  for await (const page of listPages(c, url.bucket, { prefix, recursive: o.recursive, limit: o.limit })) {
    if (!pattern) {
      yield page;
      continue;
    }
    const p = pattern;
    yield {
      prefixes: page.prefixes.filter((d) => fnmatch(d, p) || fnmatch(d.replace(/\/$/, ''), p)),
      objects: page.objects.filter((x) => fnmatch(x.key, p)),
    };
  }
}

export interface RemoteItem {
  bucket: string;
  key: string;
  /** Name relative to the argument's base (s3cmd's remote_list key), for destination names and filters. */
  relative: string;
  /** Known from a listing or a HEAD; unknown for a single named key without requireAttribs. */
  size?: number;
  etag?: string;
  lastModified?: Date;
  storageClass?: string;
}

export interface ExpandOptions {
  /** -r: every key under the argument. */
  recursive: boolean;
  /** HEAD a single named key so its size and ETag are known; a missing key is a parameter problem. */
  requireAttribs?: boolean;
  /**
   * s3cmd's "asked for one file and got it": with -r, a key that names an existing object stands
   * for that object alone, not for every key it prefixes (s3cmd's batch delete does not do this).
   */
  exactObject?: boolean;
  /** Keep this item (--exclude/--include on the relative name, --shard on the key). */
  keep?: (relative: string, key: string) => boolean;
  /** A listed key whose relative name is empty (a directory marker at the base). */
  onEmptyName?: (key: string) => void;
}

/**
 * The objects one s3:// argument names: a single key (without -r or wildcards), the keys matching a
 * wildcard (listed recursively only when a '/' follows the first wildcard: 'dir/*.txt' stays in
 * dir/, '*' + '/b.txt' looks below), or with -r every key under the argument.
 */
export async function* expand(c: S3Client, url: S3Url, o: ExpandOptions): AsyncGenerator<RemoteItem> {
  const { bucket, key } = url;
  if (!o.recursive && !url.wildcard) {
    if (!url.name) throw new ParameterError(`Expecting S3 URI with a filename or --recursive: ${url.uri}`);
    if (o.keep && !o.keep(url.name, key)) return;
    if (!o.requireAttribs) {
      yield { bucket, key, relative: url.name };
      return;
    }
    let h;
    try {
      h = await headObject(c, bucket, key);
    } catch (e) {
      if (e instanceof S3Error && e.status === 404) {
        if (e.code === 'NoSuchBucket') throw e;
        throw new ParameterError(`Source object '${url.uri}' does not exist.`);
      }
      throw e;
    }
    yield { bucket, key, relative: url.name, size: h.size, lastModified: h.lastModified, etag: h.etag, storageClass: h.storageClass };
    return;
  }
  const recursive = o.recursive || (url.wildcard && key.slice(url.prefix.length).includes('/'));
  let first = true;
  for await (const obj of listKeys(c, bucket, url.prefix, recursive)) {
    if (url.wildcard && !fnmatch(obj.key, key)) continue;
    if (first && o.exactObject && !url.wildcard && url.name && obj.key === key) {
      if (!o.keep || o.keep(url.name, key)) yield { ...obj, bucket, relative: url.name };
      return;
    }
    first = false;
    // a directory marker at a wildcard's own level is not an object to act on
    if (!recursive && obj.key.endsWith('/') && obj.size === 0) continue;
    const relative = obj.key.slice(url.base.length);
    if (!relative) {
      o.onEmptyName?.(obj.key);
      continue;
    }
    if (o.keep && !o.keep(relative, obj.key)) continue;
    yield { ...obj, bucket, relative };
  }
}

/**
 * The MD5 S3 knows for an object: a plain ETag, else s3cmd-attrs md5 or rclone's md5chksum (HEAD).
 * `copySource`: the object is the source of server-side copies, read with the copy-source SSE-C key.
 */
export async function remoteMd5(c: S3Client, bucket: string, key: string, etag: string | undefined, copySource = false): Promise<string | undefined> {
  // with SSE-C the ETag is not the MD5 of the data (AWS): ask the object (HEAD carries the key)
  if (isMd5Hex(etag) && !(copySource ? c.copySourceKeyInUse : c.customerKeyInUse)) return etag;
  try {
    const h = await headObject(c, bucket, key, copySource);
    const md5 = attrsMd5(h.metadata['s3cmd-attrs']);
    if (md5) return md5;
    const rc = h.metadata['md5chksum'];
    if (rc) {
      const hex = Buffer.from(rc, 'base64').toString('hex');
      if (isMd5Hex(hex)) return hex;
    }
  } catch (err) {
    if (!(err instanceof S3Error && err.status === 404)) throw err;
  }
  return undefined;
}

/** One DeleteObjects request (at most 1000 keys): the keys that could not be deleted, with why. */
export async function removeKeys(c: S3Client, bucket: string, keys: string[]): Promise<Map<string, { code: string; message: string }>> {
  const res = await deleteObjects(c, bucket, keys);
  return new Map(res.errors.map((e) => [e.key, { code: e.code, message: e.message }]));
}

export interface S3TreeOptions {
  /** Keep the entry with this relative name (--exclude/--include). */
  keep: (relative: string) => boolean;
  /** Just this key, under this relative name (a single-file sync). */
  only?: { key: string; relative: string };
  /** List directory markers (keys ending in '/') as directory entries. */
  dirs?: boolean;
  /**
   * The source of server-side copies (an S3 -> S3 sync's source): its HEADs carry the copy-source
   * SSE-C key (--sse-copy-source-customer-key), as the copies that read it do.
   */
  copySource?: boolean;
}

/**
 * One side of a sync in S3: every object under a prefix ('' or ending in '/'), named relative to
 * it (directory markers only when asked for), or one key. The prefix is literal: no wildcards, as in s3cmd's
 * recursive listings. New entries are written at prefix + relative name (or at the one key).
 */
export class S3Tree {
  readonly kind = 's3';

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
    private readonly o: S3TreeOptions,
  ) {}

  async *list(): AsyncGenerator<Entry> {
    const only = this.o.only;
    for await (const obj of listKeys(this.client, this.bucket, only ? only.key : this.prefix, true)) {
      if (only) {
        if (obj.key === only.key && this.o.keep(only.relative)) yield this.entry(obj, only.relative);
        continue;
      }
      const relative = obj.key.slice(this.prefix.length);
      if (!relative || (relative.endsWith('/') && !this.o.dirs) || !this.o.keep(relative)) continue;
      yield this.entry(obj, relative);
    }
  }

  private entry(o: ObjectInfo, relative: string): Entry {
    const e: Entry = { relative, size: o.size, key: o.key, etag: o.etag, mtimeMs: o.lastModified.getTime(), storageClass: o.storageClass };
    if (o.key.endsWith('/')) e.dir = true;
    return e;
  }

  name(e: Entry): string {
    return s3uri(this.bucket, e.key!);
  }

  md5(e: Entry): Promise<string | undefined> {
    return remoteMd5(this.client, this.bucket, e.key!, e.etag, this.o.copySource);
  }

  target(relative: string): Target {
    const key = this.o.only ? this.o.only.key : this.prefix + relative;
    return { name: s3uri(this.bucket, key), key, problem: keyProblem(key) };
  }

  async remove(batch: Entry[]): Promise<Removal[]> {
    const failed = await removeKeys(this.client, this.bucket, batch.map((e) => e.key!));
    return batch.map((entry) => {
      const f = failed.get(entry.key!);
      return f ? { entry, problem: `${f.code} ${f.message}` } : { entry };
    });
  }
}
