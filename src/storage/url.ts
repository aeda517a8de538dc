// A command-line argument parsed once into what the listing and naming code needs: an s3://
// argument becomes an S3Url (bucket, key, the literal prefix before the first wildcard, the base
// that relative names start after), anything else a local path. The rules are s3cmd's S3Uri and
// fetch_remote_list: '*' and '?' are wildcards ('[' is common in real keys and is not), and names
// are relative to the key up to its last '/' (rem_base), so 's3://b/abc/def' lists as 'def/...'
// and 's3://b/abc/def/' as '...'.
import { parseUrl, s3uri } from '../s3/uri.ts';
import { ParameterError } from '../cli/exit-codes.ts';

export interface S3Url {
  readonly type: 's3';
  readonly bucket: string;
  /** Everything after 's3://bucket/' ('' for the bucket itself). */
  readonly key: string;
  /** The key contains '*' or '?'. */
  readonly wildcard: boolean;
  /** The literal part of the key before the first wildcard (the whole key without one). */
  readonly prefix: string;
  /** Relative names start after this: the literal prefix up to and including its last '/'. */
  readonly base: string;
  /** The key's last path segment ('' when the key ends in '/'). */
  readonly name: string;
  /** 's3://bucket/key' */
  readonly uri: string;
}

export interface LocalPath {
  readonly type: 'file';
  readonly path: string;
}

/** '*' and '?' are wildcards in s3:// arguments; '[' is not. */
export const hasWildcard = (s: string) => /[*?]/.test(s);

const upToLastSlash = (s: string) => s.slice(0, s.lastIndexOf('/') + 1);

export function s3Url(bucket: string, key = ''): S3Url {
  const first = key.search(/[*?]/);
  const prefix = first < 0 ? key : key.slice(0, first);
  return { type: 's3', bucket, key, wildcard: first >= 0, prefix, base: upToLastSlash(prefix), name: key.slice(key.lastIndexOf('/') + 1), uri: s3uri(bucket, key) };
}

/** An argument as given: s3://bucket/key or a local path. */
export function parseArg(arg: string): S3Url | LocalPath {
  const u = parseUrl(arg);
  return u.type === 's3' ? s3Url(u.bucket, u.key) : { type: 'file', path: u.path };
}

/** An argument that must name a bucket (and maybe a key). */
export function s3Arg(arg: string): S3Url {
  const u = parseArg(arg);
  if (u.type !== 's3' || !u.bucket) throw new ParameterError(`Expecting S3 URI instead of '${arg}'`);
  return u;
}
