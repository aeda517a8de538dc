// Load: a sync of 50,000 small files at --parallel 64 completes with no error, every object is
// verified against its local MD5, a re-sync transfers nothing, and peak memory stays bounded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adminEnv, cleanEnv, run, s3k, tempDir, uniqueBucket, S3K_BIN } from '../support/lab.ts';

const N = Number(process.env.S3K_LOAD_FILES ?? 50_000);
const env = adminEnv();
const TIME = '/usr/bin/time';

/** Run s3k under /usr/bin/time to learn its peak RSS (KB). */
async function s3kMeasured(args: string[]) {
  const out = path.join(tempDir('time'), 'rss');
  const envArgs = Object.entries(cleanEnv(env)).map(([k, v]) => `${k}=${v}`);
  const r = await run('env', ['-i', ...envArgs, TIME, '-o', out, '-f', '%M', process.execPath, S3K_BIN, ...args], { timeoutMs: 1_200_000 });
  const rssKb = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  assert.ok(Number.isInteger(rssKb) && rssKb > 0, `${TIME} reported no peak RSS: ${fs.readFileSync(out, 'utf8')}`);
  return { ...r, rssKb };
}

describe(`load: sync of ${N} files at --parallel 64`, () => {
  const bucket = uniqueBucket('load');
  const src = tempDir('load');
  const sums = new Map<string, string>();
  before(async () => {
    // the memory bound is part of the test: no /usr/bin/time is a failure, not a reason to skip it
    assert.ok(fs.existsSync(TIME), `${TIME} is missing; install the Debian package time (lab/install-deps.sh --with-test-tools)`);
    for (let d = 0; d < Math.ceil(N / 1000); d++) {
      const dir = path.join(src, `d${String(d).padStart(3, '0')}`);
      fs.mkdirSync(dir);
      for (let i = 0; i < 1000 && d * 1000 + i < N; i++) {
        const data = crypto.randomBytes(64 + ((d * 1000 + i) % 512));
        const rel = `d${String(d).padStart(3, '0')}/f${String(i).padStart(4, '0')}.bin`;
        fs.writeFileSync(path.join(src, rel), data);
        sums.set(rel, crypto.createHash('md5').update(data).digest('hex'));
      }
    }
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await s3k(['rb', '-r', '-f', '--parallel=64', `s3://${bucket}`], { env, timeoutMs: 600_000 });
  });

  it('uploads everything, verifies every object, then a re-sync transfers nothing', async () => {
    const t0 = Date.now();
    const r = await s3kMeasured(['sync', '--parallel=64', '--no-preserve', src + '/', `s3://${bucket}/`]);
    const secs = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    // nothing on stderr but the 'progress:' lines a long job prints every 30 s when stdout is not a terminal
    assert.deepEqual(r.stderr.split('\n').filter((l) => l && !l.startsWith('progress: ')), []);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('upload: ')).length, N);
    console.log(`# sync of ${N} files: ${secs.toFixed(1)} s, ${(N / secs).toFixed(0)} files/s, peak RSS ${Math.round(r.rssKb / 1024)} MB`);
    assert.ok(r.rssKb < 300 * 1024, `peak RSS ${Math.round(r.rssKb / 1024)} MB stays bounded`);

    // every object: listed once, with the local file's MD5 as its ETag
    const ls = await s3k(['ls', '-r', '--json', `s3://${bucket}/`], { env, timeoutMs: 600_000 });
    assert.equal(ls.code, 0, ls.stderr);
    const objs = JSON.parse(ls.stdout) as { key: string; etag: string; size: number }[];
    assert.equal(objs.length, N);
    let bad = 0;
    for (const o of objs) if (sums.get(o.key) !== o.etag) bad++;
    assert.equal(bad, 0, 'every object matches its file');

    const again = await s3kMeasured(['sync', '--parallel=64', '--no-preserve', src + '/', `s3://${bucket}/`]);
    assert.equal(again.code, 0, again.stderr.slice(-2000));
    assert.equal(again.stdout, '', 'nothing to transfer');
    console.log(`# no-change re-sync peak RSS ${Math.round(again.rssKb / 1024)} MB`);
  });
});
