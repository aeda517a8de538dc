// s3k(1) comes from the command and option tables: every command, every flag (refused ones marked),
// every .s3cfg-only key and every environment variable of the table is on the page, in valid roff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manPage, roff } from '../../src/cli/manpage.ts';
import { COMMANDS } from '../../src/cli/commands-table.ts';
import { OPTIONS } from '../../src/cli/options.ts';

const page = manPage('9.9.9', '2026-01-02');
const section = (name: string) => page.slice(page.indexOf(`.SH ${name}\n`), page.indexOf('\n.SH ', page.indexOf(`.SH ${name}\n`) + 1));

describe('man page from the tables', () => {
  it('is a man(7) page: title with version and date, the usual sections', () => {
    assert.match(page, /^\.TH S3K 1 "2026-01-02" "s3k 9\.9\.9" "User Commands"\n/);
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', 'ENVIRONMENT', 'EXIT STATUS', 'FILES', 'SEE ALSO']) assert.match(page, new RegExp(`^\\.SH ${s}$`, 'm'), s);
    assert.match(manPage('9.9.9'), /^\.TH S3K 1 "" /, 'no date unless given');
  });

  it('lists every command, and says which are not supported', () => {
    const cmds = section('COMMANDS');
    for (const c of COMMANDS) {
      const at = cmds.indexOf(`\\fB${roff(`s3k ${c.cmd}`)}\\fR`);
      assert.ok(at >= 0, c.cmd);
      const entry = cmds.slice(at, cmds.indexOf('.TP', at + 1) >>> 0);
      assert.equal(entry.includes('Not supported by s3k'), !!c.notSupported, c.cmd);
    }
  });

  it('lists every flag, with its .s3cfg key and environment variables; refused flags say so', () => {
    const opts = section('OPTIONS');
    for (const r of OPTIONS)
      for (const f of r.flags) {
        const at = opts.indexOf(`\\fB${roff(`--${f.long}`)}\\fR`);
        assert.ok(at >= 0, `--${f.long}`);
        const entry = opts.slice(at, opts.indexOf('.TP', at) >>> 0);
        const refusedFlag = 'refused' in r.use && !(r.kind === 'bool' && (f.sets !== false) === r.default);
        assert.equal(entry.includes('Not supported by s3k'), refusedFlag, `--${f.long}`);
        if (f === r.flags[0] && r.s3cfg && !r.s3cfgIgnored) assert.ok(entry.includes(`\\fB${roff(r.s3cfg)}\\fR`), `--${f.long}: .s3cfg ${r.s3cfg}`);
        for (const e of f === r.flags[0] ? (r.env ?? []) : []) assert.ok(entry.includes(roff(e)), `--${f.long}: ${e}`);
      }
    for (const r of OPTIONS.filter((o) => !o.flags.length && o.s3cfg)) assert.ok(section('CONFIGURATION FILE').includes(`\\fB${roff(r.s3cfg!)}\\fR`), r.s3cfg);
    for (const e of OPTIONS.flatMap((o) => o.env ?? [])) assert.ok(section('ENVIRONMENT').includes(`\\fB${roff(e)}\\fR`), e);
  });

  it('escapes for roff: minus signs, backslashes, control characters at the start of a line', () => {
    assert.equal(roff('--a-b'), '\\-\\-a\\-b');
    assert.equal(roff('a\\b'), 'a\\eb');
    assert.equal(roff(".s3cfg\n'x"), "\\&.s3cfg\n\\&'x");
    for (const line of page.split('\n')) {
      if (line.startsWith('.') && !/^\.(TH|SH|TP|PP|IP|br|nh|ad|RS|RE|nf|fi)\b/.test(line)) assert.fail(`not a man macro: ${line}`);
      if (!line.startsWith('.TH ')) assert.doesNotMatch(line.replace(/\\./g, ''), /-/, `an unescaped minus sign: ${line}`);
    }
  });
});
