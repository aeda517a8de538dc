// argv -> command -> exit code. The only place that calls process.exit.
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
// Flat memory on long listings and syncs. V8 doubles the young generation (up to 2 x 16 MiB) each
// time the bytes that survived scavenges add up to its size, which a stream of listing pages always
// does in the end, and after each full collection lets the old generation grow to about 3 x what
// was live. Peak RSS then grew with the object count (ls -r: 66 MiB at 10,000 keys, 100 MiB at
// 100,000) although nothing is held. The old generation may grow by half of what is live, and the
// young generation stops growing at 2 x 4 MiB (kept at its 1 MiB start, small uploads collected
// five times as often and ls -r of 100,000 keys took 30% more CPU; at 4 MiB the listing costs
// what it did). The heap-size flags proper can only be given on node's command line; these two
// are read each time the heap is resized. S3K_V8_DEFAULT_HEAP=1 leaves V8 alone.
if (!process.env.S3K_V8_DEFAULT_HEAP) {
  setFlagsFromString('--heap-growing-percent=50');
  const young = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? Infinity;
  const capYoung = () => {
    if (young() < 8 << 20) return false;
    setFlagsFromString('--semi-space-growth-factor=1');
    return true;
  };
  if (!capYoung()) {
    const t = setInterval(() => capYoung() && clearInterval(t), 25);
    t.unref();
  }
}
import { parseCommandLine, optionsHelp, earlyMode } from './cli/options.ts';
import { COMMANDS } from './cli/commands-table.ts';
import { EX, USAGE_LINE } from './cli/exit-codes.ts';
import { asS3kError, UnexpectedError } from './errors.ts';
import { setVerbosity, getVerbosity, setProgress, setProgressInterval, resultsToStderr, jsonResult, error, warning, debug, result, printable, flushOutput } from './cli/output.ts';
import { addSecret, redact } from './cli/redact.ts';
import { resolveSettings, checkRefused } from './config/settings.ts';
import { createContext, type Context } from './commands/context.ts';
import { sharedConfigKey } from './credentials/profile.ts';
import { destroyAgents } from './net/http.ts';
import { summaryJson } from './transfer/summary.ts';

declare const S3K_VERSION: string;
const VERSION = typeof S3K_VERSION === 'string' ? S3K_VERSION : '0.0.0-dev';

type Handler = (ctx: Context, args: string[]) => Promise<number>;

const HANDLERS: Record<string, () => Promise<Handler>> = {
  ls: async () => (await import('./commands/ls.ts')).cmdLs,
  la: async () => (await import('./commands/ls.ts')).cmdLa,
  mb: async () => (await import('./commands/buckets.ts')).cmdMb,
  rb: async () => (await import('./commands/buckets.ts')).cmdRb,
  put: async () => (await import('./commands/put.ts')).cmdPut,
  get: async () => (await import('./commands/get.ts')).cmdGet,
  del: async () => (await import('./commands/del.ts')).cmdDel,
  rm: async () => (await import('./commands/del.ts')).cmdDel,
  du: async () => (await import('./commands/du.ts')).cmdDu,
  info: async () => (await import('./commands/info.ts')).cmdInfo,
  sync: async () => (await import('./commands/sync.ts')).cmdSync,
  whoami: async () => (await import('./commands/whoami.ts')).cmdWhoami,
  doctor: async () => (await import('./commands/doctor.ts')).cmdDoctor,
  cp: async () => (await import('./commands/cp.ts')).cmdCp,
  mv: async () => (await import('./commands/cp.ts')).cmdMv,
  modify: async () => (await import('./commands/cp.ts')).cmdModify,
  signurl: async () => (await import('./commands/signurl.ts')).cmdSignurl,
  sign: async () => (await import('./commands/signurl.ts')).cmdSign,
  multipart: async () => (await import('./commands/multipart.ts')).cmdMultipart,
  listmp: async () => (await import('./commands/multipart.ts')).cmdListmp,
  abortmp: async () => (await import('./commands/multipart.ts')).cmdAbortmp,
  setacl: async () => (await import('./commands/setacl.ts')).cmdSetacl,
  getacl: async () => (await import('./commands/setacl.ts')).cmdGetacl,
  setpolicy: async () => (await import('./commands/bucket-config.ts')).cmdSetpolicy,
  getpolicy: async () => (await import('./commands/bucket-config.ts')).cmdGetpolicy,
  delpolicy: async () => (await import('./commands/bucket-config.ts')).cmdDelpolicy,
  setcors: async () => (await import('./commands/bucket-config.ts')).cmdSetcors,
  getcors: async () => (await import('./commands/bucket-config.ts')).cmdGetcors,
  delcors: async () => (await import('./commands/bucket-config.ts')).cmdDelcors,
  expire: async () => (await import('./commands/bucket-config.ts')).cmdExpire,
  setlifecycle: async () => (await import('./commands/bucket-config.ts')).cmdSetlifecycle,
  getlifecycle: async () => (await import('./commands/bucket-config.ts')).cmdGetlifecycle,
  dellifecycle: async () => (await import('./commands/bucket-config.ts')).cmdDellifecycle,
  settagging: async () => (await import('./commands/bucket-config.ts')).cmdSettagging,
  gettagging: async () => (await import('./commands/bucket-config.ts')).cmdGettagging,
  deltagging: async () => (await import('./commands/bucket-config.ts')).cmdDeltagging,
  setversioning: async () => (await import('./commands/bucket-config.ts')).cmdSetversioning,
  payer: async () => (await import('./commands/bucket-config.ts')).cmdPayer,
  setnotification: async () => (await import('./commands/bucket-config.ts')).cmdSetnotification,
  getnotification: async () => (await import('./commands/bucket-config.ts')).cmdGetnotification,
  delnotification: async () => (await import('./commands/bucket-config.ts')).cmdDelnotification,
  accesslog: async () => (await import('./commands/bucket-config.ts')).cmdAccesslog,
  'ws-create': async () => (await import('./commands/bucket-config.ts')).cmdWsCreate,
  'ws-delete': async () => (await import('./commands/bucket-config.ts')).cmdWsDelete,
  'ws-info': async () => (await import('./commands/bucket-config.ts')).cmdWsInfo,
  restore: async () => (await import('./commands/restore.ts')).cmdRestore,
  cflist: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
  cfinfo: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
  cfcreate: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
  cfdelete: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
  cfmodify: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
  cfinvalinfo: async () => (await import('./commands/cloudfront.ts')).cmdCloudFront,
};

function usage(): string {
  const lines = [
    USAGE_LINE,
    '',
    's3k is an s3cmd-compatible S3 client that finds credentials like an EKS pod',
    '(IRSA web identity, EKS Pod Identity / ECS, IMDSv2, env, profiles, ~/.s3cfg).',
    '',
    'Options:',
    ...optionsHelp(),
  ];
  lines.push('', 'Commands:');
  for (const c of COMMANDS) lines.push(`  ${c.label}`, `      s3k ${c.cmd} ${c.param}`.trimEnd());
  lines.push('', 'See the README for credentials (IRSA, Pod Identity) and the environment variables s3k reads.');
  return lines.join('\n');
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.debug) setVerbosity('debug');
  else if (values.verbose) setVerbosity('info');
  else if (values.quiet) setVerbosity('quiet');
  // The run modes below end before a command is known: s3k's own options they do not read are
  // refused (one line, 64), as for a command that does not read them. --help answers whatever else is on the line.
  if (values.version || !values.help) earlyMode(values);
  if (values.version) {
    result(`s3k version ${VERSION}`);
    return EX.OK;
  }
  if (values.help) {
    process.stdout.write(usage() + '\n');
    return EX.OK;
  }
  // --dump-config / --configure run before any command (s3cmd's order), even without one.
  if (values['dump-config'] || values.configure) return (await import('./commands/configure.ts')).cmdConfigure(values, positionals, env);
  if (values['install-s3cmd-link'] !== undefined)
    return (await import('./commands/s3cmd-link.ts')).cmdInstallS3cmdLink(values['install-s3cmd-link'] as string, !!values.force, env);
  for (const k of ['secret_key', 'access_token', 'sse-customer-key', 'sse-copy-source-customer-key'] as const) addSecret(values[k] as string | undefined);
  if (values.secret_key || values.access_token)
    warning('credentials given on the command line are visible to other users in the process list; prefer ~/.s3cfg, environment variables or IRSA.');
  if (positionals.length < 1) {
    process.stderr.write(usage() + '\n');
    return EX.USAGE;
  }
  const [command, ...args] = positionals;
  const spec = COMMANDS.find((c) => c.cmd === command);
  if (!spec) {
    error(`Invalid command: ${command}`);
    return EX.USAGE;
  }
  debug(`Command: ${command}`);
  if (args.length < spec.argc) {
    error(`Not enough parameters for command '${command}'`);
    return EX.USAGE;
  }
  // commands that need no settings nor credentials: a broken ~/.s3cfg does not break them
  if (command === 'completion') return (await import('./commands/completion.ts')).cmdCompletion(args, VERSION);
  const settings = resolveSettings(values, env, sharedConfigKey(env));
  for (const k of ['secretKey', 'sessionToken'] as const) addSecret(settings.fileKeys[k]);
  addSecret(env.AWS_SECRET_ACCESS_KEY);
  addSecret(env.AWS_SESSION_TOKEN);
  for (const k of [settings.sseCustomerKey, settings.sseCopySourceKey]) if (k) for (const form of [k.key.toString('base64'), k.key.toString('utf8')]) addSecret(form);
  addSecret(settings.fileValues.sse_customer_key);
  addSecret(settings.fileValues.sse_copy_source_customer_key);
  for (const l of settings.invalidConfigLines) warning(`Ignoring invalid line in '${settings.configPath}' (line ${l.line}): ${l.text}`);
  checkRefused(settings, command);
  setProgress(settings.progress);
  // the interval lines stand in for the meter when it is off; -q silences them unless asked for
  const quietDefault = getVerbosity() === 'quiet' && settings.options.progress_interval?.source === 'default';
  setProgressInterval(settings.progress || quietDefault ? 0 : settings.progressInterval);
  if (settings.delayUpdates && command === 'sync') warning('`delay-updates` is obsolete.');
  const loader = HANDLERS[command];
  if (!loader) {
    error(`Command '${command}' is not supported by s3k yet. It is on the roadmap; meanwhile use s3cmd or the aws cli for it.`);
    return EX.USAGE;
  }
  const ctx = createContext(settings, env);
  debug(() => `Endpoint: ${settings.endpoint.href} (${settings.hostBucketTemplate ? 'virtual-host' : 'path'} style), region ${settings.region}`);
  const handler = await loader();
  if (!(settings.json && JSON_SUMMARY.has(command))) return handler(ctx, args);
  // --json: one summary object on stdout at the end, whatever happened; the result lines go to
  // stderr so that stdout parses as JSON.
  resultsToStderr();
  const t0 = performance.now();
  let code: number;
  let fatal: string | undefined;
  try {
    code = await handler(ctx, args);
  } catch (e) {
    code = report(e);
    fatal = asS3kError(e).render().map((l) => printable(redact(l)).replace(/^ERROR: /, '')).join(' ');
  }
  jsonResult(summaryJson(command === 'rm' ? 'del' : command, ctx.tally, (performance.now() - t0) / 1000, code, fatal));
  return code;
}

/** Commands whose --json is a summary of the run (the others print their results as JSON). */
const JSON_SUMMARY = new Set(['put', 'get', 'sync', 'cp', 'mv', 'modify', 'del', 'rm']);

/** The one way out for an error: its line(s) on stderr, its exit code. */
function report(e: unknown): number {
  const err = asS3kError(e);
  flushOutput();
  for (const line of err.render()) process.stderr.write(`${printable(redact(line))}\n`);
  if (err instanceof UnexpectedError && process.env.S3K_STACK) process.stderr.write(redact(String((err.original as Error)?.stack)) + '\n');
  return err.exitCode;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(EX.BREAK);
  interrupted = true;
  process.stderr.write('See ya!\n');
  process.exit(EX.BREAK);
});

const fatal = (e: unknown) => {
  const c = report(e);
  destroyAgents();
  process.exit(c);
};
process.on('unhandledRejection', fatal);
process.on('uncaughtException', fatal);

let code: number;
try {
  code = await run(process.argv.slice(2), process.env);
} catch (e) {
  code = report(e);
}
destroyAgents();
flushOutput();
process.exitCode = code;
// Flush stdout before exiting when it is a pipe.
if (process.stdout.writableLength > 0) process.stdout.once('drain', () => process.exit(code));
else process.exit(code);
