// Shell completion scripts (bash, zsh) from the command table and THE option table: the commands s3k
// implements, the options each command reads (refused ones are never offered), files or the listed
// choices for option values, and after `s3://` the buckets, prefixes and keys that `s3k ls` shows with
// the credentials at hand. That listing gets 2 seconds at most ($S3K_COMPLETION_TIMEOUT, through
// coreutils' timeout; without it nothing remote is offered) and one try (--max-retries=0); on any
// failure it offers nothing, so a TAB never blocks the shell.
import { COMMANDS } from './commands-table.ts';
import { OPTIONS, type OptionRecord } from './options.ts';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionInfo {
  /** Long names with their dashes (aliases too). */
  names: string[];
  help: string;
  /** Names that take a value (long and short), so the word after them is that value. */
  valueNames: string[];
  file: boolean;
  choices?: readonly string[];
  commands: '*' | string[];
}

const takesValue = (r: OptionRecord) => r.kind !== 'bool';

/** Every option a user may give (refused records left out), one entry per flag. */
function offeredOptions(): OptionInfo[] {
  const out: OptionInfo[] = [];
  for (const r of OPTIONS) {
    if ('refused' in r.use) continue;
    for (const f of r.flags) {
      const names = [f.long, ...(f.aliases ?? [])].map((n) => `--${n}`);
      const value = takesValue(r);
      out.push({
        names,
        help: f.help.replace(/\s+/g, ' ').trim(),
        valueNames: value ? [...names, ...(f.short ? [`-${f.short}`] : [])] : [],
        file: value && /FILE/.test(f.metavar ?? ''),
        choices: r.kind === 'value' ? r.parser.choices : undefined,
        commands: r.commands,
      });
    }
  }
  return out;
}

/** Every option that takes a value, refused ones too: they still consume the next word. */
function allValueNames(): string[] {
  return OPTIONS.filter(takesValue).flatMap((r) => r.flags.flatMap((f) => [`--${f.long}`, ...(f.aliases ?? []).map((a) => `--${a}`), ...(f.short ? [`-${f.short}`] : [])]));
}

const supportedCommands = () => COMMANDS.filter((c) => !c.notSupported);

/** The options every command reads, and for each group of commands with the same extra ones, those. */
function optionGroups(opts: OptionInfo[]): { common: string[]; all: string[]; groups: { commands: string[]; names: string[] }[] } {
  const common = opts.filter((o) => o.commands === '*').flatMap((o) => o.names);
  const all = opts.flatMap((o) => o.names);
  const byKey = new Map<string, { commands: string[]; names: string[] }>();
  for (const c of supportedCommands()) {
    const names = opts.filter((o) => o.commands !== '*' && o.commands.includes(c.cmd)).flatMap((o) => o.names);
    if (!names.length) continue;
    const key = names.join(' ');
    const g = byKey.get(key);
    if (g) g.commands.push(c.cmd);
    else byKey.set(key, { commands: [c.cmd], names });
  }
  return { common, all, groups: [...byKey.values()] };
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function header(shell: Shell, version: string, install: string[]): string[] {
  return [
    `# ${shell} completion for s3k ${version}: commands, options, and after s3:// the buckets and keys.`,
    `# Made by \`s3k completion ${shell}\` from s3k's command and option tables.`,
    ...install.map((l) => `#   ${l}`),
    '# Buckets and keys come from `s3k ls` with the credentials at hand, given 2 seconds',
    '# ($S3K_COMPLETION_TIMEOUT) and no retry; when that fails nothing is offered.',
  ];
}

/** The shared scan of the words before the cursor: the command word, an option waiting for its value, -c. */
const SCAN = (words: string, first: number, end: string, char: (w: string, j: string) => string, charFrom: (w: string, j: string) => string) => `  for ((i = ${first}; i < ${end}; i++)); do
    w=${words}
    if [[ -n $want ]]; then
      [[ $want == -c || $want == --config ]] && cfg=$w
      want=
    elif [[ -n $ddash || $w != -?* ]]; then
      [[ -z $cmd ]] && cmd=$w
    elif [[ $w == -- ]]; then
      ddash=1
    elif [[ $w == --*=* ]]; then
      [[ \${w%%=*} == --config ]] && cfg=\${w#*=}
    elif [[ $w == --* ]]; then
      [[ $value_options == *" $w "* ]] && want=$w
    else
      for ((j = 1; j < \${#w}; j++)); do
        c=-${char('w', 'j')}
        if [[ $value_options == *" $c "* ]]; then
          if ((j + 1 < \${#w})); then [[ $c == -c ]] && cfg=${charFrom('w', 'j + 1')}; else want=$c; fi
          break
        fi
      done
    fi
  done`;

export function bashScript(version: string): string {
  const opts = offeredOptions();
  const { common, all, groups } = optionGroups(opts);
  const choices = opts.filter((o) => o.choices?.length);
  const lines = [
    ...header('bash', version, [
      'Load it from ~/.bashrc:  source <(s3k completion bash)',
      'or install it:           s3k completion bash > ~/.local/share/bash-completion/completions/s3k',
    ]),
    '',
    `_s3k_commands=${sq(supportedCommands().map((c) => c.cmd).join(' '))}`,
    '',
    '# _s3k_options COMMAND: the options COMMAND reads (all of them before the command word)',
    '_s3k_options() {',
    `  local o=${sq(common.join(' '))}`,
    '  case $1 in',
    `    '') o+=${sq(' ' + all.filter((n) => !common.includes(n)).join(' '))} ;;`,
    ...groups.map((g) => `    ${g.commands.join('|')}) o+=${sq(' ' + g.names.join(' '))} ;;`),
    '  esac',
    '  printf \'%s\\n\' "$o"',
    '}',
    '',
    '# _s3k_value OPTION CUR PREFIX: candidates for the value of OPTION (none for files: readline offers them)',
    '_s3k_value() {',
    '  local c=',
    '  case $1 in',
    ...choices.map((o) => `    ${o.valueNames.join('|')}) c=${sq(o.choices!.join(' '))} ;;`),
    '  esac',
    '  [[ -n $c ]] || return 0',
    '  local v',
    '  for v in $(compgen -W "$c" -- "$2"); do COMPREPLY+=("$3$v"); done',
    '}',
    '',
    '# _s3k_remote S3K CONFIG CUR: the s3:// URIs `s3k ls` shows that start with CUR, one a line',
    '_s3k_remote() {',
    '  command -v timeout >/dev/null 2>&1 || return 0',
    '  local url= line u',
    '  local -a args=(ls --max-retries=0)',
    '  [[ $3 == s3://*/* ]] && url=${3%/*}/',
    '  [[ -n $2 ]] && args+=(-c "$2")',
    '  [[ -n $url ]] && args+=("$url")',
    '  while IFS= read -r line; do',
    "    [[ $line == *' s3://'* ]] || continue",
    "    u=s3://${line#*' s3://'}",
    '    [[ -n $url ]] || u=${u%/}/',
    '    [[ $u == "$3"* ]] && printf \'%s\\n\' "$u"',
    '  done < <(timeout "${S3K_COMPLETION_TIMEOUT:-2}" "$1" "${args[@]}" 2>/dev/null </dev/null)',
    '}',
    '',
    '_s3k() {',
    `  local value_options=${sq(` ${allValueNames().join(' ')} `)}`,
    '  local line=${COMP_LINE:0:COMP_POINT} cur= cmd= want= cfg= ddash= w i j c',
    '  local -a words',
    '  read -ra words <<<"$line"',
    '  if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then',
    '    cur=${words[${#words[@]}-1]}',
    '    unset "words[${#words[@]}-1]"',
    '  fi',
    SCAN('${words[i]}', 1, '${#words[@]}', (w, j) => `\${${w}:${j}:1}`, (w, j) => `\${${w}:${j}}`),
    '  COMPREPLY=()',
    '  if [[ -n $want ]]; then',
    '    _s3k_value "$want" "$cur" ""',
    '  elif [[ -z $ddash && $cur == --*=* ]]; then',
    '    _s3k_value "${cur%%=*}" "${cur#*=}" "${cur%%=*}="',
    '  elif [[ -z $ddash && $cur == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$(_s3k_options "$cmd")" -- "$cur"))',
    '  elif [[ -z $cmd ]]; then',
    '    COMPREPLY=($(compgen -W "$_s3k_commands" -- "$cur"))',
    '  elif [[ $cur == s3:* ]]; then',
    '    local s3k=${words[0]} u',
    "    [[ $s3k == '~/'* ]] && s3k=$HOME/${s3k#'~/'}",
    "    [[ $cfg == '~/'* ]] && cfg=$HOME/${cfg#'~/'}",
    '    while IFS= read -r u; do COMPREPLY+=("$u"); done < <(_s3k_remote "$s3k" "$cfg" "$cur")',
    '  fi',
    '  # bash splits words at : and = (COMP_WORDBREAKS): offer only the part after the last one',
    '  local word=${COMP_WORDS[COMP_CWORD]}',
    '  if [[ ${#COMPREPLY[@]} -gt 0 && $word != "$cur" && $cur == *"$word" ]]; then',
    '    local pre=${cur%"$word"}',
    '    COMPREPLY=("${COMPREPLY[@]#"$pre"}")',
    '  fi',
    '  if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]]; then compopt -o nospace 2>/dev/null; fi',
    '  return 0',
    '}',
    '',
    'complete -o default -F _s3k s3k',
    '',
  ];
  return lines.join('\n');
}

export function zshScript(version: string): string {
  const opts = offeredOptions();
  const { common, all, groups } = optionGroups(opts);
  const files = opts.filter((o) => o.file).flatMap((o) => o.valueNames);
  const choices = opts.filter((o) => o.choices?.length);
  const help = new Map<string, string>();
  for (const o of opts) for (const n of o.names) help.set(n, o.help);
  const lines = [
    '#compdef s3k',
    ...header('zsh', version, [
      'Load it from ~/.zshrc, after compinit:  source <(s3k completion zsh)',
      'or install it as _s3k in a directory of $fpath:  s3k completion zsh > ~/.zfunc/_s3k',
    ]),
    '',
    '_s3k() {',
    '  local -a cmds names opts dirs keys args',
    '  local -A help',
    `  local value_options=${sq(` ${allValueNames().join(' ')} `)}`,
    '  local cur=$PREFIX cmd= want= cfg= ddash= w i j c opt',
    '  cmds=(',
    ...supportedCommands().map((c) => `    ${sq(`${c.cmd}:${c.label.replace(/^\[s3k\] /, '')}`)}`),
    '  )',
    '  help=(',
    ...[...help].map(([n, h]) => `    ${n} ${sq(h)}`),
    '  )',
    SCAN('${(Q)words[i]}', 2, 'CURRENT', (w, j) => `\${${w}[${j}+1]}`, (w, j) => `\${${w}[${j}+1,-1]}`),
    '  opt=$want',
    '  if [[ -z $want && -z $ddash && $cur == --*=* ]]; then',
    '    opt=${cur%%=*}',
    "    compset -P '*='",
    '  fi',
    '  if [[ -n $opt ]]; then',
    '    case $opt in',
    ...choices.map((o) => `      ${o.valueNames.join('|')}) compadd -- ${o.choices!.join(' ')} ;;`),
    ...(files.length ? [`      ${files.join('|')}) _files ;;`] : []),
    '    esac',
    '    return',
    '  fi',
    '  if [[ -z $ddash && $cur == -* ]]; then',
    `    names=(${common.join(' ')})`,
    '    case $cmd in',
    `      '') names+=(${all.filter((n) => !common.includes(n)).join(' ')}) ;;`,
    ...groups.map((g) => `      ${g.commands.join('|')}) names+=(${g.names.join(' ')}) ;;`),
    '    esac',
    "    for w in $names; do opts+=(\"$w:${help[$w]}\"); done  # name:description, as _describe takes them",
    "    _describe -t options 'option' opts",
    '    return',
    '  fi',
    '  if [[ -z $cmd ]]; then',
    "    _describe -t commands 's3k command' cmds",
    '    return',
    '  fi',
    '  if [[ $cur == s3:* ]]; then',
    '    (( $+commands[timeout] )) || return 1',
    '    local s3k=${(Q)words[1]} url= line u',
    "    [[ $s3k == '~/'* ]] && s3k=$HOME/${s3k#'~/'}",
    "    [[ $cfg == '~/'* ]] && cfg=$HOME/${cfg#'~/'}",
    '    [[ $cur == s3://*/* ]] && url=${cur%/*}/',
    '    args=(ls --max-retries=0)',
    '    [[ -n $cfg ]] && args+=(-c $cfg)',
    '    [[ -n $url ]] && args+=($url)',
    '    for line in ${(f)"$(timeout ${S3K_COMPLETION_TIMEOUT:-2} $s3k $args 2>/dev/null </dev/null)"}; do',
    "      [[ $line == *' s3://'* ]] || continue",
    "      u=s3://${line#*' s3://'}",
    '      if [[ -z $url ]]; then dirs+=(${u%/}/); elif [[ $u == */ ]]; then dirs+=($u); else keys+=($u); fi',
    '    done',
    "    compadd -S '' -- $dirs",
    '    compadd -- $keys',
    '    return',
    '  fi',
    '  _files',
    '}',
    '',
    '# autoloaded from $fpath this file is the body of _s3k; sourced, it registers _s3k',
    'if [[ $funcstack[1] == _s3k ]]; then _s3k "$@"; else compdef _s3k s3k; fi',
    '',
  ];
  return lines.join('\n');
}

export function completionScript(shell: Shell, version: string): string {
  return shell === 'bash' ? bashScript(version) : zshScript(version);
}
