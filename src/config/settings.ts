// One resolved Settings object from: command-line options > environment (AWS conventions) >
// the .s3cfg file > defaults, record by record as the option table (cli/options.ts) describes them.
// Pure apart from reading the config file and the --*-from pattern files.
// (config/ reads the table that DESIGN.md puts in cli/; cli/ imports nothing from config/.)
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readS3cfg, parseBool, type S3cfgFile } from './s3cfg.ts';
import { EX, S3kError, strerror } from '../errors.ts';
import { OPTIONS, OptionValueError, checkValue, optionByDest, rate, type AclChange, type OptionRecord, type OptionValues, type ValueOption } from '../cli/options.ts';
import { ParameterError, UnsupportedOptionError } from '../cli/exit-codes.ts';
import { isAwsHost, parseEndpointFlag, s3Host, type EndpointFlags } from './aws-endpoints.ts';

export type CliValues = OptionValues;
export type { AclChange };

export class ConfigError extends S3kError {
  /** 78 (EX_CONFIG) unless said otherwise. */
  constructor(message: string, exitCode: number = EX.CONFIG) {
    super(message, exitCode);
    this.name = 'ConfigError';
  }
}

export type Source = 'cli' | 'env' | 's3cfg' | 'default';

/** One record's value and where it came from. */
export interface Resolved {
  value: unknown;
  source: Source;
  /** The flag, environment variable or .s3cfg key that set it (for messages). */
  from?: string;
}

export interface Settings {
  /** Every record of the option table, resolved (by dest): --dump-config and the refusals read these. */
  options: Record<string, Resolved>;
  /** The raw .s3cfg values (for --dump-config, which keeps keys s3k does not know). */
  fileValues: Record<string, string>;
  configPath?: string;
  configLoaded: boolean;
  invalidConfigLines: { line: number; text: string }[];
  /** scheme://host:port */
  endpoint: URL;
  /** Virtual-host template (contains %(bucket)s) or undefined for path style. */
  hostBucketTemplate?: string;
  /**
   * The S3 endpoint is AWS's own (an AWS host name): a bucket found in another region is sent to
   * that region's host, named by awsS3Host (FIPS / dual-stack as configured).
   */
  awsS3Host?: (region: string) => string;
  /** AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT (or the AWS profile's use_*_endpoint): for S3 and STS. */
  endpointFlags: EndpointFlags;
  region: string;
  /** LocationConstraint for mb (undefined for us-east-1/US). */
  bucketLocation?: string;
  cliKeys: { accessKey?: string; secretKey?: string; sessionToken?: string };
  fileKeys: { accessKey?: string; secretKey?: string; sessionToken?: string };
  checkCertificate: boolean;
  checkHostname: boolean;
  caCertsFile?: string;
  /** .s3cfg proxy_host / proxy_port: the HTTP proxy for every endpoint but IMDS and the container agents. */
  proxyHost?: string;
  proxyPort: number;
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
  /** SSE-C: the customer key (raw 32 bytes) for object data, and the one of server-side copy sources. */
  sseCustomerKey?: { algorithm: string; key: Buffer };
  sseCopySourceKey?: { algorithm: string; key: Buffer };
  /** --add-header (and .s3cfg add_headers): lower-case name -> value, in the order given. */
  extraHeaders: Record<string, string>;
  /** Lower-case header names (--remove-header). */
  removeHeaders: string[];
  /** true: -P / acl_public = True; false: --acl-private / acl_public = False; undefined: neither. */
  aclPublic?: boolean;
  aclGrants: AclChange[];
  aclRevokes: AclChange[];
  preserveAttrs: boolean;
  /** --cache-file: where local files' MD5s are kept between syncs ('' none). */
  cacheFile: string;
  /** --keep-dirs: directories are stored as 'dir/' objects by sync. */
  keepDirs: boolean;
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
  delayUpdates: boolean;
  maxDelete: number;
  limit: number;
  stopOnError: boolean;
  progress: boolean;
  /** Seconds between 'progress:' lines on stderr while the meter is off; 0 after --no-progress. */
  progressInterval: number;
  stats: boolean;
  json: boolean;
  requesterPays: boolean;
  /** --signature-v2 / signature_v2: sign with AWS Signature Version 2 (and SigV2 signurl). */
  signatureV2: boolean;
  /** --no-sign-request: unsigned requests, no credential lookup at all. */
  noSignRequest: boolean;
  exclude: string[];
  include: string[];
  rexclude: string[];
  rinclude: string[];
  shard?: { index: number; count: number };
  expiryDate?: string;
  expiryDays?: string;
  expiryPrefix: string;
  restoreDays: number;
  restorePriority: string;
  contentDisposition?: string;
  contentType?: string;
  websiteIndex: string;
  websiteError?: string;
  websiteEndpoint: string;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.S3CMD_CONFIG) return env.S3CMD_CONFIG;
  return join(env.HOME || homedir(), '.s3cfg');
}

/** `10k`, `2m`, `500` -> bytes per second (s3cmd's limitrate). */
export function parseRate(v: string, name = '--limit-rate'): number {
  try {
    return rate.parse(v);
  } catch (e) {
    if (e instanceof OptionValueError) throw new ConfigError(`${name} must be ${e.expected}, not '${v}'`);
    throw e;
  }
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

/**
 * Every record of the table resolved: command line > environment > .s3cfg > default (credentials:
 * command line > .s3cfg > environment, s3cmd's order). Lists from .s3cfg and the command line add up.
 */
export function resolveOptions(v: CliValues, env: NodeJS.ProcessEnv, file: Record<string, string>, configPath = '.s3cfg'): Record<string, Resolved> {
  const out: Record<string, Resolved> = {};
  const fromFile = (r: OptionRecord, raw: string): unknown => {
    const key = r.s3cfg!;
    if (r.kind === 'bool') {
      // a tri-state (acl_public) left empty or None in the file is not set
      if (r.default === undefined && /^\s*(none)?\s*$/i.test(raw)) return undefined;
      const b = parseBool(raw);
      if (b === undefined) {
        throw new ConfigError(`${configPath}: value of option ${key} must be Yes or No, not '${raw}'`);
      }
      return b;
    }
    try {
      return r.parser.parse(raw);
    } catch (e) {
      if (e instanceof OptionValueError) throw new ConfigError(`${configPath}: ${key} must be ${e.expected}, not '${raw}'`);
      throw e;
    }
  };
  for (const r of OPTIONS) {
    const fileRaw = r.s3cfg && !r.s3cfgIgnored ? file[r.s3cfg] : undefined;
    if (r.kind === 'list') {
      const cli = r.flags.flatMap((f) => (v[f.long] === undefined ? [] : Array.isArray(v[f.long]) ? (v[f.long] as string[]) : [String(v[f.long])]));
      const fromCfg = fileRaw !== undefined && r.s3cfgSplit ? r.s3cfgSplit(fileRaw).map((x) => fromFile(r, x)) : [];
      const parsed = cli.map((x) => checkValue(r, `--${r.flags[0].long}`, x));
      out[r.dest] = { value: [...fromCfg, ...parsed], source: cli.length ? 'cli' : fromCfg.length ? 's3cfg' : 'default', from: cli.length ? `--${r.flags[0].long}` : r.s3cfg };
      continue;
    }
    // command line
    let res: Resolved | undefined;
    if (r.kind === 'bool') {
      const f = r.flags.find((x) => v[x.long] === true);
      if (f) res = { value: f.sets !== false, source: 'cli', from: `--${f.long}` };
    } else {
      const f = r.flags.find((x) => typeof v[x.long] === 'string');
      if (f) res = { value: checkValue(r, `--${f.long}`, v[f.long] as string), source: 'cli', from: `--${f.long}` };
    }
    const fromEnv = (): Resolved | undefined => {
      const name = r.env?.find((n) => env[n]);
      return name ? { value: r.kind === 'bool' ? parseBool(env[name]!) : fromEnvValue(r, name, env[name]!), source: 'env', from: name } : undefined;
    };
    const fromCfg = (): Resolved | undefined => {
      if (fileRaw === undefined) return undefined;
      // an empty value in the file means "not set" (s3cmd's own --configure writes empty keys)
      if (r.kind !== 'bool' && fileRaw.trim() === '') return undefined;
      return { value: fromFile(r, fileRaw), source: 's3cfg', from: r.s3cfg };
    };
    res ??= r.envAfterS3cfg ? (fromCfg() ?? fromEnv()) : (fromEnv() ?? fromCfg());
    out[r.dest] = res ?? { value: r.default, source: 'default' };
  }
  return out;
}

function fromEnvValue(r: OptionRecord, name: string, raw: string): unknown {
  if (r.kind === 'bool') return parseBool(raw);
  try {
    return r.parser.parse(raw);
  } catch (e) {
    if (e instanceof OptionValueError) throw new ConfigError(`${name} must be ${e.expected}, not '${raw}'`);
    throw e;
  }
}

/**
 * Options s3k does not implement, when this run sets them: on the command line always, from .s3cfg
 * (a value other than s3cmd's default) for the commands the record lists. And s3k's own options
 * given on the command line to a command that does not read them (s3cmd's options stay accepted
 * by every command, as in s3cmd). One line, exit 64.
 */
export function checkRefused(s: Settings, command: string): void {
  for (const r of OPTIONS) {
    const res = s.options[r.dest];
    if (r.s3kOwn && r.commands !== '*' && res?.source === 'cli' && !r.commands.includes(command))
      throw new UnsupportedOptionError(`${res.from} does nothing for '${command}' (only for ${r.commands.join(', ')}); leave it out.`);
  }
  for (const r of OPTIONS) {
    if (!('refused' in r.use)) continue;
    const res = s.options[r.dest];
    if (!res || res.source === 'default') continue;
    const isDefault = r.kind === 'list' ? (res.value as unknown[]).length === 0 : res.value === r.default;
    if (isDefault) continue;
    if (res.source === 's3cfg' && !(r.commands === '*' || r.commands.includes(command))) continue;
    const what = res.source === 's3cfg' ? `${r.s3cfg} = ${s.fileValues[r.s3cfg!]} (in '${s.configPath}')` : res.from;
    throw new UnsupportedOptionError(`s3k does not support ${what}${r.use.forGood ? '' : ' yet'}; ${r.use.refused}`);
  }
}

/**
 * `sharedConfig`: a key of the selected AWS shared-config profile (~/.aws/config), for the settings
 * the AWS SDKs read from there when the environment does not set them (use_fips_endpoint, ...).
 */
export function resolveSettings(v: CliValues, env: NodeJS.ProcessEnv, sharedConfig?: (key: string) => string | undefined): Settings {
  const explicitPath = typeof v.config === 'string' ? v.config : undefined;
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
  const o = resolveOptions(v, env, f, configPath);
  const val = <T>(dest: string): T => o[dest].value as T;
  const src = (dest: string): Source => o[dest].source;
  const nonEmpty = (dest: string): string | undefined => (val<string>(dest) ? val<string>(dest) : undefined);

  // Region: --region > AWS_REGION > bucket_location; LocationConstraint for mb: --region > bucket_location > region.
  const region = regionFromLocation(val<string>('bucket_location'));
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError(`invalid region '${region}': use a region name like us-east-1`);
  const locRaw = src('bucket_location') === 'cli' ? val<string>('bucket_location') : (f.bucket_location ?? undefined);
  const loc = locRaw ? regionFromLocation(locRaw) : region;

  // FIPS / dual-stack: the environment, else the AWS profile (as the SDKs), else off.
  const endpointFlag = (dest: string, key: string): boolean => {
    const r = o[dest];
    if (r.source === 'env') return parseEndpointFlag(env[r.from!], r.from!) ?? false;
    return parseEndpointFlag(sharedConfig?.(key), `${key} in the AWS config profile`) ?? false;
  };
  const endpointFlags: EndpointFlags = { fips: endpointFlag('use_fips_endpoint', 'use_fips_endpoint'), dualstack: endpointFlag('use_dualstack_endpoint', 'use_dualstack_endpoint') };

  // Endpoint: --host > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > host_base > AWS default. The AWS
  // default (no host_base, or s3cmd's default s3.amazonaws.com) is the region's AWS host name, with
  // FIPS / dual-stack applied; s3.amazonaws.com stays as it is when neither flag is set.
  const useHttps = val<boolean>('use_https');
  const host = o.host_base;
  const hb = o.host_bucket;
  const template = (t: string | undefined) => (t && t.includes('%(bucket)s') ? t : undefined);
  const awsDefault = host.source === 'default' || (host.source !== 'env' && String(host.value).toLowerCase() === 's3.amazonaws.com');
  let endpoint: URL;
  let hostBucketTemplate: string | undefined;
  if (awsDefault && (host.source === 'default' || endpointFlags.fips || endpointFlags.dualstack)) {
    const h = s3Host(region, endpointFlags);
    endpoint = toEndpoint(h, useHttps, 'endpoint');
    // s3cmd's default template follows the host; a template given on the command line wins
    const hbGiven = hb.source === 'cli' || (host.source !== 'default' && hb.source === 's3cfg' && String(hb.value).toLowerCase() !== '%(bucket)s.s3.amazonaws.com');
    hostBucketTemplate = template(hbGiven ? (hb.value as string) : `%(bucket)s.${h}`);
  } else if (host.source === 'cli') {
    endpoint = toEndpoint(host.value as string, useHttps, '--host');
    hostBucketTemplate = template(hb.source === 'default' ? undefined : (hb.value as string));
  } else if (host.source === 'env') {
    endpoint = toEndpoint(host.value as string, true, host.from!);
    hostBucketTemplate = template(hb.source === 'cli' ? (hb.value as string) : undefined);
  } else {
    endpoint = toEndpoint(host.value as string, useHttps, `${configPath}: host_base`);
    hostBucketTemplate = template(hb.source === 'default' ? undefined : (hb.value as string));
  }
  // Redirects to another region change the host only on AWS's endpoints; FIPS / dual-stack carry over.
  let awsS3Host: ((r: string) => string) | undefined;
  if (isAwsHost(endpoint.host)) {
    const flags = { fips: endpointFlags.fips || /(^|\.)s3-fips[.-]/.test(endpoint.hostname), dualstack: endpointFlags.dualstack || /(^|\.)dualstack\./.test(endpoint.hostname) };
    awsS3Host = (r: string) => s3Host(r, flags);
  }

  // s3cmd checks the chunk size once the file and the command line are merged (Parameter problem, 64).
  const chunkMb = val<number>('multipart_chunk_size_mb');
  if (chunkMb < 5) throw new ParameterError(`Chunk size ${chunkMb} MB is too small, must be >= 5 MB. Please adjust --multipart-chunk-size-mb`);
  if (chunkMb > 5120) throw new ParameterError(`Chunk size ${chunkMb} MB is too large, must be <= 5120 MB. Please adjust --multipart-chunk-size-mb`);

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

  // SSE-C keys: checked here, not by the option parser, so no message ever repeats the value
  const customerKey = (dest: string, flag: string): { algorithm: string; key: Buffer } | undefined => {
    const raw = nonEmpty(dest);
    if (!raw) return undefined;
    const r = o[dest];
    const where = r.source === 's3cfg' ? `${dest} in '${configPath}'` : flag;
    return { algorithm: val<string>('sse_customer_algorithm'), key: parseCustomerKey(raw, where) };
  };
  const sseCustomerKey = customerKey('sse_customer_key', '--sse-customer-key');
  const sseCopySourceKey = customerKey('sse_copy_source_customer_key', '--sse-copy-source-customer-key') ?? sseCustomerKey;
  if (sseCustomerKey && (val<boolean>('server_side_encryption') || nonEmpty('kms_key')))
    throw new ParameterError('--sse-customer-key cannot be combined with --server-side-encryption or --server-side-encryption-kms-id (an object has one kind of server-side encryption); drop one');

  let storageClass = nonEmpty('storage_class');
  if (val<boolean>('reduced_redundancy')) storageClass = 'REDUCED_REDUNDANCY';

  const extraHeaders: Record<string, string> = {};
  for (const [k, x] of val<[string, string][]>('add_header')) extraHeaders[k] = x;

  const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
  const restorePriority = val<string>('restore_priority');
  return {
    options: o,
    fileValues: f,
    configPath: file ? configPath : undefined,
    configLoaded: !!file,
    invalidConfigLines: file?.invalidLines ?? [],
    endpoint,
    hostBucketTemplate,
    awsS3Host,
    endpointFlags,
    region,
    bucketLocation: loc === 'us-east-1' ? undefined : loc,
    cliKeys: { accessKey: str(v.access_key), secretKey: str(v.secret_key), sessionToken: str(v.access_token) },
    fileKeys: { accessKey: f.access_key || undefined, secretKey: f.secret_key || undefined, sessionToken: f.access_token || undefined },
    checkCertificate: val('check_ssl_certificate'),
    checkHostname: val('check_ssl_hostname'),
    caCertsFile: nonEmpty('ca_certs_file'),
    proxyHost: nonEmpty('proxy_host'),
    proxyPort: val<number>('proxy_port'),
    maxRetries: val('max_retries'),
    socketTimeoutMs: val<number>('socket_timeout') * 1000,
    multipartChunkBytes: chunkMb * 1024 * 1024,
    enableMultipart: val('enable_multipart'),
    parallel: val('parallel'),
    limitRate: val('limitrate'),
    defaultMimeType: val('default_mime_type'),
    guessMimeType: val('guess_mime_type'),
    useMimeMagic: val('use_mime_magic'),
    mimeType: nonEmpty('mime_type'),
    encoding: nonEmpty('encoding') ?? 'UTF-8',
    storageClass,
    serverSideEncryption: val('server_side_encryption'),
    kmsKey: nonEmpty('kms_key'),
    sseCustomerKey,
    sseCopySourceKey,
    extraHeaders,
    removeHeaders: val('remove_headers'),
    aclPublic: val('acl_public'),
    aclGrants: val('acl_grants'),
    aclRevokes: val('acl_revokes'),
    preserveAttrs: val('preserve_attrs'),
    cacheFile: val('cache_file'),
    keepDirs: val('keep_dirs'),
    followSymlinks: val('follow_symlinks'),
    humanReadable: val('human_readable_sizes'),
    listMd5: val('list_md5'),
    longListing: val('long_listing'),
    recursive: val('recursive'),
    force: val('force'),
    dryRun: val('dry_run'),
    skipExisting: val('skip_existing'),
    continueGet: val('get_continue'),
    continuePut: val('put_continue'),
    uploadId: nonEmpty('upload_id'),
    checkMd5: val('check_md5'),
    deleteRemoved: val('delete_removed'),
    delayUpdates: val('delay_updates'),
    maxDelete: val('max_delete'),
    limit: val('limit'),
    stopOnError: val('stop_on_error'),
    // on a terminal unless --progress / --no-progress says otherwise
    progress: src('progress_meter') === 'cli' ? val<boolean>('progress_meter') : !!process.stdout.isTTY,
    // --no-progress turns the interval lines off too, whatever --progress-interval says
    progressInterval: src('progress_meter') === 'cli' && !val<boolean>('progress_meter') ? 0 : val<number>('progress_interval'),
    stats: val('stats'),
    json: val('json'),
    requesterPays: val('requester_pays'),
    signatureV2: val('signature_v2'),
    noSignRequest: val('no_sign_request'),
    exclude: [...val<string[]>('exclude'), ...readPatterns(val('exclude_from'))],
    include: [...val<string[]>('include'), ...readPatterns(val('include_from'))],
    rexclude: [...val<string[]>('rexclude'), ...readPatterns(val('rexclude_from'))],
    rinclude: [...val<string[]>('rinclude'), ...readPatterns(val('rinclude_from'))],
    shard: val('shard'),
    expiryDate: nonEmpty('expiry_date'),
    expiryDays: nonEmpty('expiry_days'),
    expiryPrefix: val('expiry_prefix'),
    restoreDays: val('restore_days'),
    restorePriority: restorePriority.charAt(0).toUpperCase() + restorePriority.slice(1),
    contentDisposition: nonEmpty('content_disposition'),
    contentType: nonEmpty('content_type'),
    websiteIndex: nonEmpty('website_index') ?? 'index.html',
    websiteError: nonEmpty('website_error'),
    websiteEndpoint: nonEmpty('website_endpoint') ?? String((optionByDest('website_endpoint') as ValueOption).default),
  };
}

/**
 * An SSE-C key as given: 32 bytes of text (as the aws cli takes it), or 32 bytes in base64 (44
 * characters). The error names where it came from and its length, never the value.
 */
export function parseCustomerKey(raw: string, where: string): Buffer {
  if (Buffer.byteLength(raw, 'utf8') === 32) return Buffer.from(raw, 'utf8');
  if (/^[A-Za-z0-9+/]{43}=$/.test(raw)) {
    const b = Buffer.from(raw, 'base64');
    if (b.length === 32) return b;
  }
  throw new ParameterError(`${where} must be a 256-bit key: 32 bytes of text, or 32 bytes in base64 (44 characters); the value given is ${Buffer.byteLength(raw, 'utf8')} bytes`);
}
