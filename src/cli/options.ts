// s3cmd's command-line grammar on node:util parseArgs: options may come before or after the
// command word, short flags combine (-rf), `--opt=value` and `--opt value` both work.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ParameterError } from './exit-codes.ts';

type Opt = { type: 'boolean' | 'string'; short?: string; multiple?: boolean; help?: string; metavar?: string };

/** The option table: every option s3cmd scripts use, plus s3k's own (--parallel, --json, --shard). */
export const OPTIONS: Record<string, Opt> = {
  help: { type: 'boolean', short: 'h', help: 'show this help message and exit' },
  configure: { type: 'boolean', help: 'Invoke interactive (re)configuration tool' },
  config: { type: 'string', short: 'c', metavar: 'FILE', help: 'Config file name. Defaults to $S3CMD_CONFIG or ~/.s3cfg' },
  'dump-config': { type: 'boolean', help: 'Dump current configuration after parsing config files and command line options and exit' },
  access_key: { type: 'string', metavar: 'KEY', help: 'AWS Access Key' },
  secret_key: { type: 'string', metavar: 'KEY', help: 'AWS Secret Key' },
  access_token: { type: 'string', metavar: 'TOKEN', help: 'AWS Access Token (session token)' },
  'dry-run': { type: 'boolean', short: 'n', help: 'Only show what should be uploaded or downloaded but don\'t actually do it' },
  ssl: { type: 'boolean', short: 's', help: 'Use HTTPS connection when communicating with S3 (default)' },
  'no-ssl': { type: 'boolean', help: "Don't use HTTPS" },
  encrypt: { type: 'boolean', short: 'e', help: 'Encrypt files before uploading (not supported by s3k)' },
  'no-encrypt': { type: 'boolean', help: "Don't encrypt files" },
  force: { type: 'boolean', short: 'f', help: 'Force overwrite and other dangerous operations' },
  continue: { type: 'boolean', help: 'Continue getting a partially downloaded file (only for [get] command)' },
  'continue-put': { type: 'boolean', help: 'Continue uploading partially uploaded files or multipart upload parts' },
  'upload-id': { type: 'string', metavar: 'UPLOAD_ID', help: 'UploadId for Multipart Upload, in case you want continue an existing upload' },
  'skip-existing': { type: 'boolean', help: 'Skip over files that exist at the destination (only for [get] and [sync] commands)' },
  recursive: { type: 'boolean', short: 'r', help: 'Recursive upload, download or removal' },
  'check-md5': { type: 'boolean', help: 'Check MD5 sums when comparing files for [sync] (default)' },
  'no-check-md5': { type: 'boolean', help: 'Do not check MD5 sums when comparing files for [sync]' },
  'acl-public': { type: 'boolean', short: 'P', help: 'Store objects with ACL allowing read for anyone' },
  'acl-private': { type: 'boolean', help: 'Store objects with default ACL allowing access for you only' },
  'acl-grant': { type: 'string', multiple: true, metavar: 'PERMISSION:EMAIL or USER_CANONICAL_ID', help: 'Grant stated permission to a given amazon user' },
  'acl-revoke': { type: 'string', multiple: true, metavar: 'PERMISSION:USER_CANONICAL_ID', help: 'Revoke stated permission for a given amazon user' },
  'restore-days': { type: 'string', short: 'D', metavar: 'NUM', help: 'Number of days to keep restored file available (only for [restore] command)' },
  'restore-priority': { type: 'string', metavar: 'PRIORITY', help: 'Priority for restoring files from S3 Glacier (only for [restore] command)' },
  'delete-removed': { type: 'boolean', help: 'Delete destination objects with no corresponding source file [sync]' },
  'no-delete-removed': { type: 'boolean', help: "Don't delete destination objects [sync]" },
  'delete-after': { type: 'boolean', help: 'Perform deletes AFTER new uploads when delete-removed is enabled [sync]' },
  'max-delete': { type: 'string', metavar: 'NUM', help: 'Do not delete more than NUM files. [del] and [sync]' },
  limit: { type: 'string', metavar: 'NUM', help: 'Limit number of objects returned in the response body (only for [ls] and [la] commands)' },
  'delete-after-fetch': { type: 'boolean', help: 'Delete remote objects after fetching to local file (only for [get] and [sync] commands)' },
  preserve: { type: 'boolean', short: 'p', help: 'Preserve filesystem attributes (mode, ownership, timestamps). Default for [sync] command' },
  'no-preserve': { type: 'boolean', help: "Don't store FS attributes" },
  exclude: { type: 'string', multiple: true, metavar: 'GLOB', help: 'Filenames and paths matching GLOB will be excluded from sync' },
  'exclude-from': { type: 'string', multiple: true, metavar: 'FILE', help: 'Read --exclude GLOBs from FILE' },
  rexclude: { type: 'string', multiple: true, metavar: 'REGEXP', help: 'Filenames and paths matching REGEXP (regular expression) will be excluded from sync' },
  'rexclude-from': { type: 'string', multiple: true, metavar: 'FILE', help: 'Read --rexclude REGEXPs from FILE' },
  include: { type: 'string', multiple: true, metavar: 'GLOB', help: 'Filenames and paths matching GLOB will be included even if previously excluded by one of --(r)exclude(-from) patterns' },
  'include-from': { type: 'string', multiple: true, metavar: 'FILE', help: 'Read --include GLOBs from FILE' },
  rinclude: { type: 'string', multiple: true, metavar: 'REGEXP', help: 'Same as --include but uses REGEXP (regular expression) instead of GLOB' },
  'rinclude-from': { type: 'string', multiple: true, metavar: 'FILE', help: 'Read --rinclude REGEXPs from FILE' },
  'files-from': { type: 'string', multiple: true, metavar: 'FILE', help: 'Read list of source-file names from FILE. Use - to read from stdin.' },
  region: { type: 'string', metavar: 'REGION', help: 'Region to create bucket in. As of now the regions are: us-east-1, us-west-1, ... (same as --bucket-location)' },
  'bucket-location': { type: 'string', metavar: 'BUCKET_LOCATION', help: 'Same as --region' },
  host: { type: 'string', metavar: 'HOSTNAME', help: 'HOSTNAME:PORT for S3 endpoint (default: s3.amazonaws.com, alternatives such as s3-eu-west-1.amazonaws.com)' },
  'host-bucket': { type: 'string', metavar: 'HOST_BUCKET', help: 'DNS-style bucket+hostname:port template for accessing a bucket (default: %(bucket)s.s3.amazonaws.com)' },
  'reduced-redundancy': { type: 'boolean', help: 'Store object with \'Reduced redundancy\'. Lower per-GB price. [put, cp, mv]' },
  rr: { type: 'boolean', help: 'Same as --reduced-redundancy' },
  'no-reduced-redundancy': { type: 'boolean', help: "Store object without 'Reduced redundancy'" },
  'storage-class': { type: 'string', metavar: 'CLASS', help: 'Store object with specified CLASS (STANDARD, STANDARD_IA, or REDUCED_REDUNDANCY). [put, cp, mv]' },
  'default-mime-type': { type: 'string', metavar: 'DEFAULT_MIME_TYPE', help: 'Default MIME-type for stored objects. Application default is binary/octet-stream.' },
  'guess-mime-type': { type: 'boolean', short: 'M', help: 'Guess MIME-type of files by their extension. Falls back to default MIME-Type as specified by --default-mime-type option' },
  'no-guess-mime-type': { type: 'boolean', help: "Don't guess MIME-type and use the default type instead." },
  'no-mime-magic': { type: 'boolean', help: "Don't use mime magic when guessing MIME-type." },
  'mime-type': { type: 'string', short: 'm', metavar: 'MIME/TYPE', help: 'Force MIME-type. Override both --default-mime-type and --guess-mime-type.' },
  'add-header': { type: 'string', multiple: true, metavar: 'NAME:VALUE', help: 'Add a given HTTP header to the upload request. Can be used multiple times.' },
  'remove-header': { type: 'string', multiple: true, metavar: 'NAME', help: 'Remove a given HTTP header. Can be used multiple times. [modify]' },
  'server-side-encryption': { type: 'boolean', help: 'Specifies that server-side encryption will be used when putting objects. [put, sync, cp, modify]' },
  'server-side-encryption-kms-id': { type: 'string', metavar: 'KMS_KEY', help: 'Specifies the key id used for server-side encryption with AWS KMS-Managed Keys (SSE-KMS)' },
  encoding: { type: 'string', metavar: 'ENCODING', help: 'Override autodetected terminal and filesystem encoding (character set).' },
  'disable-multipart': { type: 'boolean', help: 'Disable multipart upload on files bigger than --multipart-chunk-size-mb' },
  'multipart-chunk-size-mb': { type: 'string', metavar: 'SIZE', help: 'Size of each chunk of a multipart upload. Files bigger than SIZE are automatically uploaded as multithreaded-multipart, smaller files are uploaded using the traditional method. SIZE is in Mega-Bytes, default chunk size is 15MB, minimum allowed chunk size is 5MB, maximum is 5GB.' },
  'list-md5': { type: 'boolean', help: 'Include MD5 sums in bucket listings (only for \'ls\' command).' },
  'long-listing': { type: 'boolean', short: 'l', help: 'Produce long listing [ls]' },
  'human-readable-sizes': { type: 'boolean', short: 'H', help: 'Print sizes in human readable form (eg 1kB instead of 1234).' },
  'expiry-date': { type: 'string', metavar: 'EXPIRY_DATE', help: 'Indicates when the expiration rule takes effect. (only for [expire] command)' },
  'expiry-days': { type: 'string', metavar: 'EXPIRY_DAYS', help: 'Indicates the number of days after object creation the expiration rule takes effect. (only for [expire] command)' },
  'expiry-prefix': { type: 'string', metavar: 'EXPIRY_PREFIX', help: 'Identifying one or more objects with the prefix to which the expiration rule applies. (only for [expire] command)' },
  progress: { type: 'boolean', help: 'Display progress meter (default on TTY).' },
  'no-progress': { type: 'boolean', help: "Don't display progress meter (default on non-TTY)." },
  stats: { type: 'boolean', help: 'Give some file-transfer stats.' },
  'cache-file': { type: 'string', metavar: 'FILE', help: 'Cache FILE containing local source MD5 values' },
  'follow-symlinks': { type: 'boolean', short: 'F', help: 'Follow symbolic links as if they are regular files' },
  'ca-certs': { type: 'string', metavar: 'CA_CERTS_FILE', help: 'Path to SSL CA certificate FILE (instead of system default)' },
  'check-certificate': { type: 'boolean', help: 'Check SSL certificate validity' },
  'no-check-certificate': { type: 'boolean', help: 'Do not check SSL certificate validity' },
  'check-hostname': { type: 'boolean', help: 'Check SSL certificate hostname validity' },
  'no-check-hostname': { type: 'boolean', help: 'Do not check SSL certificate hostname validity' },
  'signature-v2': { type: 'boolean', help: "Use AWS Signature version 2 instead of newer signature methods. Helpful for S3-like systems that don't have AWS Signature v4 yet." },
  'limit-rate': { type: 'string', metavar: 'LIMITRATE', help: 'Limit the upload or download speed to amount bytes per second. Amount may be expressed in bytes, kilobytes with the k suffix, or megabytes with the m suffix' },
  'requester-pays': { type: 'boolean', help: 'Set the REQUESTER PAYS flag for operations' },
  'stop-on-error': { type: 'boolean', help: 'Stop if error in transfer' },
  'content-disposition': { type: 'string', metavar: 'CONTENT_DISPOSITION', help: 'Provide a Content-Disposition for signed URLs, e.g., "inline; filename=myvideo.mp4"' },
  'content-type': { type: 'string', metavar: 'CONTENT_TYPE', help: 'Provide a Content-Type for signed URLs, e.g., "video/mp4"' },
  'max-retries': { type: 'string', metavar: 'NUM', help: 'Maximum number of times to retry a failed request before giving up. Default is 5' },
  'keep-dirs': { type: 'boolean', help: 'Preserve directory structure (for [put] and [cp] of directories with -r)' },
  verbose: { type: 'boolean', short: 'v', help: 'Enable verbose output.' },
  debug: { type: 'boolean', short: 'd', help: 'Enable debug output (secrets are redacted).' },
  version: { type: 'boolean', help: 'Show s3k version and exit.' },
  quiet: { type: 'boolean', short: 'q', help: 'Silence output on stdout' },
  // s3k additions
  parallel: { type: 'string', metavar: 'N', help: '[s3k] Concurrent requests for transfers (default 16)' },
  json: { type: 'boolean', help: '[s3k] Print results as JSON (ls, la, du, info, whoami)' },
  shard: { type: 'string', metavar: 'K/N', help: '[s3k] Process only shard K of N (0-based) of the keys' },
};

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommandLine {
  values: OptionValues;
  positionals: string[];
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const config: ParseArgsConfig = {
    args: argv,
    options: Object.fromEntries(
      Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
    ),
    allowPositionals: true,
    strict: true,
  };
  // A lone '-' (stdin/stdout) is a positional; parseArgs handles that already.
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    throw translate(e as Error);
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals };
}

function translate(err: Error): ParameterError {
  const msg = String(err.message);
  let m = /Unknown option '([^']+)'/.exec(msg);
  if (m) return new ParameterError(`no such option: ${m[1]}. Run 's3k --help' for the list of options.`);
  m = /Option '([^']+)' argument missing/.exec(msg);
  if (m) return new ParameterError(`${m[1].split(',').pop()!.trim().split(' ')[0]} option requires an argument`);
  m = /Option '([^']+)' does not take an argument/.exec(msg);
  if (m) return new ParameterError(`${m[1].split(',').pop()!.trim()} option does not take a value`);
  return new ParameterError(msg.split('\n')[0]);
}
