// Faults survived, interrupted work resumed: s3k through a fault-injecting proxy in front of the
// lab, and s3k killed with SIGKILL in the middle of transfers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { adminDeleteBucket, adminEnv, adminGetObject, adminListKeys, adminPutObject, cleanEnv, labEndpoint, s3k, tempDir, uniqueBucket, S3K_BIN } from '../support/lab.ts';
import { startFaultProxy, firstN, type FaultProxy, type SeenRequest } from '../support/faults.ts';

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const isObj = (key: string) => (r: SeenRequest) => r.url.split('?')[0].endsWith('/' + key);

describe('faults and interruptions', () => {
  const bucket = uniqueBucket('faults');
  let proxy: FaultProxy;
  let env: Record<string, string>;
  const work = tempDir('faults');
  const small = crypto.randomBytes(200_000);
  const big = crypto.randomBytes(40 * 1024 * 1024 + 5);
  const smallFile = path.join(work, 'small.bin');
  const bigFile = path.join(work, 'big.bin');

  before(async () => {
    fs.writeFileSync(smallFile, small);
    fs.writeFileSync(bigFile, big);
    proxy = await startFaultProxy(labEndpoint());
    env = { ...adminEnv(), AWS_ENDPOINT_URL: proxy.url };
    const r = await s3k(['mb', `s3://${bucket}`], { env: adminEnv() });
    assert.equal(r.code, 0, r.stderr);
    await adminPutObject(bucket, 'small.bin', small);
  });
  after(async () => {
    await proxy.close();
    await adminDeleteBucket(bucket);
  });

  it('500, 503 SlowDown and 429 are retried with backoff; the upload lands intact', async () => {
    let n = 0;
    proxy.rule = (r) => {
      if (r.method !== 'PUT') return undefined;
      n++;
      if (n === 1) return { kind: 'status', status: 500, code: 'InternalError' };
      if (n === 2) return { kind: 'status', status: 503, code: 'SlowDown' };
      if (n === 3) return { kind: 'status', status: 429, code: 'TooManyRequests' };
      return undefined;
    };
    const r = await s3k(['put', smallFile, `s3://${bucket}/retry.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(n, 4, 'three failures then success');
    assert.equal(md5((await adminGetObject(bucket, 'retry.bin')).body), md5(small));
  });

  it('after --max-retries the command exits 75 with one clear line and creates nothing', async () => {
    proxy.rule = (r) => (r.method === 'PUT' ? { kind: 'status', status: 503, code: 'SlowDown' } : undefined);
    const r = await s3k(['put', '--max-retries=2', smallFile, `s3://${bucket}/never.bin`], { env });
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /^ERROR: S3 Temporary Error: PUT s3:\/\/.*\/never\.bin failed 3 times \(last: 503 \(SlowDown\)\)\.  Please try again later\.\n$/);
    assert.equal(proxy.seen.filter((s) => s.method === 'PUT' && s.url.includes('never.bin')).length, 3);
    assert.equal((await adminGetObject(bucket, 'never.bin')).status, 404);

    proxy.rule = (r) => (r.method === 'GET' && isObj('small.bin')(r) ? { kind: 'reset-mid-body' } : undefined);
    const dest = path.join(work, 'never-got.bin');
    const g = await s3k(['get', '--max-retries=1', `s3://${bucket}/small.bin`, dest], { env });
    assert.equal(g.code, 75, g.stderr);
    assert.equal(g.stderr.trim().split('\n').length, 1, g.stderr);
    assert.ok(!fs.existsSync(dest), 'no partial file where the complete one would be');
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith('.never-got')), [], 'no hidden partial either');
  });

  it('resets mid-body, truncated responses, stalls and flipped bytes on GET are retried; the file is exact', async () => {
    for (const kind of ['reset-mid-body', 'truncate', 'flip-response'] as const) {
      proxy.rule = firstN(2, (r) => r.method === 'GET' && isObj('small.bin')(r), { kind });
      const dest = path.join(work, `got-${kind}.bin`);
      const r = await s3k(['get', `s3://${bucket}/small.bin`, dest], { env });
      assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
      assert.equal(md5(fs.readFileSync(dest)), md5(small), kind);
    }
    // a stall longer than socket_timeout (from .s3cfg) is cut off and retried
    const cfg = path.join(work, 's3cfg');
    fs.writeFileSync(cfg, '[default]\nsocket_timeout = 1\n');
    proxy.rule = firstN(1, (r) => r.method === 'GET' && isObj('small.bin')(r), { kind: 'stall', ms: 2500 });
    const dest = path.join(work, 'got-stall.bin');
    const r = await s3k(['-c', cfg, 'get', `s3://${bucket}/small.bin`, dest], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(fs.readFileSync(dest)), md5(small));
  });

  it('a byte flipped on the way to the server is caught (Content-MD5 / part ETag) and re-sent', async () => {
    // small file: one PUT with Content-MD5 -> the server answers BadDigest -> retried
    proxy.rule = firstN(1, (r) => r.method === 'PUT', { kind: 'flip-request' });
    let r = await s3k(['put', smallFile, `s3://${bucket}/flipped-small.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5((await adminGetObject(bucket, 'flipped-small.bin')).body), md5(small));
    // multipart: parts are streamed and their ETag compared with the MD5 of what was sent
    proxy.rule = firstN(1, (r) => r.method === 'PUT' && r.url.includes('partNumber=2'), { kind: 'flip-request' });
    r = await s3k(['put', '--multipart-chunk-size-mb=5', '-d', bigFile, `s3://${bucket}/flipped-big.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ETag mismatch for part 2/);
    assert.equal(md5((await adminGetObject(bucket, 'flipped-big.bin')).body), md5(big));
    // a response byte that stays corrupted is never reported as success
    proxy.rule = (x) => (x.method === 'GET' && isObj('small.bin')(x) ? { kind: 'flip-response' } : undefined);
    const dest = path.join(work, 'always-flipped.bin');
    r = await s3k(['get', '--max-retries=2', `s3://${bucket}/small.bin`, dest], { env });
    assert.equal(r.code, 75);
    assert.match(r.stderr, /MD5 mismatch/);
    assert.ok(!fs.existsSync(dest));
  });

  it('a connection reset before the answer is retried for PUT and listing', async () => {
    proxy.rule = firstN(2, () => true, { kind: 'reset-before-response' });
    let r = await s3k(['put', smallFile, `s3://${bucket}/reset.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    proxy.rule = firstN(1, (x) => x.method === 'GET', { kind: 'reset-before-response' });
    r = await s3k(['ls', `s3://${bucket}/reset`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reset\.bin/);
  });

  it('malformed XML from the server: one clear line, no stack trace', async () => {
    proxy.rule = (x) => (x.method === 'GET' && x.url.includes('list-type=2') ? { kind: 'malformed-xml' } : undefined);
    const r = await s3k(['ls', `s3://${bucket}/`], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ERROR: S3 error: \d+ \(MalformedXML\): could not parse the ListObjectsV2 answer/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  /** Start s3k, kill -9 it once `ready()` says enough happened, wait for it to die. */
  async function killMidway(args: string[], ready: () => boolean, extraEnv: Record<string, string> = env): Promise<void> {
    const child = spawn(process.execPath, [S3K_BIN, ...args], { env: cleanEnv(extraEnv), stdio: 'ignore' });
    const t0 = Date.now();
    while (!ready()) {
      if (child.exitCode !== null) throw new Error(`s3k exited (${child.exitCode}) before it could be killed`);
      if (Date.now() - t0 > 60_000) throw new Error('timed out waiting to kill s3k');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }

  it('kill -9 during a multipart put; --continue-put resumes without re-sending finished parts', async () => {
    proxy.seen.length = 0;
    // slow every part down so the kill lands mid-upload
    proxy.rule = (r) => (r.method === 'PUT' && r.url.includes('partNumber=') ? { kind: 'stall', ms: 150 } : undefined);
    const parts = () => proxy.seen.filter((s) => s.method === 'PUT' && s.url.includes('partNumber='));
    await killMidway(['put', '--multipart-chunk-size-mb=5', '--parallel=2', bigFile, `s3://${bucket}/resume.bin`], () => parts().length >= 4);
    const sentBefore = new Set(parts().map((p) => /partNumber=(\d+)/.exec(p.url)![1]));
    assert.equal((await adminGetObject(bucket, 'resume.bin')).status, 404, 'not complete yet');
    proxy.seen.length = 0;
    proxy.rule = () => undefined;
    const r = await s3k(['put', '--continue-put', '--multipart-chunk-size-mb=5', bigFile, `s3://${bucket}/resume.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    const sentAfter = parts().map((p) => /partNumber=(\d+)/.exec(p.url)![1]);
    assert.ok(sentAfter.length < 9, `fewer than all 9 parts re-sent (sent ${sentAfter.length})`);
    assert.ok(sentBefore.size >= 2);
    assert.equal(md5((await adminGetObject(bucket, 'resume.bin')).body), md5(big));
  });

  it('kill -9 during get; get --continue finishes it from the hidden partial', async () => {
    await adminPutObject(bucket, 'big.bin', big);
    const dest = path.join(work, 'resumed-get.bin');
    proxy.seen.length = 0;
    proxy.rule = (r) => (r.method === 'GET' && isObj('big.bin')(r) ? { kind: 'stall', ms: 200 } : undefined);
    const gets = () => proxy.seen.filter((s) => s.method === 'GET' && isObj('big.bin')(s));
    const rangesDone = () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(work, '.resumed-get.bin.s3k-partial.json'), 'utf8')).done.length as number;
      } catch {
        return 0; // not there yet, or caught mid-write
      }
    };
    await killMidway(['get', '--parallel=2', `s3://${bucket}/big.bin`, dest], () => gets().length >= 4 && rangesDone() >= 1);
    assert.ok(!fs.existsSync(dest), 'no file under the final name yet');
    proxy.seen.length = 0;
    proxy.rule = () => undefined;
    const stateAtKill = fs.readFileSync(path.join(work, '.resumed-get.bin.s3k-partial.json'), 'utf8');
    const r = await s3k(['get', '--continue', `s3://${bucket}/big.bin`, dest], { env });
    assert.equal(r.code, 0, r.stderr);
    const ranges = Math.ceil(big.length / (8 * 1024 * 1024));
    const done = (JSON.parse(stateAtKill) as { done: number[] }).done.length;
    assert.ok(done >= 1);
    assert.equal(gets().length, ranges - done, `only the missing ranges are fetched (${ranges} ranges, ${done} done before the kill)`);
    assert.equal(md5(fs.readFileSync(dest)), md5(big));
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith('.resumed-get')), []);
  });

  it('kill -9 during sync --delete-removed; the re-run converges and keeps every object whose file exists', async () => {
    const src = path.join(work, 'tree');
    for (let i = 0; i < 40; i++) {
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, `f${String(i).padStart(2, '0')}.txt`), `v1 ${i}`);
    }
    let r = await s3k(['sync', src + '/', `s3://${bucket}/tree/`], { env });
    assert.equal(r.code, 0, r.stderr);
    // change half, delete a quarter, add some
    for (let i = 0; i < 40; i += 2) fs.writeFileSync(path.join(src, `f${String(i).padStart(2, '0')}.txt`), `v2 changed ${i}`);
    for (let i = 1; i < 40; i += 4) fs.rmSync(path.join(src, `f${String(i).padStart(2, '0')}.txt`));
    for (let i = 40; i < 50; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `new ${i}`);
    proxy.seen.length = 0;
    proxy.rule = (x) => (x.method === 'PUT' ? { kind: 'stall', ms: 100 } : undefined);
    await killMidway(['sync', '--delete-removed', '--parallel=2', src + '/', `s3://${bucket}/tree/`], () => proxy.seen.filter((s) => s.method === 'PUT').length >= 5);
    const local = new Set(fs.readdirSync(src).map((f) => `tree/${f}`));
    const remote = new Set(await adminListKeys(bucket, 'tree/'));
    for (const f of local) if (/^tree\/f[0-3]\d\.txt$/.test(f)) assert.ok(remote.has(f), `the object of an existing file was deleted: ${f}`);
    proxy.rule = () => undefined;
    r = await s3k(['sync', '--delete-removed', src + '/', `s3://${bucket}/tree/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(new Set(await adminListKeys(bucket, 'tree/')), local);
    for (const f of local) assert.equal((await adminGetObject(bucket, f)).text, fs.readFileSync(path.join(work, f), 'utf8'));
  });
  it('sync: when the upload of a file fails, a duplicate of it is uploaded itself, not copied from the key that was never written', async () => {
    const src = path.join(work, 'dups');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'the same bytes');
    fs.writeFileSync(path.join(src, 'b.txt'), 'the same bytes');
    fs.writeFileSync(path.join(src, 'c.txt'), 'other bytes!!!');
    proxy.rule = (x) => (x.method === 'PUT' && isObj('dups/a.txt')(x) ? { kind: 'status', status: 503, code: 'SlowDown' } : undefined);
    const r = await s3k(['sync', '--max-retries=0', src + '/', `s3://${bucket}/dups/`], { env });
    proxy.rule = () => undefined;
    assert.notEqual(r.code, 0, 'a failed upload fails the sync');
    assert.match(r.stdout, /^upload: '.*b\.txt' -> /m);
    assert.doesNotMatch(r.stdout, /remote copy/);
    assert.deepEqual((await adminListKeys(bucket, 'dups/')).sort(), ['dups/b.txt', 'dups/c.txt']);
    assert.equal((await adminGetObject(bucket, 'dups/b.txt')).text, 'the same bytes');
    // without the fault, the duplicate is copied server-side from the first upload, as s3cmd does
    const again = await s3k(['sync', '--delete-removed', src + '/', `s3://${bucket}/dups2/`], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^remote copy: 'a\.txt' -> 'b\.txt'  \[1 of 1\]$/m);
  });
});
