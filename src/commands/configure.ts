// --dump-config (every setting as `key = value` under [default], s3cmd's key names) and --configure
// (s3cmd's interactive questions, a test listing with the answers, then ~/.s3cfg written mode 0600).
// Both derive from the option table (cli/options.ts): its .s3cfg keys, defaults and questions.
// Questions are read line by line from stdin, so answers can be piped in.
import { existsSync, unlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OPTIONS, type OptionRecord, type OptionValues } from '../cli/options.ts';
import { resolveSettings, defaultConfigPath, type Settings } from '../config/settings.ts';
import { parseBool } from '../config/s3cfg.ts';
import { createContext } from './context.ts';
import { listBuckets, listObjects } from '../s3/ops.ts';
import { S3Error } from '../s3/errors.ts';
import { parseUrl } from '../s3/uri.ts';
import { error, warning, getVerbosity } from '../cli/output.ts';
import { EX } from '../cli/exit-codes.ts';

const py = (b: boolean) => (b ? 'True' : 'False');
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** How a record's value is written to .s3cfg; undefined: not written (a tri-state left unset). */
function dumpValue(r: OptionRecord, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (r.kind === 'bool') return py(v as boolean);
  if (r.format) return r.format(v as never);
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** s3cmd's configuration keys and their defaults, from the option table. */
export const S3CMD_DEFAULTS: Record<string, string> = Object.fromEntries(
  OPTIONS.flatMap((r) => {
    const d = r.s3cfg ? dumpValue(r, r.kind === 'list' ? [] : r.default) : undefined;
    return d === undefined ? [] : [[r.s3cfg!, d]];
  }),
);

/** Every setting as s3cmd names it, as this run resolved it (keys of the file s3k does not know are kept). */
export function configValues(s: Settings): Record<string, string> {
  const out: Record<string, string> = { ...s.fileValues };
  for (const r of OPTIONS) {
    if (!r.s3cfg) continue;
    const v = dumpValue(r, s.options[r.dest].value);
    if (v !== undefined) out[r.s3cfg] = v;
  }
  // settings s3k derives from more than one record, or from the terminal
  if (s.options.host_base.source !== 'default') out.host_base = s.endpoint.host;
  out.use_https = py(s.endpoint.protocol === 'https:');
  out.progress_meter = py(s.progress);
  const v = getVerbosity();
  out.verbosity = v === 'debug' ? 'DEBUG' : v === 'info' ? 'INFO' : out.verbosity;
  return out;
}

export function formatConfig(values: Record<string, string>): string {
  return '[default]\n' + Object.keys(values).sort().map((k) => `${k} = ${values[k]}\n`).join('');
}

export async function cmdConfigure(values: OptionValues, positionals: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const configPath = str(values.config) ?? defaultConfigPath(env);
  if (values['dump-config']) {
    process.stdout.write(formatConfig(configValues(resolveSettings(values, env))));
    return EX.OK;
  }
  // --configure: start from what the existing file (if any) and the command line say; nothing from
  // the environment (keys, endpoints, CA bundle) is written into the file unasked.
  const exists = existsSync(configPath);
  const bare: NodeJS.ProcessEnv = { HOME: exists ? env.HOME : '/nonexistent-s3k-home' };
  const s = resolveSettings({ ...values, config: exists ? configPath : undefined }, bare);
  return runConfigure(configPath, configValues(s), positionals, env);
}

interface Question {
  key: string;
  prompt: string;
  help?: string;
}

/** s3cmd's questions, in its order, from the records the table marks with `ask`. */
const QUESTIONS: Question[] = OPTIONS.filter((r) => r.ask && r.s3cfg)
  .sort((a, b) => a.ask!.order - b.ask!.order)
  .map((r) => ({ key: r.s3cfg!, prompt: r.ask!.prompt, help: r.ask!.help }));

const BOOL_KEYS = new Set(OPTIONS.filter((r) => r.kind === 'bool' && r.s3cfg).map((r) => r.s3cfg!));

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
