// credential_process: run the command a profile names and read credentials from its stdout, as the
// AWS CLI does. The command line is split into words the way the CLI splits it (Python's shlex.split:
// whitespace, '…' and "…" quoting, backslash escapes; no variables, no ~, no globbing) and run
// without a shell. stdout must be JSON: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// optional "SessionToken" and "Expiration" (ISO 8601)}. The command's stderr goes straight to s3k's
// stderr (so it can say what it is doing or why it failed); it gets no stdin (s3k may be reading
// stdin for an upload). Credentials with an Expiration are cached until shortly before it (refresh.ts)
// and the command is run again then; without one they last the whole run.
import { spawn } from 'node:child_process';
import { refreshingProvider, type ProviderOptions } from './refresh.ts';
import { oneLine } from './transport.ts';
import { CredentialsError, type CredentialProvider, type Credentials, type CredentialSource } from './types.ts';

/** Stop reading a command's stdout beyond this: credentials fit in a few KiB. */
export const PROCESS_MAX_STDOUT_BYTES = 1 << 20;

/** A command line that cannot be split (unbalanced quote, trailing backslash). */
export class ShellSplitError extends Error {}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Python's shlex.split(s) (POSIX mode, no comments): words separated by whitespace; inside '…' every
 * character is literal; inside "…" a backslash escapes only " and \; elsewhere a backslash escapes the
 * next character. '' and "" give an empty word.
 */
export function shellSplit(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (WHITESPACE.has(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new ShellSplitError('No closing quotation');
      word += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new ShellSplitError('No closing quotation');
        const d = s[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '\\')) {
          word += s[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new ShellSplitError('No escaped character');
      word += s[i + 1];
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export interface ProcessConfig {
  /** The credential_process value. */
  command: string;
  /** The profile it came from (messages, whoami). */
  profile: string;
  /** Environment the command runs with. */
  env: NodeJS.ProcessEnv;
}

interface Output {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  truncated: boolean;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env, shell: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    child.stdout.on('data', (c: Buffer) => {
      if (size + c.length > PROCESS_MAX_STDOUT_BYTES) {
        truncated = true;
        return;
      }
      size += c.length;
      chunks.push(c);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(chunks), truncated }));
  });
}

/** Run the command once and parse what it printed. No caching. */
export async function runCredentialProcess(cfg: ProcessConfig, opts: { now?: () => number; debug?: (m: string) => void } = {}): Promise<Credentials> {
  const now = opts.now ?? Date.now;
  const at = `credential_process in profile "${cfg.profile}"`;
  let argv: string[];
  try {
    argv = shellSplit(cfg.command);
  } catch (e) {
    throw new CredentialsError(`${at} cannot be split into words (${(e as Error).message}); quote it as the AWS CLI documents: "path with spaces" arg "arg with spaces"`, 78);
  }
  if (!argv.length || !argv[0]) throw new CredentialsError(`${at} is empty; set it to the command that prints the credentials JSON`, 78);
  const program = argv[0];
  const what = `${at} (${program})`;
  opts.debug?.(`credentials: process: running ${program} for profile ${cfg.profile}`);
  let out: Output;
  try {
    out = await run(argv, cfg.env);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const why =
      code === 'ENOENT'
        ? 'not found; give the full path: the command is run without a shell, so $VARIABLES and ~ are not expanded'
        : code === 'EACCES'
          ? 'permission denied; make it executable (chmod +x)'
          : code;
    throw new CredentialsError(`${at}: cannot run ${program} (${why})`, 78);
  }
  if (out.signal) throw new CredentialsError(`${what} was killed by ${out.signal}; its messages, if any, are on stderr above`, 78);
  if (out.code !== 0) throw new CredentialsError(`${what} exited with code ${out.code}; its messages, if any, are on stderr above`, 78);
  const expected = 'expected JSON {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration": ...}';
  if (out.truncated) throw new CredentialsError(`${what} printed more than ${PROCESS_MAX_STDOUT_BYTES} bytes on stdout; ${expected}`, 78);
  let j: unknown;
  try {
    j = JSON.parse(out.stdout.toString('utf8'));
  } catch {
    // The output may hold secrets: say how big it was, never what it said.
    throw new CredentialsError(`${what} did not print valid JSON on stdout (${out.stdout.length} bytes); ${expected}`, 78);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new CredentialsError(`${what} printed JSON that is not an object; ${expected}`, 78);
  const o = j as Record<string, unknown>;
  if (o.Version !== 1)
    throw new CredentialsError(
      `${what} printed ${o.Version === undefined ? 'no Version' : `Version ${oneLine(JSON.stringify(o.Version), [], 40)}`}; s3k reads Version 1 (${expected})`,
      78,
    );
  const ak = o.AccessKeyId;
  const sk = o.SecretAccessKey;
  const missing = [...(typeof ak !== 'string' || !ak ? ['AccessKeyId'] : []), ...(typeof sk !== 'string' || !sk ? ['SecretAccessKey'] : [])];
  if (missing.length) throw new CredentialsError(`${what} printed no ${missing.join(' and ')} (a non-empty string); ${expected}`, 78);
  const token = o.SessionToken;
  if (token !== undefined && token !== null && typeof token !== 'string') throw new CredentialsError(`${what} printed a SessionToken that is not a string`, 78);
  let expiration: Date | undefined;
  if (o.Expiration !== undefined && o.Expiration !== null) {
    expiration = typeof o.Expiration === 'string' ? new Date(o.Expiration) : undefined;
    if (!expiration || Number.isNaN(expiration.getTime()))
      throw new CredentialsError(`${what} printed Expiration ${oneLine(JSON.stringify(o.Expiration), [], 60)}, which is not an ISO 8601 time such as 2030-01-01T00:00:00Z`, 78);
    if (expiration.getTime() <= now())
      throw new CredentialsError(`${what} printed credentials that expired at ${expiration.toISOString()}; it must print fresh ones`, 78);
  }
  return { accessKeyId: ak as string, secretAccessKey: sk as string, sessionToken: typeof token === 'string' && token ? token : undefined, expiration };
}

/** A cached provider for one credential_process: run again shortly before Expiration, never without one. */
export function processProvider(cfg: ProcessConfig, opts: ProviderOptions = {}): CredentialProvider {
  let program: string | undefined;
  try {
    program = shellSplit(cfg.command)[0];
  } catch {
    program = undefined;
  }
  let expiration: Date | undefined;
  const source = (): CredentialSource => ({
    // Only the program: its arguments may carry secrets.
    name: 'process',
    details: { profile: cfg.profile, command: program, expiration: expiration?.toISOString() },
  });
  const fetch = async () => {
    const c = await runCredentialProcess(cfg, opts);
    expiration = c.expiration;
    return c;
  };
  return refreshingProvider('process', fetch, source, { ...opts.refresh, now: opts.refresh?.now ?? opts.now, debug: opts.refresh?.debug ?? opts.debug });
}
