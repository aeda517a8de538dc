// Expanding s3:// arguments into the objects a command acts on (s3cmd's fetch_remote_list),
// streamed page by page so memory does not grow with the bucket.
import type { Context } from './context.ts';
import { listObjects, headObject, type ObjectInfo } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { fnmatch, hasWildcard } from '../sync/fnmatch.ts';
import { ParameterError } from '../cli/exit-codes.ts';
import type { S3Url } from '../s3/uri.ts';

export interface RemoteItem extends ObjectInfo {
  bucket: string;
  /** Key relative to the argument's base (used to build destination names). */
  relative: string;
}

export interface RemoteListOptions {
  recursive: boolean;
  /** HEAD single objects so size/etag are known (get). */
  requireAttribs: boolean;
  filter?: (relative: string, key: string) => boolean;
}

/** Keys for one s3:// argument. */
export async function* expandRemote(ctx: Context, url: S3Url, o: RemoteListOptions): AsyncGenerator<RemoteItem> {
  const c = ctx.s3();
  const { bucket, key } = url;
  const wild = hasWildcard(key);
  if (!o.recursive && !wild) {
    if (!key || key.endsWith('/')) return;
    // s3cmd filters a single named object too, by its base name
    if (o.filter && !o.filter(key.slice(key.lastIndexOf('/') + 1), key)) return;
    if (o.requireAttribs) {
      let h;
      try {
        h = await headObject(c, bucket, key);
      } catch (e) {
        if (e instanceof S3Error && e.status === 404) {
          if (e.code === 'NoSuchBucket') throw e;
          throw new ParameterError(`Source object 's3://${bucket}/${key}' does not exist.`);
        }
        throw e;
      }
      const base = key.slice(key.lastIndexOf('/') + 1);
      yield { bucket, key, relative: base, size: h.size, lastModified: h.lastModified, etag: h.etag, storageClass: h.storageClass };
    } else {
      yield { bucket, key, relative: key.slice(key.lastIndexOf('/') + 1), size: 0, lastModified: new Date(0), etag: '', storageClass: '' };
    }
    return;
  }
  const firstWild = key.search(/[*?]/);
  const prefix = wild ? key.slice(0, firstWild) : key;
  // s3cmd: a wildcard lists recursively only when a '/' follows it ('dir/*.txt' stays in dir/,
  // '*/b.txt' looks one level down and deeper); the match is fnmatch on the whole key.
  const recursive = o.recursive || (wild && key.slice(firstWild).includes('/'));
  // Relative names start after the last '/' of the literal part (s3cmd's rem_base).
  const baseLen = wild ? prefix.lastIndexOf('/') + 1 : key.endsWith('/') ? key.length : key.lastIndexOf('/') + 1;
  for await (const page of listObjects(c, bucket, { prefix, delimiter: recursive ? undefined : '/' })) {
    for (const obj of page.objects) {
      if (wild && !fnmatch(obj.key, key)) continue;
      if (obj.key.endsWith('/') && obj.size === 0 && !recursive) continue;
      const relative = obj.key.slice(baseLen);
      if (!relative) continue;
      if (o.filter && !o.filter(relative, obj.key)) continue;
      yield { ...obj, bucket, relative };
    }
  }
}
