// THE option table: one record per s3cmd setting (its optparse dest / Config attribute), with its
// flags, .s3cfg key, environment variables, default, parser, help and the code that reads it.
// Settings (config/settings.ts), --help (main.ts), --dump-config and --configure (commands/configure.ts)
// all derive from it; test/unit/options.test.ts fails when a record names no code that reads it.
//
// No option is accepted and ignored: a record is read (`use.settings`: the Settings fields it feeds
// and the modules that read them; `use.main`: read by main.ts itself), refused with one line and
// exit 64 (`use.refused`, when set: given on the command line, or a non-default .s3cfg value for a
// command the record lists), or, for a few records, `use.inert`: asking for what s3k always does.
//
// The command-line grammar is Python optparse's, as s3cmd uses it: options before or after the
// command word, `--opt=value` or `--opt value` (the value may start with '-'), unique prefixes of
// long options (`--recur`), clustered short flags (`-rf`, `-cFILE`), `--` ends the options. Errors
// are optparse's too: usage line, `s3k: error: ...`, exit 2.
import { ParameterError, UnsupportedOptionError, UsageError } from './exit-codes.ts';

// ------------------------------------------------------------------------------------------ parsers
/** A value that does not parse. `reason` is optparse's wording; `expected` describes a good value. */
export class OptionValueError extends Error {
  constructor(
    readonly reason: string,
    readonly expected: string,
  ) {
    super(reason);
    this.name = 'OptionValueError';
  }
}

export interface Parser<T> {
  parse(raw: string): T;
  /** What a good value looks like, for .s3cfg messages: `KEY must be <expected>, not 'x'`. */
  expected: string;
  /** The only values it takes, when they can be listed (shell completion offers them). */
  choices?: readonly string[];
}

/** Python's repr() of a str, as optparse quotes values in its messages. */
export function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const text: Parser<string> = { parse: (v) => v, expected: 'a string' };

export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const bounded = min > Number.MIN_SAFE_INTEGER || max < Number.MAX_SAFE_INTEGER;
  const range = max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of at least ${min}`;
  const expected = bounded ? `a whole number ${range}` : 'a whole number';
  return {
    expected,
    parse(v) {
      if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new OptionValueError(`invalid integer value: ${pyRepr(v)}`, 'a whole number');
      const n = Number(v);
      if (n < min || n > max) throw new OptionValueError(`invalid value: ${pyRepr(v)} (must be ${expected})`, expected);
      return n;
    },
  };
}

/** `10k`, `2m`, `500` -> bytes per second (s3cmd's limitrate). */
export const rate: Parser<number> = {
  expected: 'a number with optional suffix k or m (e.g. 512k)',
  parse(v) {
    const m = /^\s*(\d+)([kKmMgG]?)\s*$/.exec(v);
    if (!m) throw new OptionValueError(`invalid rate value: ${pyRepr(v)} (a number with optional suffix k or m, e.g. 512k)`, rate.expected);
    const shift = { '': 0, k: 10, m: 20, g: 30 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
    return Number(m[1]) * 2 ** shift;
  },
};

/** s3cmd's OptionMimeType. */
export const mimeType: Parser<string> = {
  expected: 'a MIME type such as text/plain',
  parse(v) {
    if (!/^[a-z0-9]+\/[a-z0-9+.-]+(;.*)?$/i.test(v)) throw new OptionValueError(`invalid MIME-Type format: ${pyRepr(v)}`, mimeType.expected);
    return v;
  },
};

export interface AclChange {
  name: string;
  /** READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL or ALL */
  permission: string;
}
const PERMISSIONS = ['read', 'write', 'read_acp', 'write_acp', 'full_control', 'all'];

/** s3cmd's OptionS3ACL: `PERMISSION:GRANTEE`. */
export const s3acl: Parser<AclChange> = {
  expected: 'PERMISSION:GRANTEE',
  parse(v) {
    const m = /^(\w+):(.+)$/.exec(v);
    if (!m) throw new OptionValueError(`invalid S3 ACL format: ${pyRepr(v)}`, s3acl.expected);
    const perm = m[1].toLowerCase();
    if (!PERMISSIONS.includes(perm)) throw new OptionValueError(`invalid S3 ACL permission: ${m[1]} (valid values: ${PERMISSIONS.join(', ')})`, s3acl.expected);
    return { name: m[2], permission: perm.toUpperCase() };
  },
};

/** optparse's type="choice" (case-insensitive here; s3cmd's own default is 'Standard'). */
export function choice(...choices: string[]): Parser<string> {
  return {
    expected: `one of ${choices.join(', ')}`,
    choices,
    parse(v) {
      const c = v.trim().toLowerCase();
      if (!choices.includes(c)) throw new OptionValueError(`invalid choice: ${pyRepr(v)} (choose from ${choices.map((x) => pyRepr(x)).join(', ')})`, `one of ${choices.join(', ')}`);
      return c;
    },
  };
}

export const shard: Parser<{ index: number; count: number }> = {
  expected: 'K/N with 0 <= K < N (e.g. 0/4)',
  parse(v) {
    const m = /^(\d+)\/(\d+)$/.exec(v.trim());
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new OptionValueError(`invalid value: ${pyRepr(v)} (must be K/N with 0 <= K < N, e.g. 0/4)`, shard.expected);
    return { index: Number(m[1]), count: Number(m[2]) };
  },
};

/** --add-header NAME:VALUE -> [lower-case name, value]. s3cmd reports these as a Parameter problem (64). */
export const header: Parser<[string, string]> = {
  expected: 'NAME:VALUE',
  parse(h) {
    const i = h.indexOf(':');
    if (i < 0) throw new ParameterError(`Invalid header format: ${h}`);
    const name = h.slice(0, i);
    const bad = name.replace(/[a-zA-Z0-9\-.!#$%&*+^_|]/g, '');
    if (bad) throw new ParameterError(`Invalid character(s) in header name '${name}': "${bad.replace(/ /g, '<space>').replace(/\t/g, '<tab>')}"`);
    return [name.trim().toLowerCase(), h.slice(i + 1).trim()];
  },
};

// ------------------------------------------------------------------------------------------ records
export interface Flag {
  /** The long flag without its dashes. */
  long: string;
  short?: string;
  /** Other long flags with the same meaning (--rr, --bucket-location). */
  aliases?: string[];
  /** Boolean settings: the value this flag sets (false for --no-... flags). */
  sets?: boolean;
  metavar?: string;
  help: string;
}

export type Use =
  /** Feeds these Settings fields, read by these modules (paths under src/). */
  | { settings: string[]; readers: string[] }
  /** Read by main.ts from the parsed command line. */
  | { main: true }
  /** Not implemented: refused with this reason when set. `forGood`: not planned either. */
  | { refused: string; forGood?: boolean }
  /** Asks for what s3k always does, or a .s3cfg tuning knob of s3cmd's own internals. */
  | { inert: string };

interface Common {
  /** s3cmd's name for the setting: its optparse dest / Config attribute (s3k's own: its name). */
  dest: string;
  /** The .s3cfg key, when the file can set it (s3cmd reads every Config attribute from the file). */
  s3cfg?: string;
  /** The .s3cfg key is dumped by --dump-config but not read: why. */
  s3cfgIgnored?: string;
  /** Environment variables, first set one wins; they rank between the command line and .s3cfg. */
  env?: string[];
  /** s3cmd's order for credentials: command line, then .s3cfg, then the environment. */
  envAfterS3cfg?: boolean;
  /** Command-line flags (none for .s3cfg-only settings). */
  flags: Flag[];
  /** The commands that read it ('*': any command). A refused .s3cfg value only stops these. */
  commands: '*' | string[];
  /**
   * s3k's own option (s3cmd has none by this name): given on the command line to a command not in
   * `commands`, it is refused with one line (exit 64). s3cmd's options stay accepted by every
   * command, as s3cmd accepts them; the environment and .s3cfg may set anything for any command.
   */
  s3kOwn?: true;
  use: Use;
  /** --configure asks for it, in this order. */
  ask?: { order: number; prompt: string; help?: string };
}
export interface BoolOption extends Common {
  kind: 'bool';
  /** undefined: a tri-state (acl_public: -P, --acl-private, or neither). */
  default: boolean | undefined;
}
export interface ValueOption<T = unknown> extends Common {
  kind: 'value';
  default: T;
  parser: Parser<T>;
  /** How --dump-config writes a value (default: String(v)). */
  format?: (v: T) => string;
}
export interface ListOption<T = unknown> extends Common {
  kind: 'list';
  parser: Parser<T>;
  /** The .s3cfg form of a list (add_headers = a:1,b:2). */
  s3cfgSplit?: (raw: string) => string[];
  format?: (v: T[]) => string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionRecord = BoolOption | ValueOption<any> | ListOption<any>;

const bool = (r: Omit<BoolOption, 'kind'>): BoolOption => ({ kind: 'bool', ...r });
const value = <T>(r: Omit<ValueOption<T>, 'kind'>): ValueOption<T> => ({ kind: 'value', ...r });
const list = <T>(r: Omit<ListOption<T>, 'kind'>): ListOption<T> => ({ kind: 'list', ...r });
const on = (long: string, help: string, extra: Partial<Flag> = {}): Flag => ({ long, sets: true, help, ...extra });
const off = (long: string, help: string, extra: Partial<Flag> = {}): Flag => ({ long, sets: false, help, ...extra });
const flag = (long: string, metavar: string | undefined, help: string, extra: Partial<Flag> = {}): Flag => ({ long, metavar, help, ...extra });
const reads = (settings: string | string[], ...readers: string[]): Use => ({ settings: Array.isArray(settings) ? settings : [settings], readers });
const refused = (reason: string, forGood = false): Use => ({ refused: reason, forGood });
const MAIN: Use = { main: true };

const TRANSFER = ['put', 'get', 'sync', 'cp', 'mv', 'modify'];
const SSE_C = [...TRANSFER, 'info'];

/** --sse-customer-algorithm: AES256 in any case. */
const sseAlgorithm: Parser<string> = {
  expected: 'AES256',
  choices: ['AES256'],
  parse(v) {
    if (v.trim().toUpperCase() !== 'AES256') throw new OptionValueError(`invalid SSE-C algorithm: ${pyRepr(v)} (S3 knows only AES256)`, 'AES256');
    return 'AES256';
  },
};
const CLOUDFRONT = "s3k manages S3 (and S3-compatible) storage only, not CloudFront; use the AWS CLI for distributions ('aws cloudfront ...').";

/** The table, in --help order (s3cmd's order, s3k's own options last). */
export const OPTIONS: OptionRecord[] = [
  // ---------------------------------------------------------------- run modes (read by main.ts)
  bool({ dest: 'help', flags: [on('help', 'show this help message and exit', { short: 'h' })], default: false, commands: '*', use: MAIN }),
  bool({ dest: 'run_configure', flags: [on('configure', "Invoke interactive (re)configuration tool. Optionally use as '--configure s3://some-bucket' to test access to a specific bucket instead of attempting to list them all.")], default: false, commands: '*', use: MAIN }),
  value({
    dest: 'config', env: ['S3CMD_CONFIG'], flags: [flag('config', 'FILE', 'Config file name. Defaults to $S3CMD_CONFIG or ~/.s3cfg', { short: 'c' })],
    default: '', parser: text, commands: '*', use: reads('configPath', 'main.ts'),
  }),
  bool({ dest: 'dump_config', flags: [on('dump-config', 'Dump current configuration after parsing config files and command line options and exit.')], default: false, commands: '*', use: MAIN }),
  value({
    dest: 'install_s3cmd_link', s3kOwn: true, flags: [flag('install-s3cmd-link', 'DIR', "[s3k] Make DIR/s3cmd a link to this s3k, so that scripts calling s3cmd run s3k, and exit. Refused when DIR/s3cmd exists or another s3cmd is on PATH, unless --force is given.")],
    default: '', parser: text, commands: '*', use: MAIN,
  }),
  // ---------------------------------------------------------------- credentials (the chain in credentials/ decides among them)
  value({
    dest: 'access_key', s3cfg: 'access_key', env: ['AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY'], envAfterS3cfg: true, flags: [flag('access_key', 'ACCESS_KEY', 'AWS Access Key')],
    default: '', parser: text, commands: '*', use: reads(['cliKeys', 'fileKeys'], 'commands/context.ts'),
    ask: { order: 1, prompt: 'Access Key', help: 'Access key and Secret key are your identifiers for Amazon S3. Leave them empty for using the env variables.' },
  }),
  value({
    dest: 'secret_key', s3cfg: 'secret_key', env: ['AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY'], envAfterS3cfg: true, flags: [flag('secret_key', 'SECRET_KEY', 'AWS Secret Key')],
    default: '', parser: text, commands: '*', use: reads(['cliKeys', 'fileKeys'], 'commands/context.ts'), ask: { order: 2, prompt: 'Secret Key' },
  }),
  value({
    dest: 'access_token', s3cfg: 'access_token', env: ['AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'], envAfterS3cfg: true, flags: [flag('access_token', 'ACCESS_TOKEN', 'AWS Access Token (session token)')],
    default: '', parser: text, commands: '*', use: reads(['cliKeys', 'fileKeys'], 'commands/context.ts'),
  }),
  // ---------------------------------------------------------------- transfer behaviour
  bool({ dest: 'dry_run', s3cfg: 'dry_run', flags: [on('dry-run', "Only show what should be uploaded or downloaded but don't actually do it. May still perform S3 requests to get bucket listings and other information though (only for file transfer commands)", { short: 'n' })], default: false, commands: '*', use: reads('dryRun', 'commands/put.ts', 'commands/get.ts', 'commands/sync.ts', 'commands/del.ts', 'commands/cp.ts', 'commands/buckets.ts') }),
  bool({
    dest: 'use_https', s3cfg: 'use_https', flags: [on('ssl', 'Use HTTPS connection when communicating with S3. (default)', { short: 's' }), off('no-ssl', "Don't use HTTPS.")],
    default: true, commands: '*', use: reads('endpoint', 'commands/context.ts'),
    ask: { order: 8, prompt: 'Use HTTPS protocol', help: 'When using secure HTTPS protocol all communication with Amazon S3\nservers is protected from 3rd party eavesdropping. This method is\nslower than plain HTTP, and can only be proxied with Python 2.7 or newer' },
  }),
  bool({
    dest: 'encrypt', s3cfg: 'encrypt', flags: [on('encrypt', 'Encrypt files before uploading to S3.', { short: 'e' }), off('no-encrypt', "Don't encrypt files.")],
    default: false, commands: ['put', 'sync', 'get'],
    use: refused('it is client-side GPG encryption: use --server-side-encryption, or encrypt the files before the upload.', true),
  }),
  bool({ dest: 'force', s3cfg: 'force', flags: [on('force', 'Force overwrite and other dangerous operations.', { short: 'f' })], default: false, commands: ['get', 'del', 'rb', 'sync'], use: reads('force', 'commands/get.ts', 'commands/del.ts', 'commands/buckets.ts', 'sync/engine.ts') }),
  bool({ dest: 'get_continue', s3cfg: 'get_continue', flags: [on('continue', 'Continue getting a partially downloaded file (only for [get] command).')], default: false, commands: ['get'], use: reads('continueGet', 'commands/get.ts') }),
  bool({ dest: 'put_continue', s3cfg: 'put_continue', flags: [on('continue-put', "Continue uploading partially uploaded files or multipart upload parts.  Restarts parts/files that don't have matching size and md5.  Skips files/parts that do.")], default: false, commands: ['put'], use: reads('continuePut', 'commands/put.ts') }),
  value({ dest: 'upload_id', s3cfg: 'upload_id', flags: [flag('upload-id', 'UPLOAD_ID', 'UploadId for Multipart Upload, in case you want continue an existing upload (equivalent to --continue-put) and there are multiple partial uploads.  Use s3k multipart [URI] to see what UploadIds are associated with the given URI.')], default: '', parser: text, commands: ['put'], use: reads('uploadId', 'commands/put.ts') }),
  bool({ dest: 'skip_existing', s3cfg: 'skip_existing', flags: [on('skip-existing', 'Skip over files that exist at the destination (only for [get] and [sync] commands).')], default: false, commands: ['get', 'sync'], use: reads('skipExisting', 'commands/get.ts', 'sync/engine.ts') }),
  bool({ dest: 'recursive', s3cfg: 'recursive', flags: [on('recursive', 'Recursive upload, download or removal.', { short: 'r' })], default: false, commands: '*', use: reads('recursive', 'commands/put.ts', 'commands/get.ts', 'commands/del.ts', 'commands/ls.ts', 'commands/cp.ts', 'commands/setacl.ts', 'commands/restore.ts', 'commands/buckets.ts') }),
  bool({
    dest: 'check_md5', flags: [on('check-md5', 'Check MD5 sums when comparing files for [sync]. (default)'), off('no-check-md5', 'Do not check MD5 sums when comparing files for [sync]. Only size will be compared. May significantly speed up transfer but may also miss some changed files.')],
    default: true, commands: ['sync'], use: reads('checkMd5', 'sync/engine.ts'),
  }),
  bool({
    dest: 'acl_public', s3cfg: 'acl_public', flags: [on('acl-public', 'Store objects with ACL allowing read for anyone.', { short: 'P' }), off('acl-private', 'Store objects with default ACL allowing access for you only.')],
    default: undefined, commands: ['put', 'sync', 'cp', 'mv', 'modify', 'mb', 'setacl'], use: reads('aclPublic', 'transfer/headers.ts', 'commands/buckets.ts', 'commands/cp.ts', 'commands/setacl.ts'),
  }),
  list({ dest: 'acl_grants', flags: [flag('acl-grant', 'PERMISSION:EMAIL or USER_CANONICAL_ID', 'Grant stated permission to a given amazon user. Permission is one of: read, write, read_acp, write_acp, full_control, all')], parser: s3acl, commands: ['setacl'], use: reads('aclGrants', 'commands/setacl.ts') }),
  list({ dest: 'acl_revokes', flags: [flag('acl-revoke', 'PERMISSION:USER_CANONICAL_ID', 'Revoke stated permission for a given amazon user. Permission is one of: read, write, read_acp, write_acp, full_control, all')], parser: s3acl, commands: ['setacl'], use: reads('aclRevokes', 'commands/setacl.ts') }),
  value({ dest: 'restore_days', s3cfg: 'restore_days', flags: [flag('restore-days', 'NUM', "Number of days to keep restored file available (only for 'restore' command). Default is 1 day.", { short: 'D' })], default: 1, parser: int(), commands: ['restore'], use: reads('restoreDays', 'commands/restore.ts') }),
  value({ dest: 'restore_priority', s3cfg: 'restore_priority', flags: [flag('restore-priority', 'RESTORE_PRIORITY', "Priority for restoring files from S3 Glacier (only for 'restore' command). Choices available: bulk, standard, expedited")], default: 'standard', parser: choice('standard', 'expedited', 'bulk'), format: (v: string) => v.charAt(0).toUpperCase() + v.slice(1), commands: ['restore'], use: reads('restorePriority', 'commands/restore.ts') }),
  bool({
    dest: 'delete_removed', s3cfg: 'delete_removed', flags: [on('delete-removed', 'Delete destination objects with no corresponding source file [sync]'), off('no-delete-removed', "Don't delete destination objects [sync]")],
    default: false, commands: ['sync'], use: reads('deleteRemoved', 'sync/engine.ts'),
  }),
  bool({
    dest: 'delete_after', s3cfg: 'delete_after', flags: [on('delete-after', 'Perform deletes AFTER new uploads when delete-removed is enabled [sync]')], default: false, commands: ['sync'],
    use: { inert: "s3k's sync always deletes after the transfers, and only when every transfer succeeded" },
  }),
  bool({ dest: 'delay_updates', s3cfg: 'delay_updates', flags: [on('delay-updates', '*OBSOLETE* Put all updated files into place at end [sync]')], default: false, commands: ['sync'], use: reads('delayUpdates', 'main.ts') }),
  value({ dest: 'max_delete', s3cfg: 'max_delete', flags: [flag('max-delete', 'NUM', 'Do not delete more than NUM files. [del] and [sync]')], default: -1, parser: int(-1), commands: ['del', 'sync'], use: reads('maxDelete', 'sync/remove.ts', 'sync/engine.ts') }),
  value({ dest: 'limit', s3cfg: 'limit', flags: [flag('limit', 'NUM', 'Limit number of objects returned in the response body (only for [ls] and [la] commands)')], default: -1, parser: int(-1), commands: ['ls', 'la'], use: reads('limit', 'commands/ls.ts') }),
  list({ dest: 'additional_destinations', flags: [flag('add-destination', 'ADDITIONAL_DESTINATIONS', 'Additional destination for parallel uploads, in addition to last arg.  May be repeated.')], parser: text, commands: ['put', 'sync'], use: refused('run one s3k per destination (each uploads in parallel already).') }),
  bool({
    dest: 'delete_after_fetch', s3cfg: 'delete_after_fetch', flags: [on('delete-after-fetch', 'Delete remote objects after fetching to local file (only for [get] and [sync] commands).')], default: false, commands: ['get', 'sync'],
    use: refused("delete the objects with 's3k del' once the download has succeeded."),
  }),
  bool({
    dest: 'preserve_attrs', s3cfg: 'preserve_attrs', flags: [on('preserve', 'Preserve filesystem attributes (mode, ownership, timestamps). Default for [sync] command.', { short: 'p' }), off('no-preserve', "Don't store FS attributes")],
    default: true, commands: ['put', 'sync'], use: reads('preserveAttrs', 'commands/put.ts', 'sync/engine.ts'),
  }),
  bool({
    dest: 'keep_dirs', s3cfg: 'keep_dirs', flags: [on('keep-dirs', 'Preserve all local directories as remote objects including empty directories. Experimental feature.')], default: false, commands: ['put', 'sync'],
    use: reads('keepDirs', 'sync/plan.ts', 'commands/put.ts'),
  }),
  // ---------------------------------------------------------------- filters
  list({ dest: 'exclude', flags: [flag('exclude', 'GLOB', 'Filenames and paths matching GLOB will be excluded from sync')], parser: text, commands: TRANSFER, use: reads('exclude', 'sync/filter.ts') }),
  list({ dest: 'exclude_from', flags: [flag('exclude-from', 'FILE', 'Read --exclude GLOBs from FILE')], parser: text, commands: TRANSFER, use: reads('exclude', 'sync/filter.ts') }),
  list({ dest: 'rexclude', flags: [flag('rexclude', 'REGEXP', 'Filenames and paths matching REGEXP (regular expression) will be excluded from sync')], parser: text, commands: TRANSFER, use: reads('rexclude', 'sync/filter.ts') }),
  list({ dest: 'rexclude_from', flags: [flag('rexclude-from', 'FILE', 'Read --rexclude REGEXPs from FILE')], parser: text, commands: TRANSFER, use: reads('rexclude', 'sync/filter.ts') }),
  list({ dest: 'include', flags: [flag('include', 'GLOB', 'Filenames and paths matching GLOB will be included even if previously excluded by one of --(r)exclude(-from) patterns')], parser: text, commands: TRANSFER, use: reads('include', 'sync/filter.ts') }),
  list({ dest: 'include_from', flags: [flag('include-from', 'FILE', 'Read --include GLOBs from FILE')], parser: text, commands: TRANSFER, use: reads('include', 'sync/filter.ts') }),
  list({ dest: 'rinclude', flags: [flag('rinclude', 'REGEXP', 'Same as --include but uses REGEXP (regular expression) instead of GLOB')], parser: text, commands: TRANSFER, use: reads('rinclude', 'sync/filter.ts') }),
  list({ dest: 'rinclude_from', flags: [flag('rinclude-from', 'FILE', 'Read --rinclude REGEXPs from FILE')], parser: text, commands: TRANSFER, use: reads('rinclude', 'sync/filter.ts') }),
  list({
    dest: 'files_from', flags: [flag('files-from', 'FILE', 'Read list of source-file names from FILE. Use - to read from stdin.')], parser: text, commands: ['put', 'sync'],
    use: refused('pass the files as arguments (e.g. with xargs), or select them with --include/--exclude.'),
  }),
  // ---------------------------------------------------------------- endpoint
  value({
    dest: 'bucket_location', s3cfg: 'bucket_location', env: ['AWS_REGION', 'AWS_DEFAULT_REGION'], flags: [flag('region', 'REGION', 'Region to create bucket in. As of now the regions are: us-east-1, us-west-1, us-west-2, eu-west-1, eu-central-1, ap-northeast-1, ap-southeast-1, ap-southeast-2, sa-east-1', { aliases: ['bucket-location'] })],
    default: 'US', parser: text, commands: '*', use: reads(['region', 'bucketLocation'], 'commands/context.ts', 'commands/buckets.ts'), ask: { order: 3, prompt: 'Default Region' },
  }),
  value({
    dest: 'host_base', s3cfg: 'host_base', env: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], flags: [flag('host', 'HOSTNAME', 'HOSTNAME:PORT for S3 endpoint (default: s3.amazonaws.com, alternatives such as s3-eu-west-1.amazonaws.com). You should also set --host-bucket.')],
    default: 's3.amazonaws.com', parser: text, commands: '*', use: reads(['endpoint', 'awsS3Host'], 'commands/context.ts'),
    ask: { order: 4, prompt: 'S3 Endpoint', help: 'Use "s3.amazonaws.com" for S3 Endpoint and not modify it to the target Amazon S3.' },
  }),
  value({
    dest: 'host_bucket', s3cfg: 'host_bucket', flags: [flag('host-bucket', 'HOST_BUCKET', 'DNS-style bucket+hostname:port template for accessing a bucket (default: %(bucket)s.s3.amazonaws.com)')],
    default: '%(bucket)s.s3.amazonaws.com', parser: text, commands: '*', use: reads('hostBucketTemplate', 'commands/context.ts'),
    ask: { order: 5, prompt: 'DNS-style bucket+hostname:port template for accessing a bucket', help: 'Use "%(bucket)s.s3.amazonaws.com" to the target Amazon S3. "%(bucket)s" and "%(location)s" vars can be used\nif the target S3 system supports dns based buckets.' },
  }),
  // ---------------------------------------------------------------- object properties
  bool({
    dest: 'reduced_redundancy', s3cfg: 'reduced_redundancy',
    flags: [on('reduced-redundancy', "Store object with 'Reduced redundancy'. Lower per-GB price. [put, cp, mv]", { aliases: ['rr'] }), off('no-reduced-redundancy', "Store object without 'Reduced redundancy'. Higher per-GB price. [put, cp, mv]", { aliases: ['no-rr'] })],
    default: false, commands: TRANSFER, use: reads('storageClass', 'transfer/headers.ts'),
  }),
  value({ dest: 'storage_class', s3cfg: 'storage_class', flags: [flag('storage-class', 'CLASS', 'Store object with specified CLASS (STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER or DEEP_ARCHIVE). [put, cp, mv]')], default: '', parser: text, commands: TRANSFER, use: reads('storageClass', 'transfer/headers.ts') }),
  value({
    dest: 'log_target_prefix', s3cfg: 'log_target_prefix', flags: [flag('access-logging-target-prefix', 'LOG_TARGET_PREFIX', 'Target prefix for access logs (S3 URI) (for [cfmodify] and [accesslog] commands)')], default: '', parser: text, commands: ['accesslog'],
    use: refused("the accesslog command shows the logging status only; set it with 'aws s3api put-bucket-logging'."),
  }),
  bool({ dest: 'no_access_logging', flags: [on('no-access-logging', 'Disable access logging (for [cfmodify] and [accesslog] commands)')], default: false, commands: ['accesslog'], use: refused("the accesslog command shows the logging status only; change it with 'aws s3api put-bucket-logging'.") }),
  value({ dest: 'default_mime_type', s3cfg: 'default_mime_type', flags: [flag('default-mime-type', 'DEFAULT_MIME_TYPE', 'Default MIME-type for stored objects. Application default is binary/octet-stream.')], default: 'binary/octet-stream', parser: mimeType, commands: ['put', 'sync'], use: reads('defaultMimeType', 'transfer/content-type.ts') }),
  bool({
    dest: 'guess_mime_type', s3cfg: 'guess_mime_type', flags: [on('guess-mime-type', 'Guess MIME-type of files by their extension. Fall back to default MIME-Type as specified by --default-mime-type option', { short: 'M' }), off('no-guess-mime-type', "Don't guess MIME-type and use the default type instead.")],
    default: true, commands: ['put', 'sync'], use: reads('guessMimeType', 'transfer/content-type.ts'),
  }),
  bool({ dest: 'use_mime_magic', s3cfg: 'use_mime_magic', flags: [off('no-mime-magic', "Don't use mime magic when guessing MIME-type.")], default: true, commands: ['put', 'sync'], use: reads('useMimeMagic', 'transfer/content-type.ts') }),
  value({ dest: 'mime_type', s3cfg: 'mime_type', flags: [flag('mime-type', 'MIME/TYPE', 'Force MIME-type. Override both --default-mime-type and --guess-mime-type.', { short: 'm' })], default: '', parser: mimeType, commands: TRANSFER, use: reads('mimeType', 'transfer/content-type.ts', 'commands/cp.ts') }),
  list({
    dest: 'add_header', s3cfg: 'add_headers', flags: [flag('add-header', 'NAME:VALUE', "Add a given HTTP header to the upload request. Can be used multiple times. For instance set 'Expires' or 'Cache-Control' headers (or both) using this option.")],
    parser: header, s3cfgSplit: (raw) => raw.split(',').filter((h) => h.trim() !== ''), format: (v: [string, string][]) => v.map(([k, x]) => `${k}:${x}`).join(','),
    commands: TRANSFER, use: reads('extraHeaders', 'transfer/headers.ts', 'commands/cp.ts'),
  }),
  list({ dest: 'remove_headers', flags: [flag('remove-header', 'NAME', "Remove a given HTTP header.  Can be used multiple times.  For instance, remove 'Expires' or 'Cache-Control' headers (or both) using this option. [modify]")], parser: { parse: (h: string) => h.trim().toLowerCase(), expected: 'a header name' }, commands: ['modify', 'cp', 'mv'], use: reads('removeHeaders', 'commands/cp.ts') }),
  bool({ dest: 'server_side_encryption', s3cfg: 'server_side_encryption', flags: [on('server-side-encryption', 'Specifies that server-side encryption will be used when putting objects. [put, sync, cp, modify]')], default: false, commands: TRANSFER, use: reads('serverSideEncryption', 'transfer/headers.ts') }),
  // SSE-C (s3k's own: s3cmd has no customer-key encryption; the aws cli's words are --sse-c / --sse-c-key)
  value({
    dest: 'sse_customer_key', s3kOwn: true, s3cfg: 'sse_customer_key', flags: [flag('sse-customer-key', 'KEY', "[s3k] SSE-C: store and read objects encrypted with this customer-provided key (32 bytes of text, or 32 bytes in base64); sent with every request on object data, never printed [put, get, sync, cp, mv, modify, info]")],
    default: '', parser: text, commands: SSE_C, use: reads('sseCustomerKey', 'commands/context.ts', 'sync/engine.ts'),
  }),
  value({
    dest: 'sse_customer_algorithm', s3kOwn: true, s3cfg: 'sse_customer_algorithm', flags: [flag('sse-customer-algorithm', 'ALGORITHM', '[s3k] SSE-C algorithm: AES256 (the only one S3 defines; the default)')],
    default: 'AES256', parser: sseAlgorithm, commands: SSE_C, use: reads('sseCustomerKey', 'commands/context.ts'),
  }),
  value({
    dest: 'sse_copy_source_customer_key', s3kOwn: true, s3cfg: 'sse_copy_source_customer_key', flags: [flag('sse-copy-source-customer-key', 'KEY', '[s3k] SSE-C key of the source of a server-side copy, when it differs from --sse-customer-key [cp, mv, sync, modify]')],
    default: '', parser: text, commands: ['cp', 'mv', 'sync', 'modify'], use: reads('sseCopySourceKey', 'commands/context.ts', 'sync/engine.ts'),
  }),
  value({ dest: 'kms_key', s3cfg: 'kms_key', flags: [flag('server-side-encryption-kms-id', 'KMS_KEY', 'Specifies the key id used for server-side encryption with AWS KMS-Managed Keys (SSE-KMS) when putting objects. [put, sync, cp, modify]')], default: '', parser: text, commands: TRANSFER, use: reads('kmsKey', 'transfer/headers.ts') }),
  value({ dest: 'encoding', s3cfg: 'encoding', flags: [flag('encoding', 'ENCODING', 'Override autodetected terminal and filesystem encoding (character set). s3k names it as the charset of stdin uploads.')], default: 'UTF-8', parser: text, commands: ['put'], use: reads('encoding', 'transfer/content-type.ts') }),
  value({ dest: 'add_encoding_exts', s3cfg: 'add_encoding_exts', flags: [flag('add-encoding-exts', 'EXTENSIONs', 'Add encoding to these comma delimited extensions i.e. (css,js,html) when uploading to S3 )')], default: '', parser: text, commands: ['put', 'sync'], use: refused("set the charset with -m 'text/css; charset=utf-8' or --add-header.") }),
  bool({ dest: 'verbatim', flags: [on('verbatim', 'Use the S3 name as given on the command line. No pre-processing, encoding, etc. Use with caution!')], default: false, commands: '*', use: refused('s3k always encodes object names itself.') }),
  value({ dest: 'urlencoding_mode', s3cfg: 'urlencoding_mode', flags: [], default: 'normal', parser: text, commands: '*', use: refused('s3k always encodes object names itself (urlencoding_mode = normal).') }),
  // ---------------------------------------------------------------- multipart
  bool({ dest: 'enable_multipart', s3cfg: 'enable_multipart', flags: [off('disable-multipart', 'Disable multipart upload on files bigger than --multipart-chunk-size-mb')], default: true, commands: ['put', 'sync'], use: reads('enableMultipart', 'commands/put.ts', 'sync/engine.ts') }),
  value({
    dest: 'multipart_chunk_size_mb', s3cfg: 'multipart_chunk_size_mb', flags: [flag('multipart-chunk-size-mb', 'SIZE', 'Size of each chunk of a multipart upload. Files bigger than SIZE are automatically uploaded as multithreaded-multipart, smaller files are uploaded using the traditional method. SIZE is in Mega-Bytes, default chunk size is 15MB, minimum allowed chunk size is 5MB, maximum is 5GB.')],
    default: 15, parser: int(), commands: ['put', 'get', 'sync', 'cp', 'mv'], use: reads('multipartChunkBytes', 'commands/put.ts', 'commands/get.ts', 'sync/engine.ts', 'commands/cp.ts'),
  }),
  // ---------------------------------------------------------------- listings
  bool({ dest: 'list_md5', s3cfg: 'list_md5', flags: [on('list-md5', "Include MD5 sums in bucket listings (only for 'ls' command).")], default: false, commands: ['ls', 'la'], use: reads('listMd5', 'commands/ls.ts') }),
  bool({ dest: 'list_allow_unordered', s3cfg: 'list_allow_unordered', flags: [on('list-allow-unordered', 'Not an AWS standard. Allow the listing results to be returned in unsorted order. This may be faster when listing very large buckets.')], default: false, commands: ['ls', 'la', 'sync', 'du'], use: refused('s3k relies on sorted listings (sync merges them in order).') }),
  bool({ dest: 'human_readable_sizes', s3cfg: 'human_readable_sizes', flags: [on('human-readable-sizes', 'Print sizes in human readable form (eg 1kB instead of 1234).', { short: 'H' })], default: false, commands: ['ls', 'la', 'du'], use: reads('humanReadable', 'commands/ls.ts', 'commands/du.ts') }),
  // ---------------------------------------------------------------- website, lifecycle, notification
  value({ dest: 'website_index', s3cfg: 'website_index', flags: [flag('ws-index', 'WEBSITE_INDEX', 'Name of index-document (only for [ws-create] command)')], default: 'index.html', parser: text, commands: ['ws-create'], use: reads('websiteIndex', 'commands/bucket-config.ts') }),
  value({ dest: 'website_error', s3cfg: 'website_error', flags: [flag('ws-error', 'WEBSITE_ERROR', 'Name of error-document (only for [ws-create] command)')], default: '', parser: text, commands: ['ws-create'], use: reads('websiteError', 'commands/bucket-config.ts') }),
  value({ dest: 'website_endpoint', s3cfg: 'website_endpoint', flags: [], default: 'http://%(bucket)s.s3-website-%(location)s.amazonaws.com/', parser: text, commands: ['ws-info'], use: reads('websiteEndpoint', 'commands/bucket-config.ts') }),
  value({ dest: 'expiry_date', s3cfg: 'expiry_date', flags: [flag('expiry-date', 'EXPIRY_DATE', 'Indicates when the expiration rule takes effect. (only for [expire] command)')], default: '', parser: text, commands: ['expire'], use: reads('expiryDate', 'commands/bucket-config.ts') }),
  value({ dest: 'expiry_days', s3cfg: 'expiry_days', flags: [flag('expiry-days', 'EXPIRY_DAYS', 'Indicates the number of days after object creation the expiration rule takes effect. (only for [expire] command)')], default: '', parser: text, commands: ['expire'], use: reads('expiryDays', 'commands/bucket-config.ts') }),
  value({ dest: 'expiry_prefix', s3cfg: 'expiry_prefix', flags: [flag('expiry-prefix', 'EXPIRY_PREFIX', 'Identifying one or more objects with the prefix to which the expiration rule applies. (only for [expire] command)')], default: '', parser: text, commands: ['expire'], use: reads('expiryPrefix', 'commands/bucket-config.ts') }),
  bool({ dest: 'skip_destination_validation', s3cfg: 'skip_destination_validation', flags: [on('skip-destination-validation', 'Skips validation of Amazon SQS, Amazon SNS, and AWS Lambda destinations when applying notification configuration. (only for [setnotification] command)')], default: false, commands: ['setnotification'], use: refused('setnotification always lets the server validate the destinations.') }),
  // ---------------------------------------------------------------- output
  bool({
    dest: 'progress_meter', s3cfg: 'progress_meter', s3cfgIgnored: "s3cmd --configure writes whether its own terminal was a TTY; s3k decides by the terminal it runs on unless --progress/--no-progress says otherwise",
    flags: [on('progress', 'Display progress meter (default on TTY).'), off('no-progress', "Don't display progress meter (default on non-TTY).")],
    default: false, commands: TRANSFER, use: reads('progress', 'main.ts'),
  }),
  bool({ dest: 'stats', s3cfg: 'stats', flags: [on('stats', 'Give some file-transfer stats.')], default: false, commands: ['sync', 'del', 'rm'], use: reads('stats', 'commands/sync.ts', 'commands/del.ts') }),
  // ---------------------------------------------------------------- CloudFront (not supported)
  bool({ dest: 'enable', flags: [on('enable', 'Enable given CloudFront distribution (only for [cfmodify] command)'), off('disable', 'Disable given CloudFront distribution (only for [cfmodify] command)')], default: undefined, commands: ['cfmodify'], use: refused(CLOUDFRONT, true) }),
  bool({ dest: 'invalidate_on_cf', s3cfg: 'invalidate_on_cf', flags: [on('cf-invalidate', 'Invalidate the uploaded filed in CloudFront. Also see [cfinval] command.')], default: false, commands: ['put', 'sync', 'del', 'cp', 'mv', 'modify'], use: refused(CLOUDFRONT, true) }),
  bool({ dest: 'invalidate_default_index_on_cf', s3cfg: 'invalidate_default_index_on_cf', flags: [on('cf-invalidate-default-index', 'When using Custom Origin and S3 static website, invalidate the default index file.')], default: false, commands: [], use: refused(CLOUDFRONT, true) }),
  bool({ dest: 'invalidate_default_index_root_on_cf', s3cfg: 'invalidate_default_index_root_on_cf', flags: [off('cf-no-invalidate-default-index-root', "When using Custom Origin and S3 static website, don't invalidate the path to the default index file.")], default: true, commands: [], use: refused(CLOUDFRONT, true) }),
  list({ dest: 'cf_cnames_add', flags: [flag('cf-add-cname', 'CNAME', 'Add given CNAME to a CloudFront distribution (only for [cfcreate] and [cfmodify] commands)')], parser: text, commands: ['cfcreate', 'cfmodify'], use: refused(CLOUDFRONT, true) }),
  list({ dest: 'cf_cnames_remove', flags: [flag('cf-remove-cname', 'CNAME', 'Remove given CNAME from a CloudFront distribution (only for [cfmodify] command)')], parser: text, commands: ['cfmodify'], use: refused(CLOUDFRONT, true) }),
  value({ dest: 'cf_comment', flags: [flag('cf-comment', 'COMMENT', 'Set COMMENT for a given CloudFront distribution (only for [cfcreate] and [cfmodify] commands)')], default: '', parser: text, commands: ['cfcreate', 'cfmodify'], use: refused(CLOUDFRONT, true) }),
  value({ dest: 'cf_default_root_object', flags: [flag('cf-default-root-object', 'DEFAULT_ROOT_OBJECT', 'Set the default root object to return when no object is specified in the URL. (only for [cfcreate] and [cfmodify] commands)')], default: '', parser: text, commands: ['cfcreate', 'cfmodify'], use: refused(CLOUDFRONT, true) }),
  // ---------------------------------------------------------------- verbosity, version
  bool({ dest: 'verbose', flags: [on('verbose', 'Enable verbose output.', { short: 'v' })], default: false, commands: '*', use: MAIN }),
  bool({ dest: 'debug', flags: [on('debug', 'Enable debug output (secrets are redacted).', { short: 'd' })], default: false, commands: '*', use: MAIN }),
  bool({ dest: 'show_version', flags: [on('version', 'Show s3k version and exit.')], default: false, commands: '*', use: MAIN }),
  bool({ dest: 'follow_symlinks', s3cfg: 'follow_symlinks', flags: [on('follow-symlinks', 'Follow symbolic links as if they are regular files', { short: 'F' })], default: false, commands: ['put', 'sync'], use: reads('followSymlinks', 'commands/put.ts', 'sync/plan.ts') }),
  value({ dest: 'cache_file', s3cfg: 'cache_file', flags: [flag('cache-file', 'FILE', 'Cache FILE containing local source MD5 values')], default: '', parser: text, commands: ['put', 'sync'], use: reads('cacheFile', 'sync/plan.ts', 'sync/engine.ts', 'commands/put.ts') }),
  bool({ dest: 'quiet', flags: [on('quiet', 'Silence output on stdout', { short: 'q' })], default: false, commands: '*', use: MAIN }),
  // ---------------------------------------------------------------- TLS and connections
  value({ dest: 'ca_certs_file', s3cfg: 'ca_certs_file', env: ['AWS_CA_BUNDLE'], flags: [flag('ca-certs', 'CA_CERTS_FILE', 'Path to SSL CA certificate FILE (instead of system default)')], default: '', parser: text, commands: '*', use: reads('caCertsFile', 'commands/context.ts') }),
  value({ dest: 'ssl_client_cert_file', s3cfg: 'ssl_client_cert_file', flags: [flag('ssl-cert', 'SSL_CLIENT_CERT_FILE', 'Path to client own SSL certificate CRT_FILE')], default: '', parser: text, commands: '*', use: refused('TLS client certificates are not implemented.') }),
  value({ dest: 'ssl_client_key_file', s3cfg: 'ssl_client_key_file', flags: [flag('ssl-key', 'SSL_CLIENT_KEY_FILE', 'Path to client own SSL certificate private key KEY_FILE')], default: '', parser: text, commands: '*', use: refused('TLS client certificates are not implemented.') }),
  bool({
    dest: 'check_ssl_certificate', s3cfg: 'check_ssl_certificate', flags: [on('check-certificate', 'Check SSL certificate validity'), off('no-check-certificate', 'Do not check SSL certificate validity')],
    default: true, commands: '*', use: reads('checkCertificate', 'commands/context.ts'),
  }),
  bool({
    dest: 'check_ssl_hostname', s3cfg: 'check_ssl_hostname', flags: [on('check-hostname', 'Check SSL certificate hostname validity'), off('no-check-hostname', 'Do not check SSL certificate hostname validity')],
    default: true, commands: '*', use: reads('checkHostname', 'commands/context.ts'),
  }),
  bool({ dest: 'signature_v2', s3cfg: 'signature_v2', flags: [on('signature-v2', "Use AWS Signature version 2 instead of newer signature methods. Helpful for S3-like systems that don't have AWS Signature v4 yet.")], default: false, commands: '*', use: reads('signatureV2', 'commands/context.ts', 'commands/signurl.ts') }),
  value({ dest: 'limitrate', s3cfg: 'limitrate', flags: [flag('limit-rate', 'LIMITRATE', 'Limit the upload or download speed to amount bytes per second.  Amount may be expressed in bytes, kilobytes with the k suffix, or megabytes with the m suffix')], default: 0, parser: rate, commands: TRANSFER, use: reads('limitRate', 'commands/put.ts', 'commands/get.ts', 'sync/engine.ts') }),
  bool({ dest: 'connection_pooling', s3cfg: 'connection_pooling', flags: [off('no-connection-pooling', 'Disable connection reuse')], default: true, commands: '*', use: refused('s3k always reuses connections.') }),
  bool({ dest: 'requester_pays', s3cfg: 'requester_pays', flags: [on('requester-pays', 'Set the REQUESTER PAYS flag for operations')], default: false, commands: '*', use: reads('requesterPays', 'commands/context.ts') }),
  bool({ dest: 'long_listing', s3cfg: 'long_listing', flags: [on('long-listing', 'Produce long listing [ls]', { short: 'l' })], default: false, commands: ['ls', 'la'], use: reads('longListing', 'commands/ls.ts') }),
  bool({ dest: 'stop_on_error', s3cfg: 'stop_on_error', flags: [on('stop-on-error', 'stop if error in transfer')], default: false, commands: TRANSFER, use: reads('stopOnError', 'commands/put.ts', 'commands/sync.ts', 'commands/cp.ts') }),
  value({ dest: 'max_retries', s3cfg: 'max_retries', flags: [flag('max-retries', 'NUM', 'Maximum number of times to retry a failed request before giving up. Default is 5')], default: 5, parser: int(0, 100), commands: '*', use: reads('maxRetries', 'commands/context.ts') }),
  value({ dest: 'content_disposition', s3cfg: 'content_disposition', flags: [flag('content-disposition', 'CONTENT_DISPOSITION', 'Provide a Content-Disposition for signed URLs, e.g., "inline; filename=myvideo.mp4"')], default: '', parser: text, commands: ['signurl'], use: reads('contentDisposition', 'commands/signurl.ts') }),
  value({ dest: 'content_type', s3cfg: 'content_type', flags: [flag('content-type', 'CONTENT_TYPE', 'Provide a Content-Type for signed URLs, e.g., "video/mp4"')], default: '', parser: text, commands: ['signurl'], use: reads('contentType', 'commands/signurl.ts') }),
  // ---------------------------------------------------------------- s3k's own
  value({ dest: 'parallel', s3kOwn: true, flags: [flag('parallel', 'N', '[s3k] Concurrent requests for transfers (default 16)')], default: 16, parser: int(1, 1024), commands: [...TRANSFER, 'del', 'rm', 'rb'], use: reads('parallel', 'commands/put.ts', 'commands/get.ts', 'sync/engine.ts', 'commands/cp.ts', 'sync/remove.ts') }),
  bool({
    dest: 'json', s3kOwn: true, flags: [on('json', '[s3k] Print results as JSON (ls, la, du, info, whoami, doctor); for put, get, sync, cp, mv, modify and del one summary object on stdout at the end (counts, bytes, seconds, failures, exit code), with the per-file lines moved to stderr')],
    default: false, commands: ['ls', 'la', 'du', 'info', 'whoami', 'doctor', 'put', 'get', 'sync', 'cp', 'mv', 'modify', 'del', 'rm'], use: reads('json', 'commands/ls.ts', 'commands/du.ts', 'commands/info.ts', 'commands/whoami.ts', 'commands/doctor.ts', 'commands/get.ts', 'main.ts'),
  }),
  // s3k's own; the environment variable lets a CronJob's manifest set it without touching the command.
  value({
    dest: 'progress_interval', s3kOwn: true, env: ['S3K_PROGRESS_INTERVAL'],
    flags: [flag('progress-interval', 'SECONDS', "[s3k] When the progress meter is off (stdout is not a terminal), print a 'progress:' line on stderr every SECONDS seconds during put, get, sync, cp, mv and del (default 30; 0 or --no-progress: none)")],
    default: 30, parser: int(0, 86400), commands: [...TRANSFER, 'del', 'rm'], use: reads('progressInterval', 'main.ts'),
  }),
  // No .s3cfg key and no environment variable: the aws cli has only the command-line option.
  bool({ dest: 'no_sign_request', s3kOwn: true, flags: [on('no-sign-request', "[s3k] Send requests unsigned, for public buckets and objects; no credentials are looked up (as aws --no-sign-request)")], default: false, commands: '*', use: reads('noSignRequest', 'commands/context.ts') }),
  value({ dest: 'shard', s3kOwn: true, flags: [flag('shard', 'K/N', '[s3k] Process only shard K of N (0-based) of the keys')], default: undefined, parser: shard, format: (v?: { index: number; count: number }) => (v ? `${v.index}/${v.count}` : ''), commands: [...TRANSFER, 'del', 'rm', 'setacl', 'restore'], use: reads('shard', 'sync/select.ts') }),

  // AWS SDK settings: the environment variable, else the AWS config profile's key (no flag, no .s3cfg key).
  bool({ dest: 'use_fips_endpoint', env: ['AWS_USE_FIPS_ENDPOINT'], flags: [], default: false, commands: '*', use: reads(['endpointFlags', 'endpoint'], 'commands/context.ts') }),
  bool({ dest: 'use_dualstack_endpoint', env: ['AWS_USE_DUALSTACK_ENDPOINT'], flags: [], default: false, commands: '*', use: reads(['endpointFlags', 'endpoint'], 'commands/context.ts') }),

  // ---------------------------------------------------------------- .s3cfg only
  value({ dest: 'socket_timeout', s3cfg: 'socket_timeout', flags: [], default: 300, parser: int(1), commands: '*', use: reads('socketTimeoutMs', 'commands/context.ts') }),
  value({ dest: 'proxy_host', s3cfg: 'proxy_host', flags: [], default: '', parser: text, commands: '*', use: reads('proxyHost', 'commands/context.ts'), ask: { order: 9, prompt: 'HTTP Proxy server name', help: "On some networks all internet access must go through a HTTP proxy.\nTry setting it here if you can't connect to S3 directly" } }),
  value({ dest: 'proxy_port', s3cfg: 'proxy_port', flags: [], default: 3128, parser: int(0, 65535), commands: '*', use: reads('proxyPort', 'commands/context.ts'), ask: { order: 10, prompt: 'HTTP Proxy server port' } }),
  value({ dest: 'gpg_passphrase', s3cfg: 'gpg_passphrase', flags: [], default: '', parser: text, commands: [], use: { inert: 'only used by --encrypt, which s3k refuses' }, ask: { order: 6, prompt: 'Encryption password', help: 'Encryption password is used to protect your files from reading\nby unauthorized persons while in transfer to S3' } }),
  value({ dest: 'gpg_command', s3cfg: 'gpg_command', flags: [], default: '', parser: text, commands: [], use: { inert: 'only used by --encrypt, which s3k refuses' }, ask: { order: 7, prompt: 'Path to GPG program' } }),
  value({ dest: 'gpg_encrypt', s3cfg: 'gpg_encrypt', flags: [], default: '%(gpg_command)s -c --verbose --no-use-agent --batch --yes --passphrase-fd %(passphrase_fd)s -o %(output_file)s %(input_file)s', parser: text, commands: [], use: { inert: 'only used by --encrypt, which s3k refuses' } }),
  value({ dest: 'gpg_decrypt', s3cfg: 'gpg_decrypt', flags: [], default: '%(gpg_command)s -d --verbose --no-use-agent --batch --yes --passphrase-fd %(passphrase_fd)s -o %(output_file)s %(input_file)s', parser: text, commands: [], use: { inert: 'only used by --encrypt, which s3k refuses' } }),
  value({ dest: 'cloudfront_host', s3cfg: 'cloudfront_host', flags: [], default: 'cloudfront.amazonaws.com', parser: text, commands: [], use: { inert: 'CloudFront commands are refused' } }),
  value({ dest: 'simpledb_host', s3cfg: 'simpledb_host', flags: [], default: 'sdb.amazonaws.com', parser: text, commands: [], use: { inert: 's3cmd does not use it either' } }),
  value({ dest: 'connection_max_age', s3cfg: 'connection_max_age', flags: [], default: 5, parser: int(), commands: [], use: { inert: "tuning of s3cmd's connection pool; s3k's keep-alive pool retires idle connections itself" } }),
  value({ dest: 'send_chunk', s3cfg: 'send_chunk', flags: [], default: 65536, parser: int(), commands: [], use: { inert: "s3cmd's socket buffer size; s3k streams with its own buffers" } }),
  value({ dest: 'recv_chunk', s3cfg: 'recv_chunk', flags: [], default: 65536, parser: int(), commands: [], use: { inert: "s3cmd's socket buffer size; s3k streams with its own buffers" } }),
  value({ dest: 'throttle_max', s3cfg: 'throttle_max', flags: [], default: 100, parser: int(), commands: [], use: { inert: "s3cmd's cap on its own back-off sleeps; s3k's retry policy has its own" } }),
  bool({ dest: 'use_http_expect', s3cfg: 'use_http_expect', default: false, flags: [], commands: [], use: { inert: "s3k never waits for '100 Continue'; the request is the same either way" } }),
  value({ dest: 'multipart_copy_chunk_size_mb', s3cfg: 'multipart_copy_chunk_size_mb', flags: [], default: 1024, parser: int(), commands: [], use: { inert: 's3k copies objects above 5 GiB with parts of --multipart-chunk-size-mb' } }),
  value({ dest: 'multipart_max_chunks', s3cfg: 'multipart_max_chunks', flags: [], default: 10000, parser: int(), commands: [], use: { inert: 's3k grows the part size to stay within the 10000 parts S3 allows' } }),
  bool({ dest: 'public_url_use_https', s3cfg: 'public_url_use_https', default: false, flags: [], commands: [], use: { inert: "s3k prints public URLs with the endpoint's scheme" } }),
  bool({ dest: 'signurl_use_https', s3cfg: 'signurl_use_https', default: false, flags: [], commands: [], use: { inert: "s3k signs URLs with the endpoint's scheme" } }),
  value({ dest: 'verbosity', s3cfg: 'verbosity', flags: [], default: 'WARNING', parser: text, commands: [], use: { inert: 's3k takes -v / -d / -q from the command line' } }),
];

// ------------------------------------------------------------------------------------------ lookups
export function optionByDest(dest: string): OptionRecord {
  const r = OPTIONS.find((o) => o.dest === dest);
  if (!r) throw new Error(`no option record '${dest}'`);
  return r;
}

interface FlagRef {
  record: OptionRecord;
  flag: Flag;
}
const LONG = new Map<string, FlagRef>();
const SHORT = new Map<string, FlagRef>();
for (const record of OPTIONS)
  for (const f of record.flags) {
    for (const name of [f.long, ...(f.aliases ?? [])]) {
      if (LONG.has(name)) throw new Error(`option --${name} is in the table twice`);
      LONG.set(name, { record, flag: f });
    }
    if (f.short) {
      if (SHORT.has(f.short)) throw new Error(`option -${f.short} is in the table twice`);
      SHORT.set(f.short, { record, flag: f });
    }
  }

/** The flag a long or short option name (without dashes) stands for. */
export function findFlag(name: string): FlagRef | undefined {
  return LONG.get(name) ?? (name.length === 1 ? SHORT.get(name) : undefined);
}

// ------------------------------------------------------------------------------------------ parsing
/** Parsed command line: canonical long flag -> true (booleans), the raw value, or the raw values (lists). */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommandLine {
  values: OptionValues;
  positionals: string[];
}

/** optparse's long-option matching: exact, else a unique prefix. Returns the flag and its full name. */
function matchLong(typed: string): { ref: FlagRef; shown: string } {
  const name = typed.slice(2);
  const exact = LONG.get(name);
  if (exact) return { ref: exact, shown: typed };
  const candidates = name === '' ? [] : [...LONG.keys()].filter((k) => k.startsWith(name)).sort();
  if (candidates.length === 1) return { ref: LONG.get(candidates[0])!, shown: `--${candidates[0]}` };
  if (candidates.length === 0) throw new UsageError(`no such option: ${typed}`);
  throw new UsageError(`ambiguous option: ${typed} (${candidates.map((c) => `--${c}`).join(', ')}?)`);
}

function takesValue(r: OptionRecord): boolean {
  return r.kind !== 'bool';
}

/** Check a value with its record's parser: optparse's `option --x: ...` error (exit 2) when it does not parse. */
export function checkValue(r: OptionRecord, shown: string, raw: string): unknown {
  try {
    return (r as ValueOption | ListOption).parser.parse(raw);
  } catch (e) {
    if (e instanceof OptionValueError) throw new UsageError(`option ${shown}: ${e.reason}`);
    throw e;
  }
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const values: OptionValues = {};
  const positionals: string[] = [];
  const store = (ref: FlagRef, shown: string, raw: string | undefined) => {
    const { record, flag } = ref;
    if (record.kind === 'bool') {
      // the last of --ssl / --no-ssl wins, as with optparse's shared dest
      for (const f of record.flags) delete values[f.long];
      values[flag.long] = true;
      return;
    }
    checkValue(record, shown, raw!);
    if (record.kind === 'list') values[flag.long] = [...((values[flag.long] as string[] | undefined) ?? []), raw!];
    else values[flag.long] = raw;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const typed = eq < 0 ? a : a.slice(0, eq);
      const { ref, shown } = matchLong(typed);
      if (takesValue(ref.record)) {
        let raw: string;
        if (eq >= 0) raw = a.slice(eq + 1);
        else if (i + 1 < argv.length) raw = argv[++i];
        else throw new UsageError(`${shown} option requires 1 argument`);
        store(ref, shown, raw);
      } else {
        if (eq >= 0) throw new UsageError(`${shown} option does not take a value`);
        store(ref, shown, undefined);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const shown = `-${a[j]}`;
        const ref = SHORT.get(a[j]);
        if (!ref) throw new UsageError(`no such option: ${shown}`);
        if (!takesValue(ref.record)) {
          store(ref, shown, undefined);
          continue;
        }
        let raw: string;
        if (j + 1 < a.length) raw = a.slice(j + 1);
        else if (i + 1 < argv.length) raw = argv[++i];
        else throw new UsageError(`${shown} option requires 1 argument`);
        store(ref, shown, raw);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { values, positionals };
}

/**
 * The run modes main.ts finishes before a command is known, first one given wins (its order), and
 * which of s3k's own options each reads: --version none; --dump-config and --configure the ones
 * with a .s3cfg key (dumped, or written to the file); --install-s3cmd-link only its own.
 */
const EARLY_MODES: { flag: string; reads: (r: OptionRecord) => boolean }[] = [
  { flag: 'version', reads: () => false },
  { flag: 'dump-config', reads: (r) => !!r.s3cfg },
  { flag: 'configure', reads: (r) => !!r.s3cfg },
  { flag: 'install-s3cmd-link', reads: (r) => r.dest === 'install_s3cmd_link' },
];

/**
 * The run mode that ends the run before any command (--version, --dump-config, --configure,
 * --install-s3cmd-link), or undefined. s3k's own options on the command line that this mode does
 * not read are refused with one line (exit 64), as they are for a command that does not read them;
 * s3cmd's options stay accepted, as s3cmd accepts them.
 */
export function earlyMode(values: OptionValues): string | undefined {
  const mode = EARLY_MODES.find((m) => values[m.flag] !== undefined && values[m.flag] !== false);
  if (!mode) return undefined;
  for (const r of OPTIONS) {
    if (!r.s3kOwn || mode.reads(r)) continue;
    const f = r.flags.find((x) => values[x.long] !== undefined);
    if (f) throw new UnsupportedOptionError(`--${f.long} does nothing with --${mode.flag}; leave it out.`);
  }
  return mode.flag;
}

// ------------------------------------------------------------------------------------------ help
function wrap(textIn: string, width: number): string[] {
  const out: string[] = [];
  for (const para of textIn.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

/** The `Options:` block of --help, in optparse's layout, from the table. */
export function optionsHelp(width = 80): string[] {
  const lines: string[] = [];
  const col = 24;
  for (const r of OPTIONS) {
    for (const f of r.flags) {
      // --no-encrypt asks for the default, which is no refusal
      const refusedFlag = 'refused' in r.use && !(r.kind === 'bool' && (f.sets !== false) === r.default);
      const note = refusedFlag && 'refused' in r.use ? ` [s3k: not supported${r.use.forGood ? '' : ' yet'}]` : '';
      const mv = takesValue(r) ? (f.metavar ?? r.dest.toUpperCase()) : undefined;
      const names = [...(f.short ? [`-${f.short}${mv ? ` ${mv}` : ''}`] : []), ...[f.long, ...(f.aliases ?? [])].map((n) => `--${n}${mv ? `=${mv}` : ''}`)].join(', ');
      const help = wrap(f.help + note, width - col);
      const head = `  ${names}`;
      if (head.length <= col - 2) lines.push(head.padEnd(col) + help[0], ...help.slice(1).map((l) => ' '.repeat(col) + l));
      else lines.push(head, ...help.map((l) => ' '.repeat(col) + l));
    }
  }
  return lines;
}
