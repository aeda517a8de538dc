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

/** The public (anonymous) URL of a bucket or object, in the endpoint's addressing style. */
export function publicUrl(endpoint: URL, hostBucketTemplate: string | undefined, bucket: string, key: string): string {
  if (hostBucketTemplate && !bucket.includes('.')) return `${endpoint.protocol}//${hostBucketTemplate.replace('%(bucket)s', bucket)}/${key}`;
  return `${endpoint.protocol}//${endpoint.host}/${bucket}/${key}`;
}

/**
 * s3cmd's check_bucket_name: the reason a bucket name is refused before any request, in s3cmd's
 * words, or undefined. dnsStrict (s3cmd uses it when creating a bucket outside US/us-east-1)
 * applies the DNS rules; otherwise only the character set and the length are checked and the
 * server decides the rest.
 */
export function bucketNameProblem(name: string, dnsStrict = true): string | undefined {
  const bad = (dnsStrict ? /[^a-z0-9.-]/ : /[^A-Za-z0-9._-]/).exec(name);
  if (bad)
    return dnsStrict
      ? `Bucket name '${name}' contains disallowed character '${bad[0]}'. The only supported ones are: lowercase us-ascii letters (a-z), digits (0-9), dot (.) and hyphen (-).`
      : `Bucket name '${name}' contains disallowed character '${bad[0]}'. The only supported ones are: us-ascii letters (a-z, A-Z), digits (0-9), dot (.), hyphen (-) and underscore (_).`;
  if (name.length < 3) return `Bucket name '${name}' is too short (min 3 characters)`;
  if (name.length > 255) return `Bucket name '${name}' is too long (max 255 characters)`;
  if (dnsStrict) {
    if (name.length > 63) return `Bucket name '${name}' is too long (max 63 characters)`;
    if (name.includes('-.')) return `Bucket name '${name}' must not contain sequence '-.' for DNS compatibility`;
    if (name.includes('..')) return `Bucket name '${name}' must not contain sequence '..' for DNS compatibility`;
    if (!/^[0-9a-z]/.test(name)) return `Bucket name '${name}' must start with a letter or a digit`;
    if (!/[0-9a-z]$/.test(name)) return `Bucket name '${name}' must end with a letter or a digit`;
  }
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
