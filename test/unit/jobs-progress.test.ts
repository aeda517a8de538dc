// The log's 'progress:' line (sizes, percentages, rates, durations) and the --json summary of a
// transfer command (the tally's counts, its failures, the exit code last).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, progressLine, duration, human } from '../../src/transfer/progress.ts';
import { Tally, summaryJson, MAX_FAILURES_LISTED, errorText } from '../../src/transfer/summary.ts';
import { S3Error } from '../../src/s3/errors.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('durations and sizes in progress lines', () => {
  it('durations: seconds, minutes and seconds, hours with two-digit minutes and seconds', () => {
    assert.equal(duration(0), '0s');
    assert.equal(duration(0.4), '0s');
    assert.equal(duration(45), '45s');
    assert.equal(duration(59.6), '1m00s');
    assert.equal(duration(92), '1m32s');
    assert.equal(duration(65), '1m05s');
    assert.equal(duration(3600), '1h00m00s');
    assert.equal(duration(2 * 3600 + 5 * 60 + 9), '2h05m09s');
    assert.equal(duration(-3), '0s');
    assert.equal(duration(Infinity), '0s');
  });
  it('sizes: bytes whole, larger units with one decimal, binary prefixes', () => {
    assert.equal(human(0), '0 B');
    assert.equal(human(1023), '1023 B');
    assert.equal(human(1024), '1.0 KiB');
    assert.equal(human(1.2 * GiB), '1.2 GiB');
    assert.equal(human(41.3 * MiB), '41.3 MiB');
    assert.equal(human(3 * 1024 * GiB), '3.0 TiB');
  });
});

describe("the 'progress:' line", () => {
  it('with totals: bytes of total (percent), files of total, rate, eta, elapsed, in that order', () => {
    const l = progressLine({ bytes: 1.2 * GiB, totalBytes: 5 * GiB, files: 3, totalFiles: 10, rate: 41.3 * MiB, seconds: 25 });
    // (5 - 1.2) GiB at 41.3 MiB/s = 94.2 s
    assert.equal(l, 'progress: 1.2 GiB of 5.0 GiB (24%), 3 of 10 files, 41.3 MiB/s, eta 1m34s, elapsed 25s');
  });
  it('the percentage is rounded down: 100% only when everything is there, and then no eta', () => {
    assert.match(progressLine({ bytes: 999, totalBytes: 1000, files: 0, totalFiles: 1, rate: 10, seconds: 1 }), /\(99%\).*eta 0s/);
    const done = progressLine({ bytes: 1000, totalBytes: 1000, files: 1, totalFiles: 1, rate: 10, seconds: 1 });
    assert.equal(done, 'progress: 1000 B of 1000 B (100%), 1 of 1 files, 10 B/s, elapsed 1s');
    assert.match(progressLine({ bytes: 0, totalBytes: 0, files: 0, totalFiles: 1, rate: 0, seconds: 0 }), /0 B of 0 B \(100%\)/);
  });
  it('without totals (stdin, del, a sync still listing): no percentage and no eta', () => {
    assert.equal(progressLine({ bytes: 3 * MiB, files: 7, rate: MiB, seconds: 75 }), 'progress: 3.0 MiB, 7 files, 1.0 MiB/s, elapsed 1m15s');
  });
  it('no eta while nothing moves (rate 0)', () => {
    assert.doesNotMatch(progressLine({ bytes: 0, totalBytes: 100, files: 0, totalFiles: 1, rate: 0, seconds: 30 }), /eta/);
  });
  it("Progress.logLine: the rate is measured between lines, the counts are the Progress's own", () => {
    const p = new Progress(2, 10 * MiB);
    const t0 = performance.now();
    p.logLine(t0); // first sample
    p.addBytes(4 * MiB);
    p.fileDone();
    const l = p.logLine(t0 + 2000);
    assert.match(l, /^progress: 4\.0 MiB of 10\.0 MiB \(40%\), 1 of 2 files, 2\.0 MiB\/s, eta 3s, elapsed 2s$/);
  });
});

describe('the tally and the --json summary', () => {
  it('failures are named by key (s3://) or local path, with the error in one line', () => {
    const t = new Tally();
    t.transferDone(10);
    t.transferDone(5);
    t.skipped++;
    t.fail('s3://b/k', new S3Error(404, 'NoSuchKey', ''));
    const denied = Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
    t.fail('dir/f.txt', denied);
    t.fail('dir/g.txt', 'Permission denied');
    assert.deepEqual(t.failures, [
      { key: 's3://b/k', error: '404 (NoSuchKey)' },
      { path: 'dir/f.txt', error: 'Permission denied' },
      { path: 'dir/g.txt', error: 'Permission denied' },
    ]);
    const j = summaryJson('put', t, 1.23456, 2);
    assert.deepEqual(j, {
      command: 'put',
      objects: { transferred: 2, skipped: 1, deleted: 0, failed: 3 },
      bytes: 15,
      deletedBytes: 0,
      seconds: 1.235,
      failures: t.failures,
      exitCode: 2,
    });
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(j))).at(-1), 'exitCode', 'the exit code reads last');
  });
  it('a fatal error is carried as one line; failuresNotListed only when the list was cut', () => {
    const t = new Tally();
    for (let i = 0; i < MAX_FAILURES_LISTED + 5; i++) t.fail(`f${i}`, 'x');
    const j = summaryJson('sync', t, 0, 12, 'S3 error: 404 (NoSuchBucket)');
    assert.equal(j.objects.failed, MAX_FAILURES_LISTED + 5);
    assert.equal(j.failures.length, MAX_FAILURES_LISTED);
    assert.equal(j.failuresNotListed, 5);
    assert.equal(j.error, 'S3 error: 404 (NoSuchBucket)');
    assert.equal('failuresNotListed' in summaryJson('sync', new Tally(), 0, 0), false);
    assert.equal('error' in summaryJson('sync', new Tally(), 0, 0), false);
  });
  it('errorText: S3 status and code, errno wording', () => {
    assert.equal(errorText(new S3Error(403, 'AccessDenied', 'nope')), '403 (AccessDenied): nope');
    assert.equal(errorText(Object.assign(new Error('x'), { code: 'ENOENT' })), 'No such file or directory');
  });
});
