// End to end: `s3k completion bash|zsh` in real shells. Interactive bash and zsh run on a terminal
// (util-linux `script` gives them one), load the script the way a user's rc file does, and get keys
// typed: a line, TAB, then Ctrl-A and `echo LINE: ` before Enter, so the shell prints the line as the
// completion left it. Candidate lists come from calling the bash function directly. Buckets and keys
// come from the lab; against an endpoint that never answers, completion gives up within its limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  S3K_BIN, adminCreateBucket, adminDeleteBucket, adminEnv, adminPutObject, makeTempDir, run, s3k, uniqueBucket, type RunResult,
} from '../support/lab.ts';

const tmp = makeTempDir('completion');
const bin = path.join(tmp.path, 'bin');
/** PATH with an `s3k` that runs the built dist/s3k.mjs, then the system's tools. */
const PATH = [bin, ...(process.env.PATH ?? '/usr/bin:/bin').split(':')].join(':');

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.timedOut, false, `${what}: timed out`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const rc = {
  bash: (file: string) => `source ${file}`,
  zsh: (file: string) => `autoload -Uz compinit && compinit -u -D && source ${file}`,
};
const shellCmd = { bash: 'bash --norc --noprofile -i', zsh: 'zsh -f -i' };
/** The lab's keys, and a limit for `s3k ls` that a busy machine cannot miss (the 2 s default is tested below). */
const labKeys = () => ({ ...adminEnv(), S3K_COMPLETION_TIMEOUT: '30' });

/**
 * Types each of `lines` into an interactive shell on a terminal, with TAB at the end, and returns the
 * lines as completion left them (without the trailing space the shell trims anyway).
 */
async function typed(shell: 'bash' | 'zsh', lines: string[], env: Record<string, string> = {}): Promise<string[]> {
  const file = path.join(tmp.path, `s3k.${shell}`);
  const keys = [rc[shell](file), ...lines.map((l) => `${l}\t\x01echo LINE: `), 'exit', ''].join('\n');
  const r = ok(await run('script', ['-qec', shellCmd[shell], '/dev/null'], { env: { PATH, TERM: 'dumb', ...env }, input: keys, guard: true, cwd: tmp.path, timeoutMs: 60_000 }), `${shell} on a terminal`);
  const got = r.stdout.split(/\r?\n/).flatMap((l) => (l.startsWith('LINE: ') ? [l.slice('LINE: '.length).replace(/\r$/, '').trimEnd()] : []));
  assert.equal(got.length, lines.length, `one LINE per typed line; output:\n${r.stdout}`);
  return got;
}

/** The bash candidates for `line` (cursor at its end), from _s3k called the way bash calls it. */
async function candidates(line: string, env: Record<string, string> = {}): Promise<{ list: string[]; seconds: number }> {
  const script = [
    `source ${path.join(tmp.path, 's3k.bash')}`,
    'COMP_LINE=$1; COMP_POINT=${#1}',
    'read -ra COMP_WORDS <<<"$1"; [[ $1 == *" " ]] && COMP_WORDS+=("")',
    'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))',
    '_s3k',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const t0 = Date.now();
  const r = ok(await run('bash', ['--norc', '--noprofile', '-c', script, 'bash', line], { env: { PATH, ...env }, guard: true, cwd: tmp.path }), `complete '${line}'`);
  return { list: r.stdout.split('\n').filter(Boolean), seconds: (Date.now() - t0) / 1000 };
}

describe('shell completion: s3k completion bash|zsh', { timeout: 5 * 60_000 }, () => {
  const bucket = uniqueBucket('cmpl');
  let stalled: net.Server;
  let stalledPort = 0;
  const sockets = new Set<net.Socket>();

  before(async () => {
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 's3k'), `#!/bin/sh\nexec '${process.execPath}' '${S3K_BIN}' "$@"\n`, { mode: 0o755 });
    for (const shell of ['bash', 'zsh'] as const) {
      const r = ok(await s3k(['completion', shell]), `s3k completion ${shell}`);
      fs.writeFileSync(path.join(tmp.path, `s3k.${shell}`), r.stdout);
    }
    await adminCreateBucket(bucket);
    await adminPutObject(bucket, 'reports/2026.csv', 'a,b\n');
    await adminPutObject(bucket, 'readme.txt', 'hello\n');
    // an S3 endpoint that accepts connections and never answers
    stalled = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    stalledPort = (stalled.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    stalled?.close();
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('the scripts parse; an unknown shell is refused with exit 64', async () => {
    ok(await run('bash', ['-n', path.join(tmp.path, 's3k.bash')]), 'bash -n');
    ok(await run('zsh', ['-n', path.join(tmp.path, 's3k.zsh')]), 'zsh -n');
    const r = await s3k(['completion', 'fish']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown shell 'fish'/);
  });

  it('does not read ~/.s3cfg: a broken config file does not break it', async () => {
    const cfg = path.join(tmp.path, 'broken.s3cfg');
    fs.writeFileSync(cfg, '[default]\nproxy_host = proxy.example\n');
    ok(await s3k(['completion', 'bash'], { env: { S3CMD_CONFIG: cfg } }), 'completion with a refused .s3cfg');
  });

  for (const shell of ['bash', 'zsh'] as const) {
    it(`${shell}: s3k sy<TAB> -> sync, s3k put --par<TAB> -> --parallel, choices for option values`, async () => {
      assert.deepEqual(await typed(shell, ['s3k sy', 's3k put --par', 's3k restore --restore-priority=exp', 's3k -c /dev/null del --max-del']), [
        's3k sync',
        's3k put --parallel',
        's3k restore --restore-priority=expedited',
        's3k -c /dev/null del --max-delete',
      ]);
    });

    it(`${shell}: s3://<TAB> completes buckets, then prefixes and keys, from the lab`, async () => {
      const part = bucket.slice(0, -3);
      assert.deepEqual(await typed(shell, [`s3k ls s3://${part}`, `s3k get s3://${bucket}/rep`, `s3k get s3://${bucket}/reports/2`, `s3k del s3://${bucket}/rea`], labKeys()), [
        `s3k ls s3://${bucket}/`,
        `s3k get s3://${bucket}/reports/`,
        `s3k get s3://${bucket}/reports/2026.csv`,
        `s3k del s3://${bucket}/readme.txt`,
      ]);
    });
  }

  it('bash candidates: commands, the options of a command, none refused or unsupported', async () => {
    assert.deepEqual((await candidates('s3k s')).list, ['sync', 'setacl', 'setpolicy', 'setcors', 'sign', 'signurl', 'setlifecycle', 'setnotification', 'setversioning', 'settagging']);
    assert.deepEqual((await candidates('s3k c')).list, ['cp', 'completion'], 'no CloudFront commands');
    assert.deepEqual((await candidates('s3k put --par')).list, ['--parallel']);
    assert.deepEqual((await candidates('s3k ls --par')).list, [], 'ls reads no --parallel');
    assert.deepEqual((await candidates('s3k --par')).list, ['--parallel'], 'before the command word: every option');
    assert.deepEqual((await candidates('s3k put --enc')).list, ['--encoding'], 'not --encrypt, which s3k refuses');
    assert.deepEqual((await candidates('s3k -c /dev/null sy')).list, ['sync'], "-c's value is not the command");
    assert.deepEqual((await candidates('s3k --restore-priority ')).list, ['standard', 'expedited', 'bulk']);
  });

  it('bash candidates after s3://: buckets with the credentials at hand; nothing without them', async () => {
    const { list } = await candidates('s3k ls s3://', labKeys());
    assert.ok(list.includes(`s3://${bucket}/`), list.join(' '));
    assert.deepEqual((await candidates(`s3k ls s3://${bucket}/`, labKeys())).list, [`s3://${bucket}/reports/`, `s3://${bucket}/readme.txt`]);
    const none = await candidates('s3k ls s3://', { AWS_ENDPOINT_URL: adminEnv().AWS_ENDPOINT_URL });
    assert.deepEqual(none.list, [], 'no credentials: no candidates');
  });

  it('an endpoint that never answers: nothing offered, within the 2 s limit', async () => {
    const env = { ...adminEnv(), AWS_ENDPOINT_URL: `http://127.0.0.1:${stalledPort}` };
    const r = await candidates('s3k ls s3://', env);
    assert.deepEqual(r.list, []);
    assert.ok(r.seconds < 3.5, `took ${r.seconds} s`);
    const short = await candidates('s3k ls s3://', { ...env, S3K_COMPLETION_TIMEOUT: '0.5' });
    assert.ok(short.seconds < 2, `S3K_COMPLETION_TIMEOUT=0.5 took ${short.seconds} s`);
  });
});
