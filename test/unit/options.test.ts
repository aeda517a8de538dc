// The option table (src/cli/options.ts): every record is read by the code it names or refused with
// one line; the command line parses and fails the way s3cmd's optparse does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS, earlyMode, optionsHelp, parseCommandLine, type OptionRecord } from '../../src/cli/options.ts';
import { resolveSettings, checkRefused, ConfigError, type Settings } from '../../src/config/settings.ts';
import { UsageError, UnsupportedOptionError, ParameterError, EX } from '../../src/cli/exit-codes.ts';
import { COMMANDS } from '../../src/cli/commands-table.ts';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const env = { HOME: '/nonexistent-home-s3k' };
const source = (rel: string) => fs.readFileSync(path.join(SRC, rel), 'utf8');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Records that are neither read nor refused, each with its reason in the table. A command-line
 * option may only be here when it asks for what s3k always does.
 */
const INERT = new Set([
  'delete_after', // s3k's sync always deletes after the transfers
  'gpg_passphrase',
  'gpg_command',
  'gpg_encrypt',
  'gpg_decrypt',
  'cloudfront_host',
  'simpledb_host',
  'connection_max_age',
  'send_chunk',
  'recv_chunk',
  'throttle_max',
  'use_http_expect',
  'multipart_copy_chunk_size_mb',
  'multipart_max_chunks',
  'public_url_use_https',
  'signurl_use_https',
  'verbosity',
]);
const INERT_FLAGS = new Set(['delete_after']);

/** Settings fields that are bookkeeping, not options. */
const NOT_OPTIONS = new Set(['options', 'fileValues', 'configLoaded', 'invalidConfigLines']);

const settingsKeys = Object.keys(resolveSettings({}, env));

describe('the option table: every option is read by the code it names, or refused', () => {
  for (const r of OPTIONS) {
    const name = r.flags.length ? r.flags.map((f) => `--${f.long}`).join('/') : `.s3cfg ${r.s3cfg}`;
    it(`${r.dest} (${name})`, () => {
      const use = r.use;
      if ('refused' in use) {
        assert.ok(use.refused.length > 10, 'a refusal says what to do instead');
        return;
      }
      if ('inert' in use) {
        assert.ok(INERT.has(r.dest), `${r.dest} is marked inert; read it, refuse it, or add it to INERT here with a reason`);
        if (r.flags.length) assert.ok(INERT_FLAGS.has(r.dest), `command-line option ${name} is neither read nor refused`);
        return;
      }
      if ('main' in use) {
        const main = source('main.ts');
        for (const f of r.flags) assert.match(main, new RegExp(`values\\.${esc(f.long)}\\b|values\\['${esc(f.long)}'\\]`), `main.ts reads --${f.long}`);
        return;
      }
      assert.ok(use.settings.length > 0 && use.readers.length > 0, 'names its Settings fields and their readers');
      // each field is read by one of the readers, each reader reads one of the fields
      const reads = (reader: string, field: string) => new RegExp(`\\.${esc(field)}\\b|\\['${esc(field)}'\\]`).test(source(reader));
      for (const field of use.settings) {
        assert.ok(settingsKeys.includes(field), `Settings has no field '${field}'`);
        assert.ok(use.readers.some((reader) => reads(reader, field)), `none of ${use.readers.join(', ')} reads Settings.${field}`);
      }
      for (const reader of use.readers) assert.ok(use.settings.some((field) => reads(reader, field)), `${reader} reads none of Settings.${use.settings.join(', ')}`);
    });
  }

  it('every Settings field comes from a record', () => {
    const fed = new Set(OPTIONS.flatMap((r) => ('settings' in r.use ? r.use.settings : [])));
    for (const k of settingsKeys) if (!NOT_OPTIONS.has(k)) assert.ok(fed.has(k), `Settings.${k} is fed by no record`);
  });

  it('--help lists every command-line flag', () => {
    const help = optionsHelp().join('\n');
    for (const r of OPTIONS) for (const f of r.flags) assert.match(help, new RegExp(`--${esc(f.long)}\\b`));
    assert.match(help, /--delete-after-fetch +Delete remote objects after fetching to local file \(only\s+for \[get\] and \[sync\] commands\)\. \[s3k: not supported yet\]/);
    assert.doesNotMatch(help, /--cache-file=FILE +Cache FILE containing local source MD5 values \[s3k/);
    assert.match(help, /--no-encrypt +Don't encrypt files\.\n/, 'a flag that asks for the default is not marked');
  });
});

describe('refused options: one line, exit 64', () => {
  const refusedRecords = OPTIONS.filter((r) => 'refused' in r.use);
  const refusal = (s: Settings, command: string): UnsupportedOptionError => {
    try {
      checkRefused(s, command);
    } catch (e) {
      assert.ok(e instanceof UnsupportedOptionError);
      return e;
    }
    assert.fail('not refused');
  };
  const setting = (r: OptionRecord) => {
    const f = r.flags[0];
    if (r.kind === 'bool') return { [f.long]: true };
    return { [f.long]: r.kind === 'list' ? ['x'] : 'x' };
  };
  for (const r of refusedRecords.filter((x) => x.flags.length)) {
    it(`--${r.flags[0].long}`, () => {
      const e = refusal(resolveSettings(setting(r), env), 'sync');
      assert.equal(e.exitCode, EX.USAGE);
      assert.equal(e.render().length, 1);
      assert.match(e.render()[0], new RegExp(`^ERROR: s3k does not support --${esc(r.flags[0].long)}( yet)?; .+`));
    });
  }
  it('the defaults, or the negative flags (--no-encrypt), are not refused', () => {
    checkRefused(resolveSettings({}, env), 'sync');
    checkRefused(resolveSettings({ 'no-encrypt': true }, env), 'sync');
  });
  it('.s3cfg values: proxy_host and proxy_port are read, cache_file is refused for sync only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-opt-'));
    try {
      const cfg = path.join(dir, 's3cfg');
      fs.writeFileSync(cfg, '[default]\nproxy_host = \nproxy_port = 3128\ncache_file = \n');
      checkRefused(resolveSettings({ config: cfg }, env), 'ls');
      assert.equal(resolveSettings({ config: cfg }, env).proxyHost, undefined);
      fs.writeFileSync(cfg, '[default]\nproxy_host = proxy.internal\nproxy_port = 8080\n');
      const s = resolveSettings({ config: cfg }, env);
      checkRefused(s, 'ls');
      assert.equal(s.proxyHost, 'proxy.internal');
      assert.equal(s.proxyPort, 8080);
      // a .s3cfg value only stops the commands that would read it
      fs.writeFileSync(cfg, '[default]\ndelete_after_fetch = True\n');
      checkRefused(resolveSettings({ config: cfg }, env), 'ls');
      assert.match(refusal(resolveSettings({ config: cfg }, env), 'sync').message, /delete_after_fetch/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("s3k's own options: refused on the command line by the commands that do not read them", () => {
  const COMMAND_WORDS = COMMANDS.map((c) => c.cmd);
  const own = OPTIONS.filter((r) => r.s3kOwn);
  const cli = (r: OptionRecord) => {
    const f = r.flags[0];
    const raw = r.dest === 'shard' ? '0/2' : r.dest === 'sse_customer_algorithm' ? 'AES256' : r.dest.startsWith('sse_') ? 'k'.repeat(32) : '1';
    return parseCommandLine(r.kind === 'bool' ? [`--${f.long}`] : [`--${f.long}`, raw]).values;
  };
  it('s3kOwn marks exactly the records whose flags say [s3k] in --help', () => {
    for (const r of OPTIONS) assert.equal(!!r.s3kOwn, r.flags.some((f) => f.help.startsWith('[s3k]')), r.dest);
    assert.ok(own.length >= 8);
  });
  for (const r of own.filter((x) => x.commands !== '*')) {
    it(`--${r.flags[0].long}: read by ${(r.commands as string[]).join(', ')}; one line and exit 64 for the others`, () => {
      const s = resolveSettings(cli(r), env);
      for (const command of COMMAND_WORDS) {
        if ((r.commands as string[]).includes(command)) {
          checkRefused(s, command);
          continue;
        }
        assert.throws(
          () => checkRefused(s, command),
          (e: unknown) => {
            assert.ok(e instanceof UnsupportedOptionError, String(e));
            assert.equal(e.exitCode, EX.USAGE);
            assert.deepEqual(e.render(), [`ERROR: --${r.flags[0].long} does nothing for '${command}' (only for ${(r.commands as string[]).join(', ')}); leave it out.`]);
            return true;
          },
          `${command} --${r.flags[0].long}`,
        );
      }
    });
  }
  it('--json: a summary or JSON results for the commands that list it, refused by mb, signurl, setacl, multipart ...', () => {
    const json = OPTIONS.find((r) => r.dest === 'json')!;
    assert.deepEqual(json.commands, ['ls', 'la', 'du', 'info', 'whoami', 'doctor', 'put', 'get', 'sync', 'cp', 'mv', 'modify', 'del', 'rm']);
    const s = resolveSettings({ json: true }, env);
    for (const c of ['mb', 'rb', 'signurl', 'setacl', 'multipart', 'restore', 'getpolicy']) assert.throws(() => checkRefused(s, c), UnsupportedOptionError);
  });
  it("s3cmd's options stay accepted by every command (as s3cmd accepts them); the environment and .s3cfg are not refused", () => {
    for (const args of [['--stats'], ['--limit', '3'], ['--recursive'], ['--long-listing'], ['--delete-removed'], ['--max-delete', '2']]) {
      const s = resolveSettings(parseCommandLine(args).values, env);
      for (const command of ['mb', 'info', 'signurl', 'put']) checkRefused(s, command);
    }
    checkRefused(resolveSettings({}, { ...env, S3K_PROGRESS_INTERVAL: '5' }), 'ls');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-opt-'));
    try {
      const cfg = path.join(dir, 's3cfg');
      fs.writeFileSync(cfg, `[default]\nsse_customer_key = ${'k'.repeat(32)}\n`);
      checkRefused(resolveSettings({ config: cfg }, env), 'ls');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the run modes that end before a command (--version, --dump-config, --configure, --install-s3cmd-link) refuse s3k's own options they do not read", () => {
  const argsOf = (r: OptionRecord) => {
    const f = r.flags[0];
    const raw = r.dest === 'shard' ? '0/2' : r.dest === 'sse_customer_algorithm' ? 'AES256' : r.dest.startsWith('sse_') ? 'k'.repeat(32) : r.dest === 'install_s3cmd_link' ? '/nonexistent' : '1';
    return r.kind === 'bool' ? [`--${f.long}`] : [`--${f.long}`, raw];
  };
  const refused = (argv: string[], line: string) =>
    assert.throws(
      () => earlyMode(parseCommandLine(argv).values),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedOptionError, String(e));
        assert.equal(e.exitCode, EX.USAGE);
        assert.deepEqual(e.render(), [`ERROR: ${line}`]);
        return true;
      },
      argv.join(' '),
    );
  it('--json with any of them: one line, exit 64', () => {
    for (const mode of ['--version', '--dump-config', '--configure']) refused([mode, '--json'], `--json does nothing with ${mode}; leave it out.`);
    refused(['--json', '--install-s3cmd-link', '/nonexistent'], '--json does nothing with --install-s3cmd-link; leave it out.');
  });
  it("every s3k-own option: refused by --version; by --dump-config and --configure unless it has a .s3cfg key (they dump or write it); by --install-s3cmd-link unless it is that option", () => {
    const own = OPTIONS.filter((r) => r.s3kOwn);
    assert.ok(own.some((r) => r.s3cfg) && own.some((r) => !r.s3cfg), 'both kinds are covered');
    for (const r of own) {
      const a = argsOf(r);
      const modes: [string[], string, boolean][] = [
        [['--version'], 'version', false],
        [['--dump-config'], 'dump-config', !!r.s3cfg],
        [['--configure'], 'configure', !!r.s3cfg],
        [['--install-s3cmd-link', '/nonexistent'], 'install-s3cmd-link', r.dest === 'install_s3cmd_link'],
      ];
      for (const [m, name, reads] of modes) {
        if (r.dest === 'install_s3cmd_link' && name === 'install-s3cmd-link') {
          assert.equal(earlyMode(parseCommandLine(m).values), name);
          continue;
        }
        if (reads) assert.equal(earlyMode(parseCommandLine([...m, ...a]).values), name, `${m[0]} ${a.join(' ')}`);
        else refused([...m, ...a], `--${r.flags[0].long} does nothing with --${name}; leave it out.`);
      }
    }
  });
  it("s3cmd's options stay accepted with them, as s3cmd accepts them; no mode, nothing refused here", () => {
    for (const mode of [['--version'], ['--dump-config'], ['--configure'], ['--install-s3cmd-link', '/nonexistent']])
      for (const args of [['--recursive'], ['--limit', '3'], ['--multipart-chunk-size-mb', '32'], ['--force']]) assert.ok(earlyMode(parseCommandLine([...mode, ...args]).values));
    assert.equal(earlyMode(parseCommandLine(['--json', 'ls']).values), undefined);
    assert.equal(earlyMode(parseCommandLine(['--parallel', '4', 'put', 'a', 's3://b']).values), undefined);
  });
  it('the first mode given wins, in the order main.ts runs them', () => {
    assert.equal(earlyMode(parseCommandLine(['--dump-config', '--version']).values), 'version');
    assert.equal(earlyMode(parseCommandLine(['--configure', '--dump-config']).values), 'dump-config');
    refused(['--install-s3cmd-link', '/nonexistent', '--version'], '--install-s3cmd-link does nothing with --version; leave it out.');
  });
});

describe("the command line, as s3cmd's optparse reads it", () => {
  const usageError = (argv: string[], message: string) => {
    assert.throws(
      () => parseCommandLine(argv),
      (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.equal(e.exitCode, 2);
        assert.deepEqual(e.render(), ['Usage: s3k [options] COMMAND [parameters]', '', `s3k: error: ${message}`]);
        return true;
      },
    );
  };
  it('unknown, ambiguous, missing or extra values: usage line and exit 2', () => {
    usageError(['--frobnicate', 'ls'], 'no such option: --frobnicate');
    usageError(['-Z', 'ls'], 'no such option: -Z');
    usageError(['ls', '--limit'], '--limit option requires 1 argument');
    usageError(['ls', '-c'], '-c option requires 1 argument');
    usageError(['--rr=1', 'ls'], '--rr option does not take a value');
    usageError(['--check', 'ls'], 'ambiguous option: --check (--check-certificate, --check-hostname, --check-md5?)');
  });
  it('bad values: optparse wording for every typed option', () => {
    usageError(['--parallel=x', 'ls'], "option --parallel: invalid integer value: 'x'");
    usageError(['--parallel=0', 'ls'], "option --parallel: invalid value: '0' (must be a whole number from 1 to 1024)");
    usageError(['--shard=3/3', 'ls'], "option --shard: invalid value: '3/3' (must be K/N with 0 <= K < N, e.g. 0/4)");
    usageError(['--multipart-chunk-size-mb', 'x', 'ls'], "option --multipart-chunk-size-mb: invalid integer value: 'x'");
    usageError(['--limit-rate=fast', 'ls'], "option --limit-rate: invalid rate value: 'fast' (a number with optional suffix k or m, e.g. 512k)");
    usageError(['-m', 'foo', 'put'], "option -m: invalid MIME-Type format: 'foo'");
    usageError(['--acl-grant=foo', 'setacl'], "option --acl-grant: invalid S3 ACL format: 'foo'");
    usageError(['--acl-grant=rwx:abc', 'setacl'], 'option --acl-grant: invalid S3 ACL permission: rwx (valid values: read, write, read_acp, write_acp, full_control, all)');
    usageError(['--restore-priority=fast', 'restore'], "option --restore-priority: invalid choice: 'fast' (choose from 'standard', 'expedited', 'bulk')");
  });
  it("--add-header without a colon is s3cmd's Parameter problem (64)", () => {
    assert.throws(() => parseCommandLine(['--add-header=foo', 'put']), (e: unknown) => e instanceof ParameterError && e.exitCode === 64 && e.render()[0] === 'ERROR: Parameter problem: Invalid header format: foo');
    assert.throws(() => parseCommandLine(['--add-header=Bad Name:x']), /Invalid character\(s\) in header name 'Bad Name': "<space>"/);
  });
  it('prefixes, values that start with a dash, clustered short flags, --, and the last of --x/--no-x', () => {
    const p = parseCommandLine(['--recur', 'ls', '--max-delete', '-1', '-rfcFILE', '--no-ssl', '--ssl', '--', '--not-an-option']);
    assert.deepEqual(p.positionals, ['ls', '--not-an-option']);
    assert.equal(p.values.recursive, true);
    assert.equal(p.values.force, true);
    assert.equal(p.values['max-delete'], '-1');
    assert.equal(p.values.config, 'FILE');
    assert.equal(p.values.ssl, true);
    assert.equal(p.values['no-ssl'], undefined);
    const q = parseCommandLine(['--rr', '--bucket-location=EU', '-', 's3://b/k']);
    assert.equal(q.values['reduced-redundancy'], true, 'aliases are stored under their canonical flag');
    assert.equal(q.values.region, 'EU');
    assert.deepEqual(q.positionals, ['-', 's3://b/k']);
  });
});

describe('settings from the table', () => {
  it('typed values, tri-states and lists', () => {
    const s = resolveSettings(parseCommandLine(['--acl-grant=read:a@example.com', '--acl-revoke=write:b', '--add-header=Cache-Control: max-age=60', '--add-header=x-amz-meta-A:b:c', '--remove-header=Content-Disposition', '-D', '3', '--restore-priority=bulk', '--limit-rate=1k']).values, env);
    assert.deepEqual(s.aclGrants, [{ name: 'a@example.com', permission: 'READ' }]);
    assert.deepEqual(s.aclRevokes, [{ name: 'b', permission: 'WRITE' }]);
    assert.deepEqual(s.extraHeaders, { 'cache-control': 'max-age=60', 'x-amz-meta-a': 'b:c' });
    assert.deepEqual(s.removeHeaders, ['content-disposition']);
    assert.equal(s.restoreDays, 3);
    assert.equal(s.restorePriority, 'Bulk');
    assert.equal(s.limitRate, 1024);
    assert.equal(s.aclPublic, undefined);
    assert.equal(resolveSettings({ 'acl-public': true }, env).aclPublic, true);
    assert.equal(resolveSettings({ 'acl-private': true }, env).aclPublic, false);
  });
  it('.s3cfg: every s3cmd key the table names, add_headers merged with --add-header, acl_public None', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-opt-'));
    try {
      const cfg = path.join(dir, 's3cfg');
      fs.writeFileSync(cfg, '[default]\nrecursive = True\nlimit = 7\nadd_headers = Cache-Control:no-cache,x-amz-meta-k:v\nacl_public = None\nrestore_priority = Standard\nwebsite_index = home.html\nprogress_meter = True\n');
      const s = resolveSettings({ config: cfg, 'add-header': ['x-amz-meta-k:w'] }, env);
      assert.equal(s.recursive, true);
      assert.equal(s.limit, 7);
      assert.deepEqual(s.extraHeaders, { 'cache-control': 'no-cache', 'x-amz-meta-k': 'w' });
      assert.equal(s.aclPublic, undefined);
      assert.equal(s.restorePriority, 'Standard');
      assert.equal(s.websiteIndex, 'home.html');
      assert.equal(s.progress, !!process.stdout.isTTY, "progress_meter from s3cmd's --configure does not decide");
      fs.writeFileSync(cfg, '[default]\nlimit = many\n');
      assert.throws(() => resolveSettings({ config: cfg }, env), (e: unknown) => e instanceof ConfigError && e.exitCode === 78 && /s3cfg: limit must be a whole number, not 'many'$/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it("multipart chunk size limits are s3cmd's Parameter problem, from the file too", () => {
    assert.throws(() => resolveSettings({ 'multipart-chunk-size-mb': '4' }, env), /^ParameterError: Chunk size 4 MB is too small, must be >= 5 MB/);
    assert.throws(() => resolveSettings({ 'multipart-chunk-size-mb': '6000' }, env), /Chunk size 6000 MB is too large, must be <= 5120 MB/);
  });
});
