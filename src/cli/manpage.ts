// The man page, s3k(1), in roff (man macros), from the command table and THE option table. Not part
// of the CLI bundle: scripts/build.mjs writes dist/s3k.1 with it, and the npm package installs that
// page through package.json's "man" field.
import { COMMANDS } from './commands-table.ts';
import { EX, EX_OPTPARSE } from '../errors.ts';
import { OPTIONS, type Flag, type OptionRecord } from './options.ts';

/** Text for roff: backslashes, minus signs (so options copy and paste), a leading control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^[.']/gm, '\\&$&');
}
const bold = (s: string) => `\\fB${roff(s)}\\fR`;
const italic = (s: string) => `\\fI${roff(s)}\\fR`;

const takesValue = (r: OptionRecord) => r.kind !== 'bool';

/** `-c FILE, --config=FILE` in bold and italics. */
function flagNames(r: OptionRecord, f: Flag): string {
  const mv = takesValue(r) ? (f.metavar ?? r.dest.toUpperCase()) : undefined;
  const names: string[] = [];
  if (f.short) names.push(`${bold(`-${f.short}`)}${mv ? ` ${italic(mv)}` : ''}`);
  for (const n of [f.long, ...(f.aliases ?? [])]) names.push(`${bold(`--${n}`)}${mv ? `=${italic(mv)}` : ''}`);
  return names.join(', ');
}

/** Whether this flag is refused (--encrypt is; --no-encrypt, asking for the default, is not). */
function refusedFlag(r: OptionRecord, f: Flag): boolean {
  return 'refused' in r.use && !(r.kind === 'bool' && (f.sets !== false) === r.default);
}

function defaultText(r: OptionRecord): string | undefined {
  if (r.kind === 'list') return undefined;
  if (r.kind === 'bool') return r.default === undefined ? undefined : r.default ? 'on' : 'off';
  if (r.default === undefined || r.default === '') return undefined;
  return r.format ? r.format(r.default) : String(r.default);
}

/** The lines under one option: its help, then where else it can be set. */
function optionEntry(r: OptionRecord, f: Flag): string[] {
  const lines = ['.TP', flagNames(r, f), roff(f.help)];
  if (refusedFlag(r, f) && 'refused' in r.use) lines.push('.br', `Not supported by s3k${r.use.forGood ? '' : ' yet'}: ${roff(r.use.refused)}`);
  else if ('inert' in r.use) lines.push('.br', `Accepted; ${roff(r.use.inert)}.`);
  const where: string[] = [];
  if (r.s3cfg && !r.s3cfgIgnored) where.push(`${italic('.s3cfg')}: ${bold(r.s3cfg)}`);
  if (r.env?.length) where.push(`environment: ${r.env.map(bold).join(', ')}`);
  const d = defaultText(r);
  if (d !== undefined && r.kind !== 'bool') where.push(`default: ${roff(d)}`);
  // only the first flag of a record says where else it is set (--ssl, not --no-ssl too)
  if (where.length && f === r.flags[0]) lines.push('.br', where.join('; ') + '.');
  return lines;
}

const EXIT_CODES: [number, string][] = [
  [EX.OK, 'success'],
  [EX.GENERAL, 'an unexpected error'],
  [EX_OPTPARSE, 'partial success: some files failed, the rest were transferred; also an unknown option or a bad option value (with the usage line)'],
  [EX.NOTFOUND, 'not found (a missing bucket, info of a missing key)'],
  [EX.CONFLICT, 'conflict (the bucket is not empty, or already exists)'],
  [EX.USAGE, 'usage: a bad parameter, an unknown or unsupported command or option, a missing source, an existing local file'],
  [EX.IOERR, 'an I/O error'],
  [EX.TEMPFAIL, 'a temporary failure that persisted through all retries'],
  [EX.ACCESSDENIED, 'access denied, bad keys, credentials refused by STS'],
  [EX.CONFIG, 'configuration: a malformed .s3cfg, no credentials at all'],
  [EX.CONNECTIONREFUSED, 'connection refused'],
  [EX.BREAK, 'interrupted (Ctrl-C)'],
];

/** The whole page. `date` (YYYY-MM-DD) is left out when not given, so that builds are reproducible. */
export function manPage(version: string, date = ''): string {
  const out: string[] = [];
  const p = (...l: string[]) => out.push(...l);
  p(`.TH S3K 1 "${date}" "s3k ${version}" "User Commands"`, ".nh", ".ad l");
  p('.SH NAME', 's3k \\- S3 command\\-line client, compatible with s3cmd, that gets credentials like an EKS pod');
  p('.SH SYNOPSIS', `${bold('s3k')} [${italic('options')}] ${italic('COMMAND')} [${italic('parameters')}]`);
  p('.SH DESCRIPTION');
  p(roff('s3k speaks the interface of s3cmd(1): the same commands, options, ~/.s3cfg, output lines and exit codes, so scripts written for s3cmd run unchanged (a link named s3cmd to s3k is enough; see --install-s3cmd-link).'));
  p('.PP', roff('It finds credentials the way a pod on EKS or a task on ECS gets them: IAM Roles for Service Accounts (web identity), EKS Pod Identity and ECS container credentials, EC2 instance metadata (IMDSv2), environment variables, AWS profiles or the keys in ~/.s3cfg (see CREDENTIALS). Temporary credentials are refreshed before they expire.'));
  p('.PP', roff('Options may come before or after the command word. Long options may be shortened to any unique prefix.'));

  p('.SH COMMANDS');
  for (const c of COMMANDS) {
    p('.TP', `${bold(`s3k ${c.cmd}`)}${c.param ? ` ${italic(c.param)}` : ''}`);
    p(roff(c.label.replace(/^\[s3k\] /, '')) + (c.label.startsWith('[s3k]') ? ' (s3k only)' : ''));
    if (c.notSupported) p('.br', 'Not supported by s3k: it exits 64 and says what to use instead.');
  }

  p('.SH OPTIONS');
  for (const r of OPTIONS) for (const f of r.flags) p(...optionEntry(r, f));

  p('.SH CONFIGURATION FILE');
  p(roff("The configuration file is s3cmd's: ~/.s3cfg, or the file named by -c or $S3CMD_CONFIG, with `key = value` lines under [default]. A value written as $NAME is read from the environment. Keys of the options above are named with them; these keys have no command-line option:"));
  for (const r of OPTIONS) {
    if (r.flags.length || !r.s3cfg) continue;
    const d = defaultText(r);
    p('.TP', `${bold(r.s3cfg)}${d !== undefined ? ` = ${italic(d)}` : ''}`);
    if ('refused' in r.use) p(`Not supported by s3k: a value other than the default is refused; ${roff(r.use.refused)}`);
    else if ('inert' in r.use) p(`Accepted and not used: ${roff(r.use.inert)}.`);
    else p('Read by s3k.');
  }

  p('.SH ENVIRONMENT');
  p(roff('These variables set options; the command line wins over them, and they win over ~/.s3cfg (except the keys, where ~/.s3cfg wins, as in s3cmd):'));
  for (const r of OPTIONS) {
    if (!r.env?.length) continue;
    const f = r.flags[0];
    p('.TP', r.env.map(bold).join(', '), f ? `as ${bold(`--${f.long}`)}` : `as ${bold(r.s3cfg ?? r.dest)} in ~/.s3cfg`);
  }
  p('.TP', bold('AWS_EC2_METADATA_DISABLED'), roff('true: never ask the EC2 instance metadata service for credentials.'));
  p('.TP', bold('S3K_ROLE_DURATION_SECONDS'), roff('the length of the STS sessions s3k asks for.'));
  p('.TP', bold('S3K_CREDENTIALS_MAX_AGE_SECONDS'), roff('refresh temporary credentials after this many seconds, whatever their expiry.'));

  p('.SH CREDENTIALS');
  p(roff('The first source that yields keys wins, in this order:'));
  const sources = [
    'the command line: --access_key, --secret_key, --access_token (visible in the process list);',
    '~/.s3cfg: access_key, secret_key, access_token (a file without keys never blocks the sources below);',
    'the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;',
    'AWS shared files: the profile AWS_PROFILE (default: default) in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config): static keys, or role_arn with web_identity_token_file;',
    'web identity (IAM Roles for Service Accounts): AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, optional AWS_ROLE_SESSION_NAME; STS at AWS_ENDPOINT_URL_STS, else the regional endpoint;',
    'container credentials (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;',
    'EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides its address.',
  ];
  sources.forEach((s, i) => p(`.IP ${i + 1}. 4`, roff(s)));
  p('.PP', roff("With none of these s3k exits 78 and says what to set. `s3k whoami` shows which source was used, the masked key id and the expiry. `s3k doctor [s3://BUCKET]` checks what a pod needs (credential source, IRSA role ARN, token file and token, STS reachable and AssumeRoleWithWebIdentity, S3 reachable, clock skew, the bucket) and prints the fix under each failure; it exits 0 when no check failed, else with the exit code of the first failure; --json prints the checklist as JSON."));

  p('.SH SHELL COMPLETION');
  p(roff('s3k completion bash and s3k completion zsh print completion scripts for commands, the options of each command and, after s3://, the buckets and keys that s3k ls lists with the credentials at hand (2 seconds at most, set by $S3K_COMPLETION_TIMEOUT; nothing is offered when that fails). Load one from ~/.bashrc or ~/.zshrc (after compinit) with:'));
  p('.PP', '.RS', '.nf', roff('source <(s3k completion bash)'), roff('source <(s3k completion zsh)'), '.fi', '.RE');

  p('.SH EXIT STATUS');
  for (const [code, what] of EXIT_CODES) p('.TP', bold(String(code)), roff(what));

  p('.SH FILES');
  p('.TP', bold('~/.s3cfg'), roff('the configuration file (s3k --configure writes it, mode 0600).'));
  p('.TP', bold('~/.aws/credentials, ~/.aws/config'), roff('AWS shared credentials and config files.'));

  p('.SH EXAMPLES');
  const examples: [string, string][] = [
    ['s3k ls', 'list the buckets'],
    ['s3k sync /data/ s3://backups/nightly/', 'copy what changed in /data to the bucket'],
    ['s3k put -r --parallel 32 photos/ s3://media/', 'upload a directory, 32 transfers at a time'],
    ['s3k get s3://media/report.pdf -', 'write an object to standard output'],
    ['source <(s3k completion bash)', 'shell completion of commands, options and buckets'],
  ];
  for (const [cmd, what] of examples) p('.TP', bold(cmd), roff(what));

  p('.SH SEE ALSO', 's3cmd(1), aws(1)');
  return out.join('\n') + '\n';
}
