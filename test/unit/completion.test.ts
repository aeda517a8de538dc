// The completion scripts come from the command and option tables: every command s3k implements and
// every option a command reads are offered; unsupported commands and refused options never are.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bashScript, zshScript } from '../../src/cli/completion.ts';
import { COMMANDS } from '../../src/cli/commands-table.ts';
import { OPTIONS } from '../../src/cli/options.ts';

const bash = bashScript('9.9.9');
const zsh = zshScript('9.9.9');
const words = (s: string) => new Set(s.split(/[\s'()=|+]+/).filter(Boolean));
/** The options each script offers: bash's _s3k_options lists, zsh's help table. */
const bashWords = words(/^_s3k_options\(\) \{\n([\s\S]*?)\n\}$/m.exec(bash)![1]);
const zshWords = words(/^  help=\(\n([\s\S]*?)\n  \)$/m.exec(zsh)![1].replace(/ '.*$/gm, ''));

describe('completion scripts from the tables', () => {
  it('offer every command s3k implements, and none it does not', () => {
    const list = /^_s3k_commands='([^']*)'$/m.exec(bash)?.[1].split(' ');
    assert.deepEqual(list, COMMANDS.filter((c) => !c.notSupported).map((c) => c.cmd));
    for (const c of COMMANDS) assert.equal(zsh.includes(`    '${c.cmd}:`), !c.notSupported, `zsh: ${c.cmd}`);
  });

  it('offer every long flag that is not refused, and no refused one', () => {
    for (const r of OPTIONS)
      for (const f of r.flags)
        for (const n of [f.long, ...(f.aliases ?? [])]) {
          const offered = !('refused' in r.use);
          assert.equal(bashWords.has(`--${n}`), offered, `bash: --${n}`);
          assert.equal(zshWords.has(`--${n}`), offered, `zsh: --${n}`);
        }
  });

  it('know which options take a value (refused ones too), so their value is never taken for the command', () => {
    const valueOptions = /value_options=' ([^']*) '/.exec(bash)?.[1].split(' ') ?? [];
    for (const r of OPTIONS) for (const f of r.flags) assert.equal(valueOptions.includes(`--${f.long}`), r.kind !== 'bool', `--${f.long}`);
    assert.ok(valueOptions.includes('-c') && valueOptions.includes('-m') && !valueOptions.includes('-r'));
  });

  it('carry the version and say how to load them', () => {
    assert.match(bash, /^# bash completion for s3k 9\.9\.9/);
    assert.match(bash, /source <\(s3k completion bash\)/);
    assert.match(bash, /^complete -o default -F _s3k s3k$/m);
    assert.match(zsh, /^#compdef s3k\n# zsh completion for s3k 9\.9\.9/);
  });
});
