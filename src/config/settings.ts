// One resolved Settings object from: command-line options > environment (AWS conventions) >
// the .s3cfg file > defaults. Pure apart from reading the config file.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readS3cfg, parseBool, type S3cfgFile } from './s3cfg.ts';
import { EX, S3kError, strerror } from '../errors.ts';

export type CliValues = Record<string, string | boolean | string[] | undefined>;

export class ConfigError extends S3kError {
  /** 78 (EX_CONFIG) unless said otherwise. */
  constructor(message: string, exitCode: number = EX.CONFIG) {
    super(message, exitCode);
    this.name = 'ConfigError';
  }
}

export interface Settings {
  /** The parsed command line and the raw .s3cfg values, for options only some commands read. */
  cliValues: CliValues;
  fileValues: Record<string, string>;
  configPath?: string;
  configLoaded: boolean;
  invalidConfigLines: { line: number; text: string }[];
  /** scheme://host:port */
  endpoint: URL;
  /** Virtual-host template (contains %(bucket)s) or undefined for path style. */
  hostBucketTemplate?: string;
  region: string;
  /** LocationConstraint for mb (undefined for us-east-1/US). */
  bucketLocation?: string;
  cliKeys: { accessKey?: string; secretKey?: string; sessionToken?: string };
  fileKeys: { accessKey?: string; secretKey?: string; sessionToken?: string };
  checkCertificate: boolean;
  checkHostname: boolean;
  caCertsFile?: string;
  maxRetries: number;
  socketTimeoutMs: number;
  multipartChunkBytes: number;
  enableMultipart: boolean;
  parallel: number;
  limitRate: number;
  defaultMimeType: string;
  guessMimeType: boolean;
  /** use_mime_magic / --no-mime-magic: guess from the content (libmagic's way) rather than the name. */
  useMimeMagic: boolean;
  mimeType?: string;
  /** --encoding / encoding: the charset named in the Content-Type of stdin uploads. */
  encoding: string;
  storageClass?: string;
  serverSideEncryption: boolean;
  kmsKey?: string;
  extraHeaders: Record<string, string>;
  aclPublic: boolean;
  preserveAttrs: boolean;
  followSymlinks: boolean;
  humanReadable: boolean;
  listMd5: boolean;
  longListing: boolean;
  recursive: boolean;
  force: boolean;
  dryRun: boolean;
  skipExisting: boolean;
  continueGet: boolean;
  continuePut: boolean;
  uploadId?: string;
  checkMd5: boolean;
  deleteRemoved: boolean;
  deleteAfter: boolean;
  maxDelete: number;
  limit: number;
  stopOnError: boolean;
  progress: boolean;
  stats: boolean;
  json: boolean;
  requesterPays: boolean;
  keepDirs: boolean;
  signatureV2: boolean;
  exclude: string[];
  include: string[];
  rexclude: string[];
  rinclude: string[];
  shard?: { index: number; count: number };
  deleteAfterFetch: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.S3CMD_CONFIG) return env.S3CMD_CONFIG;
  return join(env.HOME || homedir(), '.s3cfg');
}

function intOption(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${name} must be a whole number, not '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, not ${n}`);
  return n;
}

/** `10k`, `2m`, `500` -> bytes per second (s3cmd's limitrate). */
export function parseRate(v: string, name = '--limit-rate'): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v.trim());
  if (!m) throw new ConfigError(`${name} must be a number with optional suffix k or m (e.g. 512k), not '${v}'`);
  const shift = { '': 0, k: 10, m: 20, g: 30 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * 2 ** shift;
}

function regionFromLocation(loc: string): string {
  if (!loc || loc === 'US') return 'us-east-1';
  if (loc === 'EU') return 'eu-west-1';
  return loc;
}

function toEndpoint(hostOrUrl: string, useHttps: boolean, what: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(hostOrUrl) ? hostOrUrl : `${useHttps ? 'https' : 'http'}://${hostOrUrl}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new ConfigError(`${what} is not a valid host or URL: '${hostOrUrl}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${what} must use http or https, not '${u.protocol}'`);
  return new URL(`${u.protocol}//${u.host}`);
}

export function resolveSettings(v: CliValues, env: NodeJS.ProcessEnv): Settings {
  const explicitPath = str(v.config);
  const configPath = explicitPath ?? defaultConfigPath(env);
  let file: S3cfgFile | undefined;
  if (explicitPath || env.S3CMD_CONFIG) {
    if (!existsSync(configPath)) throw new ConfigError(`${configPath}: config file not found. Create it with 's3k --configure', fix the path given with -c / $S3CMD_CONFIG, or omit it to use environment credentials.`);
  }
  if (existsSync(configPath)) {
    try {
      file = readS3cfg(configPath, env);
    } catch (e) {
      throw new ConfigError(`${configPath}: cannot read config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const f = file?.values ?? {};
  const fbool = (name: string, def: boolean): boolean => {
    if (!(name in f)) return def;
    const b = parseBool(f[name]);
    if (b === undefined) throw new ConfigError(`${configPath}: value of option ${name} must be Yes or No, not '${f[name]}'`);
    return b;
  };
  const fint = (name: string, def: number, min: number, max?: number): number => intOption(`${configPath}: ${name}`, f[name], min, max) ?? def;
  const flag = (on: string, off: string | undefined, def: boolean): boolean => {
    if (v[on] === true) return true;
    if (off && v[off] === true) return false;
    return def;
  };

  // Endpoint: --host > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > host_base > AWS default.
  const useHttps = v['no-ssl'] === true ? false : v.ssl === true ? true : fbool('use_https', true);
  let endpoint: URL;
  let hostBucketTemplate: string | undefined;
  const cliHost = str(v.host);
  const envEndpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const region0 = str(v.region) || str(v['bucket-location']);
  const fileLocation = f.bucket_location;
  const region = region0 ? regionFromLocation(region0) : env.AWS_REGION || env.AWS_DEFAULT_REGION || regionFromLocation(fileLocation ?? 'US');
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError(`invalid region '${region}': use a region name like us-east-1`);
  if (cliHost) {
    endpoint = toEndpoint(cliHost, useHttps, '--host');
    const hb = str(v['host-bucket']) ?? f.host_bucket;
    hostBucketTemplate = hb && hb.includes('%(bucket)s') ? hb : undefined;
  } else if (envEndpoint) {
    endpoint = toEndpoint(envEndpoint, true, env.AWS_ENDPOINT_URL_S3 ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL');
    const hb = str(v['host-bucket']);
    hostBucketTemplate = hb && hb.includes('%(bucket)s') ? hb : undefined;
  } else if (f.host_base) {
    endpoint = toEndpoint(f.host_base, useHttps, `${configPath}: host_base`);
    const hb = str(v['host-bucket']) ?? f.host_bucket;
    hostBucketTemplate = hb && hb.includes('%(bucket)s') ? hb : undefined;
  } else {
    const host = region === 'us-east-1' ? 's3.amazonaws.com' : `s3.${region}.amazonaws.com`;
    endpoint = toEndpoint(host, useHttps, 'endpoint');
    hostBucketTemplate = str(v['host-bucket']) ?? `%(bucket)s.${host}`;
    if (!hostBucketTemplate.includes('%(bucket)s')) hostBucketTemplate = undefined;
  }

  const chunkMb = intOption('--multipart-chunk-size-mb', str(v['multipart-chunk-size-mb']), 5, 5120) ?? fint('multipart_chunk_size_mb', 15, 5, 5120);
  const parallel = intOption('--parallel', str(v.parallel), 1, 1024) ?? 16;
  const maxRetries = intOption('--max-retries', str(v['max-retries']), 0, 100) ?? fint('max_retries', 5, 0, 100);
  const limitRateStr = str(v['limit-rate']) ?? f.limitrate;
  const limitRate = limitRateStr ? parseRate(limitRateStr) : 0;
  const maxDelete = intOption('--max-delete', str(v['max-delete']), -1) ?? fint('max_delete', -1, -1);
  const limit = intOption('--limit', str(v.limit), -1) ?? -1;

  let shard: Settings['shard'];
  const shardStr = str(v.shard);
  if (shardStr) {
    const m = /^(\d+)\/(\d+)$/.exec(shardStr);
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new ConfigError(`--shard must be K/N with 0 <= K < N (e.g. 0/4), not '${shardStr}'`);
    shard = { index: Number(m[1]), count: Number(m[2]) };
  }

  const extraHeaders: Record<string, string> = {};
  for (const h of list(v['add-header'])) {
    const i = h.indexOf(':');
    if (i <= 0) throw new ConfigError(`--add-header must be NAME:VALUE, not '${h}'`);
    extraHeaders[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }

  const readPatterns = (files: string[]) =>
    files.flatMap((p) => {
      try {
        return readFileSync(p, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      } catch (e) {
        // s3cmd: error(e), exit EX_IOERR
        const err = e as NodeJS.ErrnoException;
        throw new ConfigError(`[Errno ${-(err.errno ?? 0) || 2}] ${strerror(err)}: '${p}'`, EX.IOERR);
      }
    });

  const caCertsFile = str(v['ca-certs']) ?? (f.ca_certs_file || env.AWS_CA_BUNDLE || undefined);
  let storageClass = str(v['storage-class']) ?? (f.storage_class || undefined);
  if (v['reduced-redundancy'] || v.rr) storageClass = 'REDUCED_REDUNDANCY';

  const maybeLocation = region0 ?? fileLocation;
  const loc = maybeLocation ? regionFromLocation(maybeLocation) : region;

  return {
    cliValues: v,
    fileValues: f,
    configPath: file ? configPath : undefined,
    configLoaded: !!file,
    invalidConfigLines: file?.invalidLines ?? [],
    endpoint,
    hostBucketTemplate,
    region,
    bucketLocation: loc === 'us-east-1' ? undefined : loc,
    cliKeys: { accessKey: str(v.access_key), secretKey: str(v.secret_key), sessionToken: str(v.access_token) },
    fileKeys: { accessKey: f.access_key || undefined, secretKey: f.secret_key || undefined, sessionToken: f.access_token || undefined },
    checkCertificate: flag('check-certificate', 'no-check-certificate', fbool('check_ssl_certificate', true)),
    checkHostname: flag('check-hostname', 'no-check-hostname', fbool('check_ssl_hostname', true)),
    caCertsFile,
    maxRetries,
    socketTimeoutMs: fint('socket_timeout', 300, 1) * 1000,
    multipartChunkBytes: chunkMb * 1024 * 1024,
    enableMultipart: v['disable-multipart'] === true ? false : fbool('enable_multipart', true),
    parallel,
    limitRate,
    defaultMimeType: str(v['default-mime-type']) ?? (f.default_mime_type || 'binary/octet-stream'),
    guessMimeType: flag('guess-mime-type', 'no-guess-mime-type', fbool('guess_mime_type', true)),
    useMimeMagic: v['no-mime-magic'] === true ? false : fbool('use_mime_magic', true),
    mimeType: str(v['mime-type']) ?? (f.mime_type || undefined),
    encoding: str(v.encoding) ?? (f.encoding || 'UTF-8'),
    storageClass,
    serverSideEncryption: v['server-side-encryption'] === true || fbool('server_side_encryption', false),
    kmsKey: str(v['server-side-encryption-kms-id']) ?? (f.kms_key || undefined),
    extraHeaders,
    aclPublic: v['acl-public'] === true ? true : v['acl-private'] === true ? false : fbool('acl_public', false),
    preserveAttrs: flag('preserve', 'no-preserve', fbool('preserve_attrs', true)),
    followSymlinks: v['follow-symlinks'] === true || fbool('follow_symlinks', false),
    humanReadable: v['human-readable-sizes'] === true || fbool('human_readable_sizes', false),
    listMd5: v['list-md5'] === true || fbool('list_md5', false),
    longListing: v['long-listing'] === true || fbool('long_listing', false),
    recursive: v.recursive === true,
    force: v.force === true,
    dryRun: v['dry-run'] === true,
    skipExisting: v['skip-existing'] === true || fbool('skip_existing', false),
    continueGet: v.continue === true,
    continuePut: v['continue-put'] === true,
    uploadId: str(v['upload-id']),
    checkMd5: flag('check-md5', 'no-check-md5', fbool('check_md5', true)),
    deleteRemoved: flag('delete-removed', 'no-delete-removed', fbool('delete_removed', false)),
    deleteAfter: v['delete-after'] === true || fbool('delete_after', false),
    maxDelete,
    limit,
    stopOnError: v['stop-on-error'] === true || fbool('stop_on_error', false),
    progress: flag('progress', 'no-progress', !!process.stdout.isTTY),
    stats: v.stats === true || fbool('stats', false),
    json: v.json === true,
    requesterPays: v['requester-pays'] === true,
    keepDirs: v['keep-dirs'] === true,
    signatureV2: v['signature-v2'] === true || fbool('signature_v2', false),
    exclude: [...list(v.exclude), ...readPatterns(list(v['exclude-from']))],
    include: [...list(v.include), ...readPatterns(list(v['include-from']))],
    rexclude: [...list(v.rexclude), ...readPatterns(list(v['rexclude-from']))],
    rinclude: [...list(v.rinclude), ...readPatterns(list(v['rinclude-from']))],
    shard,
    deleteAfterFetch: v['delete-after-fetch'] === true,
  };
}
