// s3://bucket/key parsing (s3cmd's S3Uri).

export interface S3Url {
  type: 's3';
  bucket: string;
  key: string;
}
export interface FileUrl {
  type: 'file';
  path: string;
}
export type AnyUrl = S3Url | FileUrl;

export function parseUrl(arg: string): AnyUrl {
  if (/^s3:\/\//i.test(arg)) {
    const rest = arg.slice(5);
    const slash = rest.indexOf('/');
    if (slash < 0) return { type: 's3', bucket: rest, key: '' };
    return { type: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  return { type: 'file', path: arg };
}

export const isS3 = (arg: string) => /^s3:\/\//i.test(arg);

export function s3uri(bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`;
}

/** Bucket-name rules S3 enforces (DNS-compatible); returns a reason or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'may contain only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit';
  if (/\.\./.test(name) || /\.-|-\./.test(name)) return 'must not contain adjacent dots or dots next to hyphens';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  return undefined;
}

/** Encode an object key for a URL path, keeping '/' separators. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((p) => encodeURIComponent(p).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))
    .join('/');
}

/** S3 limits keys to 1024 bytes of UTF-8; returns a reason when a key cannot be stored. */
export function keyProblem(key: string): string | undefined {
  const n = Buffer.byteLength(key, 'utf8');
  if (n > 1024) return `the key is ${n} bytes long; S3 allows at most 1024 bytes`;
  if (n === 0) return 'the key is empty';
  return undefined;
}
