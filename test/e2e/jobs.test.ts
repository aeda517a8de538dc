// In a CronJob: stdout is a pipe, so there is no terminal meter. With --progress-interval the log
// gets a 'progress:' line on stderr every interval (stdout keeps s3cmd's lines byte for byte);
// --no-progress silences them; --json prints one summary object on stdout whose counts and exit
// code match what happened, failures included. Against the lab.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, adminListKeys, adminPutObject, s3k, s3kAsNobody, tempDir, uniqueBucket } from '../support/lab.ts';

const env = adminEnv();
const MiB = 1024 * 1024;
const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB, TiB: 1024 * 1024 * MiB };

/** The 'progress:' lines of stderr, with the bytes done (parsed back from '1.5 MiB'). */
function progressLines(stderr: string): { line: string; bytes: number }[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('progress: '))
    .map((line) => {
      const m = /^progress: ([\d.]+) (B|KiB|MiB|GiB|TiB)[ ,]/.exec(line);
      assert.ok(m, `a progress line starts with the bytes done: ${line}`);
      return { line, bytes: Number(m[1]) * UNITS[m[2]] };
    });
}

/** s3cmd's timing figures vary from run to run; the rest of a line must not. */
const timings = (s: string) => s.replace(/\(\d+ bytes in [\d.]+ seconds, [\d.]+ [KMG]?B\/s\)/g, '(N bytes in T seconds, S B/s)').replace(/in [\d.]+ seconds, [\d.]+ [KMG]?B\/s\./g, 'in T seconds, S B/s.');

/** The one JSON object stdout holds, parsed (fails unless stdout is exactly one line of JSON). */
function summary(stdout: string): Record<string, any> {
  assert.match(stdout, /^\{.*\}\n$/, `stdout is one JSON line: ${JSON.stringify(stdout)}`);
  return JSON.parse(stdout);
}

describe('jobs: progress lines in the log, --json summaries', () => {
  const bucket = uniqueBucket('jobs');
  const dir = tempDir('jobs');
  const big = path.join(dir, 'big.bin');
  before(async () => {
    fs.writeFileSync(big, Buffer.alloc(3 * MiB, 7));
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    const r = await s3k(['rb', '-r', '-f', `s3://${bucket}`], { env });
    if (r.code !== 0) await adminDeleteBucket(bucket);
  });

  it('put, get and sync with --progress-interval 1 and stdout piped: progress lines on stderr with growing byte counts; stdout only the s3cmd lines', async () => {
    const back = tempDir('jobs-get');
    const runs = [
      ['put', big, `s3://${bucket}/p/big.bin`],
      ['get', `s3://${bucket}/p/big.bin`, path.join(back, 'big.bin')],
      ['sync', dir + '/', `s3://${bucket}/s/`],
    ];
    for (const cmd of runs) {
      const r = await s3k([...cmd, '--limit-rate', '1m', '--progress-interval', '1'], { env });
      assert.equal(r.code, 0, r.stderr);
      const lines = progressLines(r.stderr);
      assert.ok(lines.length >= 2, `${cmd[0]}: at least two progress lines in about 3 s:\n${r.stderr}`);
      for (let i = 1; i < lines.length; i++) assert.ok(lines[i].bytes > lines[i - 1].bytes, `${cmd[0]}: bytes grow: ${lines[i - 1].line} / ${lines[i].line}`);
      for (const l of lines) assert.match(l.line, /^progress: [\d.]+ (B|KiB|MiB) of 3\.0 MiB \(\d+%\), 0 of 1 files, [\d.]+ (B|KiB|MiB)\/s(, eta \d+s)?, elapsed \d+s$/);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, lines.length, `${cmd[0]}: nothing else on stderr`);
      assert.doesNotMatch(r.stdout, /progress/);
    }
    assert.equal(fs.readFileSync(path.join(back, 'big.bin')).length, 3 * MiB);
  });

  it('--no-progress turns the interval lines off, even with --progress-interval or S3K_PROGRESS_INTERVAL; the environment variable alone turns them on', async () => {
    let r = await s3k(['put', big, `s3://${bucket}/n/1`, '--limit-rate', '1m', '--progress-interval', '1', '--no-progress'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    r = await s3k(['put', big, `s3://${bucket}/n/2`, '--limit-rate', '1m', '--no-progress'], { env: { ...env, S3K_PROGRESS_INTERVAL: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    r = await s3k(['put', big, `s3://${bucket}/n/3`, '--limit-rate', '1m'], { env: { ...env, S3K_PROGRESS_INTERVAL: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(progressLines(r.stderr).length >= 2, r.stderr);
    r = await s3k(['put', big, `s3://${bucket}/n/4`, '--limit-rate', '1m', '--progress-interval', '0'], { env: { ...env, S3K_PROGRESS_INTERVAL: '1' } });
    assert.equal(r.stderr, '', '--progress-interval 0 on the command line wins over the environment');
    r = await s3k(['put', big, `s3://${bucket}/n/5`, '--progress-interval', 'soon'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /s3k: error: option --progress-interval: invalid integer value: 'soon'/);
  });

  it('without the new options, the output of put and sync is what it was: s3cmd lines on stdout, nothing on stderr; with interval lines on, stdout is the same', async () => {
    const src = tempDir('jobs-same');
    fs.writeFileSync(path.join(src, 'a.txt'), 'aaa');
    let r = await s3k(['put', path.join(src, 'a.txt'), `s3://${bucket}/same/a.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^upload: '.*\/a\.txt' -> 's3:\/\/[^']+\/same\/a\.txt' \(3 bytes in [\d.]+ seconds, [\d.]+ B\/s\) \[1 of 1\]\n$/);
    assert.equal(r.stderr, '');
    // a throttled sync with and without interval lines: the same stdout, timings aside
    const outs: string[] = [];
    for (const [i, extra] of [[], ['--progress-interval', '1']].entries()) {
      r = await s3k(['sync', dir + '/', `s3://${bucket}/same${i}/`, '--limit-rate', '1m', ...extra], { env });
      assert.equal(r.code, 0, r.stderr);
      outs.push(timings(r.stdout).replace(`same${i}/`, 'sameN/'));
      if (extra.length) assert.ok(progressLines(r.stderr).length >= 2, r.stderr);
      else assert.equal(r.stderr, '');
    }
    assert.equal(outs[0], outs[1]);
    assert.match(outs[0], /^upload: '.*big\.bin' -> 's3:\/\/[^']+\/sameN\/big\.bin' \(N bytes in T seconds, S B\/s\) \[1 of 1\]\nDone\. Uploaded 3145728 bytes in T seconds, S B\/s\.\n$/);
  });

  it('--json for put, sync, get and del: one object on stdout, counts as they happened, an unreadable file in failures[], the exit code as the process', async () => {
    const src = tempDir('jobs-json');
    fs.chmodSync(src, 0o755);
    fs.mkdirSync(path.join(src, 'p'));
    fs.chmodSync(path.join(src, 'p'), 0o755);
    for (const [n, body] of [['ok1.txt', 'one'], ['ok2.txt', 'two!'], ['denied.txt', 'no']]) {
      fs.writeFileSync(path.join(src, 'p', n), body);
      fs.chmodSync(path.join(src, 'p', n), n === 'denied.txt' ? 0o000 : 0o644);
    }
    const seen = (r: { code: number | null; stdout: string }) => {
      const j = summary(r.stdout);
      assert.equal(j.exitCode, r.code, 'the exit code in the JSON is the process exit code');
      assert.equal(typeof j.seconds, 'number');
      return j;
    };
    // put -r: two uploaded, the unreadable one failed (exit 2); the s3cmd lines went to stderr
    let r = await s3kAsNobody(['put', '-r', '--json', 'p/', `s3://${bucket}/json-put/`], { env, cwd: src });
    let j = seen(r);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual({ command: j.command, objects: j.objects, bytes: j.bytes, failures: j.failures }, {
      command: 'put',
      objects: { transferred: 2, skipped: 0, deleted: 0, failed: 1 },
      bytes: 7,
      failures: [{ path: 'p/denied.txt', error: 'Permission denied' }],
    });
    assert.match(r.stderr, /^upload: 'p\/ok1\.txt' -> /m);
    assert.match(r.stderr, /^ERROR: Upload of 'p\/denied\.txt' is not possible \(Reason: Permission denied\)$/m);

    // sync --delete-removed: an object only in the destination is deleted (the failure does not explain it)
    await adminPutObject(bucket, 'json-sync/old.txt', 'old!!');
    r = await s3kAsNobody(['sync', '--json', '--delete-removed', 'p/', `s3://${bucket}/json-sync/`], { env, cwd: src });
    j = seen(r);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(j.objects, { transferred: 2, skipped: 0, deleted: 1, failed: 1 });
    assert.equal(j.bytes, 7);
    assert.equal(j.deletedBytes, 5);
    assert.deepEqual(j.failures, [{ path: 'p/denied.txt', error: 'Permission denied' }]);
    assert.deepEqual((await adminListKeys(bucket, 'json-sync/')).sort(), ['json-sync/ok1.txt', 'json-sync/ok2.txt']);

    // the same sync once the file is readable: the unchanged ones skipped, exit 0
    fs.chmodSync(path.join(src, 'p', 'denied.txt'), 0o644);
    r = await s3k(['sync', '--json', 'p/', `s3://${bucket}/json-sync/`], { env, cwd: src });
    j = seen(r);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(j.objects, { transferred: 1, skipped: 2, deleted: 0, failed: 0 });
    assert.deepEqual(j.failures, []);

    // get -r, then again with --skip-existing
    const back = tempDir('jobs-json-get');
    r = await s3k(['get', '-r', '--json', `s3://${bucket}/json-sync/`, back + '/'], { env });
    j = seen(r);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(j.objects, { transferred: 3, skipped: 0, deleted: 0, failed: 0 });
    assert.equal(j.bytes, 9);
    assert.match(r.stderr, /^download: 's3:\/\/.*ok1\.txt' -> /m);
    r = await s3k(['get', '-r', '--json', '--skip-existing', `s3://${bucket}/json-sync/`, back + '/'], { env });
    assert.deepEqual(seen(r).objects, { transferred: 0, skipped: 3, deleted: 0, failed: 0 });

    // del -r
    r = await s3k(['del', '-r', '--force', '--json', `s3://${bucket}/json-sync/`], { env });
    j = seen(r);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(j.objects, { transferred: 0, skipped: 0, deleted: 3, failed: 0 });
    assert.equal(j.deletedBytes, 9);
    assert.equal(j.command, 'del');
    assert.deepEqual(await adminListKeys(bucket, 'json-sync/'), []);
  });

  it('--json for cp, mv and modify: the same summary object (copies counted as transfers with their bytes, a missing source in failures[]); a command that has no JSON output refuses --json', async () => {
    for (const [n, body] of [['a.txt', 'aaa'], ['b.txt', 'bbbbb'], ['c.txt', 'cc']]) await adminPutObject(bucket, `json-cp/${n}`, body);
    const seen = (r: { code: number | null; stdout: string }) => {
      const j = summary(r.stdout);
      assert.equal(j.exitCode, r.code, 'the exit code in the JSON is the process exit code');
      assert.equal(typeof j.seconds, 'number');
      return j;
    };
    // cp -r: three server-side copies, 10 bytes; s3cmd's lines moved to stderr
    let r = await s3k(['cp', '-r', '--json', `s3://${bucket}/json-cp/`, `s3://${bucket}/json-cp2/`], { env });
    let j = seen(r);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual({ command: j.command, objects: j.objects, bytes: j.bytes, deletedBytes: j.deletedBytes, failures: j.failures }, {
      command: 'cp',
      objects: { transferred: 3, skipped: 0, deleted: 0, failed: 0 },
      bytes: 10,
      deletedBytes: 0,
      failures: [],
    });
    assert.equal((r.stderr.match(/^remote copy: 's3:\/\/.*\/json-cp\/[abc]\.txt' -> /gm) ?? []).length, 3, r.stderr);
    // mv of two keys, one of them missing: one moved, one failure named by its key; s3cmd's exit code
    r = await s3k(['mv', '--json', `s3://${bucket}/json-cp2/b.txt`, `s3://${bucket}/json-cp2/missing.txt`, `s3://${bucket}/json-mv/`], { env });
    j = seen(r);
    assert.notEqual(r.code, 0, r.stderr);
    assert.equal(j.command, 'mv');
    assert.deepEqual(j.objects, { transferred: 1, skipped: 0, deleted: 0, failed: 1 });
    assert.equal(j.bytes, 5);
    assert.equal(j.failures.length, 1);
    assert.equal(j.failures[0].key, `s3://${bucket}/json-cp2/missing.txt`);
    assert.match(j.failures[0].error, /404|NoSuchKey|Not Found/);
    assert.deepEqual((await adminListKeys(bucket, 'json-mv/')).sort(), ['json-mv/b.txt']);
    assert.deepEqual((await adminListKeys(bucket, 'json-cp2/')).sort(), ['json-cp2/a.txt', 'json-cp2/c.txt']);
    // modify rewrites in place: counted as transfers too
    r = await s3k(['modify', '--json', '--add-header=Cache-Control:max-age=60', `s3://${bucket}/json-cp2/a.txt`, `s3://${bucket}/json-cp2/c.txt`], { env });
    j = seen(r);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(j.command, 'modify');
    assert.deepEqual(j.objects, { transferred: 2, skipped: 0, deleted: 0, failed: 0 });
    assert.equal(j.bytes, 5);
    // mb prints no JSON: --json is refused with one line, exit 64, and nothing is created
    const other = `${bucket}-json`;
    r = await s3k(['mb', '--json', `s3://${other}`], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ERROR: --json does nothing for 'mb' \(only for ls, la, du, info, whoami, doctor, put, get, sync, cp, mv, modify, del, rm\); leave it out\.\n$/);
    r = await s3k(['ls', `s3://${other}`], { env });
    assert.equal(r.code, 12, `the bucket was not created: ${r.stderr}`);
  });

  it('--json when the command fails outright: the error line and its exit code in the JSON; get to stdout refuses --json', async () => {
    let r = await s3k(['put', '--json', big, `s3://${bucket}-missing/x`], { env });
    const j = summary(r.stdout);
    assert.equal(r.code, 12, r.stderr);
    assert.equal(j.exitCode, 12);
    assert.match(j.error, /NoSuchBucket/);
    assert.match(r.stderr, /^ERROR: .*NoSuchBucket/m);
    r = await s3k(['get', '--json', `s3://${bucket}/p/big.bin`, '-'], { env });
    assert.equal(r.code, 64);
    assert.equal(summary(r.stdout).exitCode, 64);
    assert.match(r.stderr, /^ERROR: Parameter problem: --json prints its summary on stdout/);
  });
});
