// credential_process: how the command line is split (as the AWS CLI splits it), what the command must
// print, caching until Expiration, and the one-line errors. The commands are small scripts written here.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCredentialChain } from '../../src/credentials/chain.ts';
import { describeCredentials } from '../../src/credentials/describe.ts';
import { runCredentialProcess, shellSplit, ShellSplitError } from '../../src/credentials/process.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

import '../support/loopback-guard.mjs';

const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-proctest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));
const MIN = 60_000;

/** A shell script in a fresh directory (whose name has a space, to exercise quoting). */
function script(body: string): { file: string; dir: string; count: () => number } {
  const dir = mkdtempSync(path.join(TMP_ROOT, 'cred tool-'));
  const file = path.join(dir, 'creds.sh');
  const counter = path.join(dir, 'count');
  writeFileSync(file, `#!/bin/sh\necho x >> "${counter}"\n${body}\n`);
  chmodSync(file, 0o755);
  return { file, dir, count: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

const json = (o: unknown) => `cat <<'EOF'\n${JSON.stringify(o)}\nEOF`;

function profileChain(command: string, extra: { now?: () => number; debug?: (m: string) => void; env?: Record<string, string> } = {}) {
  const h = mkdtempSync(path.join(TMP_ROOT, 'home-'));
  mkdirSync(path.join(h, '.aws'));
  writeFileSync(path.join(h, '.aws', 'config'), `[profile tool]\ncredential_process = ${command}\n`);
  return buildCredentialChain({ env: { HOME: h, AWS_PROFILE: 'tool', AWS_EC2_METADATA_DISABLED: 'true', PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra.env }, region: 'us-east-1', now: extra.now, debug: extra.debug });
}

const rejectsWith = (p: Promise<unknown>, re: RegExp, code = 78) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CredentialsError, String(e));
    assert.equal(e.exitCode, code);
    assert.equal(e.message.includes('\n'), false, 'one line');
    assert.match(e.message, re);
    return true;
  });

test("shellSplit splits as Python's shlex.split (what the AWS CLI uses)", () => {
  // Expected values from python3 -c 'import shlex; print(shlex.split(...))'
  const cases: [string, string[]][] = [
    ['/opt/bin/awscreds-custom --username helen', ['/opt/bin/awscreds-custom', '--username', 'helen']],
    ['"/Users/Dave/path/to/credentials.sh" parameterWithoutSpaces "parameter with spaces"', ['/Users/Dave/path/to/credentials.sh', 'parameterWithoutSpaces', 'parameter with spaces']],
    ['a "b c" d\\ e \'f g\' "h\\"i" "j\\k" \'\' x#y', ['a', 'b c', 'd e', 'f g', 'h"i', 'j\\k', '', 'x#y']],
    ["'it''s' \"$HOME\" ~/x", ['its', '$HOME', '~/x']],
    ['  tabs\tand\nnewlines  ', ['tabs', 'and', 'newlines']],
    ['a"b c"d', ['ab cd']],
    ['"a\\\\b"', ['a\\b']],
    ['', []],
  ];
  for (const [input, want] of cases) assert.deepEqual(shellSplit(input), want, input);
  assert.throws(() => shellSplit('"open'), (e: unknown) => e instanceof ShellSplitError && e.message === 'No closing quotation');
  assert.throws(() => shellSplit("'open"), /No closing quotation/);
  assert.throws(() => shellSplit('trailing\\'), /No escaped character/);
});

test('success with Expiration: parsed, run once, cached until shortly before Expiration, then run again', async () => {
  const clock = { t: Date.now() };
  const exp = new Date(clock.t + 60 * MIN).toISOString();
  const s = script(json({ Version: 1, AccessKeyId: 'ASIAPROC', SecretAccessKey: 'proc-secret', SessionToken: 'proc-token', Expiration: exp }));
  const c = profileChain(`"${s.file}" --role reader`, { now: () => clock.t });
  const first = await c.get();
  assert.deepEqual([first.accessKeyId, first.secretAccessKey, first.sessionToken, first.expiration?.toISOString()], ['ASIAPROC', 'proc-secret', 'proc-token', exp]);
  for (let i = 0; i < 5; i++) await c.get();
  assert.equal(s.count(), 1, 'cached');
  clock.t += 45 * MIN;
  await c.get();
  assert.equal(s.count(), 1, 'still outside the refresh windows (10 and 5 min before Expiration)');
  clock.t += 11 * MIN; // 4 min before Expiration: inside the mandatory window, the command runs again
  await c.get();
  assert.equal(s.count(), 2);
  await c.get();
  assert.equal(s.count(), 2);
});

test('success without Expiration: long-lived keys, the command runs once per run', async () => {
  const s = script(json({ Version: 1, AccessKeyId: 'AKIAPROC', SecretAccessKey: 'proc-secret' }));
  const c = profileChain(s.file.replace(/ /g, '\\ '));
  for (let i = 0; i < 5; i++) {
    const k = await c.get();
    assert.equal(k.sessionToken, undefined);
    assert.equal(k.expiration, undefined);
  }
  assert.equal(s.count(), 1);
  const d = await describeCredentials(c);
  assert.equal(d.source, 'process');
  assert.deepEqual(d.details, { profile: 'tool', command: s.file });
});

test('whoami shows the program, never its arguments', async () => {
  const s = script(json({ Version: 1, AccessKeyId: 'AKIAPROC', SecretAccessKey: 'x' }));
  const c = profileChain(`'${s.file}' --password hunter22`);
  const d = await describeCredentials(c);
  assert.equal(JSON.stringify(d).includes('hunter22'), false);
  assert.equal(d.details.command, s.file);
});

test('the command gets the environment and no shell: $VARS and ~ stay literal', async () => {
  const s = script('printf \'{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\' "$S3K_TEST_KEY" "$1"');
  const c = profileChain(`"${s.file}" '$HOME'`, { env: { S3K_TEST_KEY: 'AKIAFROMENV' } });
  const k = await c.get();
  assert.equal(k.accessKeyId, 'AKIAFROMENV');
  assert.equal(k.secretAccessKey, '$HOME');
});

test('a non-zero exit is one line with the code (78); the command is named, its output is not', async () => {
  const s = script('echo "token service said no" >&2\nexit 3');
  await rejectsWith(profileChain(`"${s.file}"`).get(), new RegExp(`^credential_process in profile "tool" \\(${s.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) exited with code 3; its messages, if any, are on stderr above$`));
  const k = script('kill -TERM $$');
  await rejectsWith(profileChain(`"${k.file}"`).get(), /was killed by SIGTERM/);
});

test('bad output: not JSON, wrong Version, missing keys, bad or past Expiration — one line each, never the output', async () => {
  const cases: [string, RegExp][] = [
    ['echo "AccessKeyId=AKIA SecretAccessKey=leaked-secret"', /did not print valid JSON on stdout \(\d+ bytes\); expected JSON \{"Version": 1/],
    [json([1, 2]), /printed JSON that is not an object/],
    [json({ AccessKeyId: 'A', SecretAccessKey: 'leaked-secret' }), /printed no Version; s3k reads Version 1/],
    [json({ Version: 2, AccessKeyId: 'A', SecretAccessKey: 'leaked-secret' }), /printed Version 2; s3k reads Version 1/],
    [json({ Version: 1, SecretAccessKey: 'leaked-secret' }), /printed no AccessKeyId \(a non-empty string\)/],
    [json({ Version: 1, AccessKeyId: 'A' }), /printed no SecretAccessKey/],
    [json({ Version: 1, AccessKeyId: 'A', SecretAccessKey: 'leaked-secret', Expiration: 'tomorrow' }), /printed Expiration "tomorrow", which is not an ISO 8601 time/],
    [json({ Version: 1, AccessKeyId: 'A', SecretAccessKey: 'leaked-secret', Expiration: '2001-01-01T00:00:00Z' }), /printed credentials that expired at 2001-01-01T00:00:00.000Z/],
  ];
  for (const [body, re] of cases) {
    const s = script(body);
    await assert.rejects(profileChain(`"${s.file}"`).get(), (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.equal(e.exitCode, 78);
      assert.match(e.message, re);
      assert.equal(e.message.includes('leaked-secret'), false);
      return true;
    });
  }
});

test('commands that cannot run: not found, not executable, unbalanced quotes, empty', async () => {
  await rejectsWith(profileChain('/nonexistent/s3k-cred-tool --x').get(), /cannot run \/nonexistent\/s3k-cred-tool \(not found; give the full path: the command is run without a shell/);
  const s = script('true');
  chmodSync(s.file, 0o644);
  if (process.getuid?.() !== 0) await rejectsWith(profileChain(`"${s.file}"`).get(), /permission denied; make it executable/);
  await rejectsWith(profileChain('"/opt/tool --x').get(), /cannot be split into words \(No closing quotation\)/);
  await rejectsWith(runCredentialProcess({ command: '  ', profile: 'tool', env: {} }), /credential_process in profile "tool" is empty/);
});

test('debug names the program only', async () => {
  const lines: string[] = [];
  const s = script(json({ Version: 1, AccessKeyId: 'AKIAPROC', SecretAccessKey: 'proc-secret' }));
  await profileChain(`"${s.file}" --token sekrit-arg`, { debug: (m) => lines.push(m) }).get();
  const all = lines.join('\n');
  assert.match(all, /process: running .*creds\.sh for profile tool/);
  for (const x of ['sekrit-arg', 'proc-secret']) assert.equal(all.includes(x), false, x);
});
