// --dump-config (every setting as `key = value` under [default], s3cmd's key names) and --configure
// (s3cmd's interactive questions, a test listing with the answers, then ~/.s3cfg written mode 0600).
// Questions are read line by line from stdin, so answers can be piped in.
import { existsSync, unlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { OptionValues } from '../cli/options.ts';
import { resolveSettings, defaultConfigPath, type Settings } from '../config/settings.ts';
import { readS3cfg, parseBool } from '../config/s3cfg.ts';
import { createContext } from './context.ts';
import { listBuckets, listObjects } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { parseUrl } from '../s3/uri.ts';
import { error, warning, getVerbosity } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';

/** s3cmd 2.3's configuration keys and defaults (S3/Config.py), plus max_retries (2.4). */
export const S3CMD_DEFAULTS: Record<string, string> = {
  access_key: '',
  access_token: '',
  add_encoding_exts: '',
  add_headers: '',
  bucket_location: 'US',
  ca_certs_file: '',
  cache_file: '',
  check_ssl_certificate: 'True',
  check_ssl_hostname: 'True',
  cloudfront_host: 'cloudfront.amazonaws.com',
  connection_max_age: '5',
  connection_pooling: 'True',
  content_disposition: '',
  content_type: '',
  default_mime_type: 'binary/octet-stream',
  delay_updates: 'False',
  delete_after: 'False',
  delete_after_fetch: 'False',
  delete_removed: 'False',
  dry_run: 'False',
  enable_multipart: 'True',
  encoding: 'UTF-8',
  encrypt: 'False',
  expiry_date: '',
  expiry_days: '',
  expiry_prefix: '',
  follow_symlinks: 'False',
  force: 'False',
  get_continue: 'False',
  gpg_command: '',
  gpg_decrypt: '%(gpg_command)s -d --verbose --no-use-agent --batch --yes --passphrase-fd %(passphrase_fd)s -o %(output_file)s %(input_file)s',
  gpg_encrypt: '%(gpg_command)s -c --verbose --no-use-agent --batch --yes --passphrase-fd %(passphrase_fd)s -o %(output_file)s %(input_file)s',
  gpg_passphrase: '',
  guess_mime_type: 'True',
  host_base: 's3.amazonaws.com',
  host_bucket: '%(bucket)s.s3.amazonaws.com',
  human_readable_sizes: 'False',
  invalidate_default_index_on_cf: 'False',
  invalidate_default_index_root_on_cf: 'True',
  invalidate_on_cf: 'False',
  kms_key: '',
  limit: '-1',
  limitrate: '0',
  list_allow_unordered: 'False',
  list_md5: 'False',
  log_target_prefix: '',
  long_listing: 'False',
  max_delete: '-1',
  max_retries: '5',
  mime_type: '',
  multipart_chunk_size_mb: '15',
  multipart_copy_chunk_size_mb: '1024',
  multipart_max_chunks: '10000',
  preserve_attrs: 'True',
  progress_meter: 'True',
  proxy_host: '',
  proxy_port: '3128',
  public_url_use_https: 'False',
  put_continue: 'False',
  recursive: 'False',
  recv_chunk: '65536',
  reduced_redundancy: 'False',
  requester_pays: 'False',
  restore_days: '1',
  restore_priority: 'Standard',
  secret_key: '',
  send_chunk: '65536',
  server_side_encryption: 'False',
  signature_v2: 'False',
  signurl_use_https: 'False',
  simpledb_host: 'sdb.amazonaws.com',
  skip_existing: 'False',
  socket_timeout: '300',
  ssl_client_cert_file: '',
  ssl_client_key_file: '',
  stats: 'False',
  stop_on_error: 'False',
  storage_class: '',
  throttle_max: '100',
  upload_id: '',
  urlencoding_mode: 'normal',
  use_http_expect: 'False',
  use_https: 'True',
  use_mime_magic: 'True',
  verbosity: 'WARNING',
  website_endpoint: 'http://%(bucket)s.s3-website-%(location)s.amazonaws.com/',
  website_error: '',
  website_index: 'index.html',
};

const py = (b: boolean) => (b ? 'True' : 'False');
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Every setting as s3cmd names it: defaults < config file < environment < command line (as s3k resolves them). */
export function configValues(values: OptionValues, env: NodeJS.ProcessEnv, s: Settings, file: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...S3CMD_DEFAULTS, ...file };
  out.access_key = s.cliKeys.accessKey ?? s.fileKeys.accessKey ?? env.AWS_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY ?? out.access_key;
  out.secret_key = s.cliKeys.secretKey ?? s.fileKeys.secretKey ?? env.AWS_SECRET_ACCESS_KEY ?? env.AWS_SECRET_KEY ?? out.secret_key;
  out.access_token = s.cliKeys.sessionToken ?? s.fileKeys.sessionToken ?? env.AWS_SESSION_TOKEN ?? env.AWS_SECURITY_TOKEN ?? out.access_token;
  if (str(values.host) || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || file.host_base) out.host_base = s.endpoint.host;
  if (str(values['host-bucket'])) out.host_bucket = str(values['host-bucket'])!;
  out.use_https = py(s.endpoint.protocol === 'https:');
  const loc = str(values.region) ?? str(values['bucket-location']);
  if (loc) out.bucket_location = loc;
  out.check_ssl_certificate = py(s.checkCertificate);
  out.check_ssl_hostname = py(s.checkHostname);
  out.ca_certs_file = s.caCertsFile ?? '';
  out.max_retries = String(s.maxRetries);
  out.socket_timeout = String(Math.round(s.socketTimeoutMs / 1000));
  out.multipart_chunk_size_mb = String(s.multipartChunkBytes / (1024 * 1024));
  out.enable_multipart = py(s.enableMultipart);
  if (str(values['limit-rate'])) out.limitrate = str(values['limit-rate'])!;
  out.default_mime_type = s.defaultMimeType;
  out.guess_mime_type = py(s.guessMimeType);
  out.mime_type = s.mimeType ?? '';
  out.storage_class = s.storageClass ?? '';
  out.reduced_redundancy = py(s.storageClass === 'REDUCED_REDUNDANCY');
  out.server_side_encryption = py(s.serverSideEncryption);
  out.kms_key = s.kmsKey ?? '';
  out.preserve_attrs = py(s.preserveAttrs);
  out.follow_symlinks = py(s.followSymlinks);
  out.human_readable_sizes = py(s.humanReadable);
  out.list_md5 = py(s.listMd5);
  out.long_listing = py(s.longListing);
  out.recursive = py(s.recursive);
  out.force = py(s.force);
  out.dry_run = py(s.dryRun);
  out.skip_existing = py(s.skipExisting);
  out.get_continue = py(s.continueGet);
  out.put_continue = py(s.continuePut);
  out.upload_id = s.uploadId ?? '';
  out.delete_removed = py(s.deleteRemoved);
  out.delete_after = py(s.deleteAfter);
  out.delete_after_fetch = py(s.deleteAfterFetch);
  out.max_delete = String(s.maxDelete);
  out.limit = String(s.limit);
  out.stop_on_error = py(s.stopOnError);
  out.progress_meter = py(s.progress);
  out.stats = py(s.stats);
  out.requester_pays = py(s.requesterPays);
  out.signature_v2 = py(s.signatureV2);
  if (values['acl-public'] === true) out.acl_public = 'True';
  else if (values['acl-private'] === true) out.acl_public = 'False';
  if (Object.keys(s.extraHeaders).length) out.add_headers = Object.entries(s.extraHeaders).map(([k, v]) => `${k}:${v}`).join(',');
  for (const [opt, key] of [['expiry-date', 'expiry_date'], ['expiry-days', 'expiry_days'], ['expiry-prefix', 'expiry_prefix'], ['restore-days', 'restore_days'], ['restore-priority', 'restore_priority'], ['content-disposition', 'content_disposition'], ['content-type', 'content_type'], ['cache-file', 'cache_file'], ['encoding', 'encoding']] as const)
    if (str(values[opt]) !== undefined) out[key] = str(values[opt])!;
  const v = getVerbosity();
  out.verbosity = v === 'debug' ? 'DEBUG' : v === 'info' ? 'INFO' : out.verbosity;
  return out;
}

export function formatConfig(values: Record<string, string>): string {
  return '[default]\n' + Object.keys(values).sort().map((k) => `${k} = ${values[k]}\n`).join('');
}

function fileValues(path: string, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!existsSync(path)) return {};
  try {
    return readS3cfg(path, env).values;
  } catch {
    return {};
  }
}

export async function cmdConfigure(values: OptionValues, positionals: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const configPath = str(values.config) ?? defaultConfigPath(env);
  if (values['dump-config']) {
    const s = resolveSettings(values, env);
    process.stdout.write(formatConfig(configValues(values, env, s, s.configPath ? fileValues(s.configPath, env) : {})));
    return EX.OK;
  }
  // --configure: start from what the existing file (if any) and the command line say; nothing from
  // the environment (keys, endpoints, CA bundle) is written into the file unasked.
  const exists = existsSync(configPath);
  const bare: NodeJS.ProcessEnv = { HOME: exists ? env.HOME : '/nonexistent-s3k-home' };
  const s = resolveSettings({ ...values, config: exists ? configPath : undefined }, bare);
  return runConfigure(configPath, configValues(values, bare, s, fileValues(configPath, env)), positionals, env);
}

interface Question {
  key: string;
  prompt: string;
  help?: string;
}

const QUESTIONS: Question[] = [
  { key: 'access_key', prompt: 'Access Key', help: 'Access key and Secret key are your identifiers for Amazon S3. Leave them empty for using the env variables.' },
  { key: 'secret_key', prompt: 'Secret Key' },
  { key: 'bucket_location', prompt: 'Default Region' },
  { key: 'host_base', prompt: 'S3 Endpoint', help: 'Use "s3.amazonaws.com" for S3 Endpoint and not modify it to the target Amazon S3.' },
  {
    key: 'host_bucket',
    prompt: 'DNS-style bucket+hostname:port template for accessing a bucket',
    help: 'Use "%(bucket)s.s3.amazonaws.com" to the target Amazon S3. "%(bucket)s" and "%(location)s" vars can be used\nif the target S3 system supports dns based buckets.',
  },
  { key: 'gpg_passphrase', prompt: 'Encryption password', help: 'Encryption password is used to protect your files from reading\nby unauthorized persons while in transfer to S3' },
  { key: 'gpg_command', prompt: 'Path to GPG program' },
  {
    key: 'use_https',
    prompt: 'Use HTTPS protocol',
    help: 'When using secure HTTPS protocol all communication with Amazon S3\nservers is protected from 3rd party eavesdropping. This method is\nslower than plain HTTP, and can only be proxied with Python 2.7 or newer',
  },
  { key: 'proxy_host', prompt: 'HTTP Proxy server name', help: "On some networks all internet access must go through a HTTP proxy.\nTry setting it here if you can't connect to S3 directly" },
  { key: 'proxy_port', prompt: 'HTTP Proxy server port' },
];

const BOOL_KEYS = new Set(['use_https']);

class Aborted extends Error {}

/** Lines from stdin; EOF ends the dialogue like Ctrl-D does in s3cmd. */
function lineReader(): { ask: (prompt: string) => Promise<string>; close: () => void } {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  return {
    async ask(prompt: string) {
      process.stdout.write(prompt);
      const r = await it.next();
      if (r.done) throw new Aborted();
      return r.value;
    },
    close: () => rl.close(),
  };
}

async function testAccess(cfg: Record<string, string>, positionals: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 's3k-configure-'));
  const file = join(dir, 's3cfg');
  try {
    writeFileSync(file, formatConfig(cfg), { mode: 0o600 });
    const s = resolveSettings({ config: file }, env);
    const ctx = createContext(s, env);
    if (positionals.length === 0) {
      process.stdout.write('Please wait, attempting to list all buckets...\n');
      await listBuckets(ctx.s3());
    } else {
      process.stdout.write(`Please wait, attempting to list bucket: ${positionals[0]}\n`);
      const u = parseUrl(positionals[0]);
      if (u.type !== 's3' || !u.bucket) throw new Error(`Invalid bucket uri: ${positionals[0]}`);
      for await (const page of listObjects(ctx.s3(), u.bucket, { pageSize: 1, limit: 1 })) void page;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runConfigure(configPath: string, cfg: Record<string, string>, positionals: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const say = (l: string) => process.stdout.write(l + '\n');
  if (!cfg.proxy_host && env.http_proxy) {
    const m = /^(http:\/\/)?([^:]+):(\d+)/.exec(env.http_proxy);
    if (m) {
      cfg.proxy_host = m[2];
      cfg.proxy_port = m[3];
    }
  }
  const io = lineReader();
  try {
    for (;;) {
      say('\nEnter new values or accept defaults in brackets with Enter.');
      say('Refer to user manual for detailed description of all options.');
      for (const q of QUESTIONS) {
        if (q.key === 'proxy_port' && !cfg.proxy_host) {
          cfg.proxy_port = '0';
          continue;
        }
        let val = cfg[q.key] ?? '';
        if (BOOL_KEYS.has(q.key)) val = parseBool(val) ? 'Yes' : 'No';
        const prompt = q.prompt + (val !== '' ? ` [${val}]` : '');
        if (q.help) say(`\n${q.help}`);
        const answer = await io.ask(prompt + ': ');
        if (answer !== '') cfg[q.key] = BOOL_KEYS.has(q.key) ? py(answer.toLowerCase().startsWith('y')) : answer;
      }
      say('\nNew settings:');
      for (const q of QUESTIONS) say(`  ${q.prompt}: ${cfg[q.key] ?? ''}`);
      const test = await io.ask('\nTest access with supplied credentials? [Y/n] ');
      if (test === '' || test.toLowerCase().startsWith('y')) {
        try {
          await testAccess(cfg, positionals, env);
          say('Success. Your access key and secret key worked fine :-)');
          say('\nNow verifying that encryption works...');
          if (!cfg.gpg_command || !cfg.gpg_passphrase) say('Not configured. Never mind.');
          else warning('s3k does not do client-side GPG encryption; the password is saved for s3cmd only. Use --server-side-encryption with s3k.');
        } catch (e) {
          error(`Test failed: ${e instanceof S3Error ? e.message : (e as Error).message}`);
          if (e instanceof S3Error && e.code === 'AccessDenied') error('Are you sure your keys have s3:ListAllMyBuckets permissions?');
          const retry = await io.ask('\nRetry configuration? [Y/n] ');
          if (retry === '' || retry.toLowerCase().startsWith('y')) continue;
        }
      }
      const save = await io.ask('\nSave settings? [y/N] ');
      if (save.toLowerCase().startsWith('y')) break;
      const again = await io.ask('Retry configuration? [Y/n] ');
      if (again.toLowerCase().startsWith('n')) throw new Aborted();
    }
  } catch (e) {
    if (e instanceof Aborted) {
      say('\nConfiguration aborted. Changes were NOT saved.');
      return EX.OK;
    }
    throw e;
  } finally {
    io.close();
  }
  try {
    try {
      unlinkSync(configPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    writeFileSync(configPath, formatConfig(cfg), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    error(`Writing config file failed: ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return EX.IOERR;
  }
  say(`Configuration saved to '${configPath}'`);
  return EX.OK;
}
