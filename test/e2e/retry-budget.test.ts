// One retry budget per logical request: a request that fails every time is sent exactly
// --max-retries + 1 times, whichever layer notices the failure (an error status, a connection reset
// before the answer, a body that breaks mid-read). The fault proxy in front of the lab counts what
// reaches it. STS (AssumeRoleWithWebIdentity) has its own budget: 3 retries, 4 attempts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, adminGetObject, adminPutObject, irsaEnv, labEndpoint, s3k, setupIrsa, tempDir, uniqueBucket, writeToken } from '../support/lab.ts';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../support/faults.ts';

/** STS_RETRY.maxRetries in src/credentials/web-identity.ts. */
const STS_RETRIES = 3;
const DEFAULT_RETRIES = 5;
const path0 = (r: SeenRequest) => r.url.split('?')[0];
const isObj = (bucket: string, key: string) => (r: SeenRequest) => path0(r) === `/${bucket}/${key}`;
const s503: Fault = { kind: 'status', status: 503, code: 'ServiceUnavailable' };

describe('one retry budget per logical request', () => {
  const bucket = uniqueBucket('budget');
  const work = tempDir('budget');
  const small = crypto.randomBytes(200_000);
  const medium = crypto.randomBytes(2 * 1024 * 1024 + 3); // above the buffered size: one streamed GET
  const big = crypto.randomBytes(12 * 1024 * 1024 + 7); // three 5 MiB parts
  const smallFile = path.join(work, 'small.bin');
  const bigFile = path.join(work, 'big.bin');
  let proxy: FaultProxy;
  let env: Record<string, string>;

  before(async () => {
    fs.writeFileSync(smallFile, small);
    fs.writeFileSync(bigFile, big);
    proxy = await startFaultProxy(labEndpoint());
    env = { ...adminEnv(), AWS_ENDPOINT_URL: proxy.url };
    const r = await s3k(['mb', `s3://${bucket}`], { env: adminEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await adminPutObject(bucket, 'small.bin', small)).status, 200);
    assert.equal((await adminPutObject(bucket, 'medium.bin', medium)).status, 200);
  });
  after(async () => {
    await proxy.close();
    await adminDeleteBucket(bucket);
  });

  /** Run s3k with `fault` on every request `match` accepts; return how many of those the proxy saw. */
  async function count(args: string[], match: (r: SeenRequest) => boolean, fault: Fault, retries: number | undefined, extraEnv: Record<string, string> = env) {
    proxy.seen.length = 0;
    proxy.rule = (r) => (match(r) ? fault : undefined);
    const flags = retries === undefined ? [] : [`--max-retries=${retries}`];
    const r = await s3k([...flags, ...args], { env: extraEnv, timeoutMs: 120_000 });
    proxy.rule = () => undefined;
    return { r, n: proxy.seen.filter(match).length };
  }

  for (const retries of [2, undefined]) {
    const N = retries ?? DEFAULT_RETRIES;
    const label = retries === undefined ? `the default --max-retries (${N})` : `--max-retries=${retries}`;

    it(`GET: 503, reset before the answer, reset mid-body, every time: sent ${N + 1} times at ${label}, exit 75`, async () => {
      const get = (r: SeenRequest) => r.method === 'GET' && isObj(bucket, 'small.bin')(r);
      const sent: Record<string, number> = {};
      for (const fault of [s503, { kind: 'reset-before-response' }, { kind: 'reset-mid-body' }] as Fault[]) {
        const dest = path.join(work, `get-${fault.kind}-${N}.bin`);
        const { r, n } = await count(['get', `s3://${bucket}/small.bin`, dest], get, fault, retries);
        sent[fault.kind === 'status' ? '503' : fault.kind] = n;
        assert.equal(r.code, 75, `${fault.kind}: ${r.stderr}`);
        assert.ok(!fs.existsSync(dest));
      }
      assert.deepEqual(sent, { '503': N + 1, 'reset-before-response': N + 1, 'reset-mid-body': N + 1 }, 'GETs sent per fault');
    });

    it(`PUT of a small file: 503 every time, reset before the answer every time: sent ${N + 1} times at ${label}`, async () => {
      const key = `put-${N}.bin`;
      const put = (r: SeenRequest) => r.method === 'PUT' && isObj(bucket, key)(r);
      const sent: Record<string, number> = {};
      for (const fault of [s503, { kind: 'reset-before-response' }] as Fault[]) {
        const { r, n } = await count(['put', smallFile, `s3://${bucket}/${key}`], put, fault, retries);
        sent[fault.kind === 'status' ? '503' : fault.kind] = n;
        assert.equal(r.code, 75, `${fault.kind}: ${r.stderr}`);
      }
      assert.deepEqual(sent, { '503': N + 1, 'reset-before-response': N + 1 }, 'PUTs sent per fault');
      assert.equal((await adminGetObject(bucket, key)).status, 404);
    });

    it(`part upload: 503 on every UploadPart: part 1 sent ${N + 1} times at ${label}`, async () => {
      const key = `multi-${N}.bin`;
      const part = (r: SeenRequest) => r.method === 'PUT' && isObj(bucket, key)(r) && r.url.includes('partNumber=');
      const { r } = await count(['put', '--multipart-chunk-size-mb=5', bigFile, `s3://${bucket}/${key}`], part, s503, retries);
      assert.equal(r.code, 75, r.stderr);
      const perPart = new Map<string, number>();
      for (const s of proxy.seen.filter(part)) {
        const p = /partNumber=(\d+)/.exec(s.url)![1];
        perPart.set(p, (perPart.get(p) ?? 0) + 1);
      }
      assert.equal(perPart.get('1'), N + 1, `part 1 sent ${perPart.get('1')} times`);
      for (const [p, k] of perPart) assert.ok(k <= N + 1, `part ${p} sent ${k} times`);
    });

    it(`list: 503, reset before the answer, reset mid-body, every time: sent ${N + 1} times at ${label}`, async () => {
      const list = (r: SeenRequest) => r.method === 'GET' && r.url.includes('list-type=2');
      const sent: Record<string, number> = {};
      for (const fault of [s503, { kind: 'reset-before-response' }, { kind: 'reset-mid-body' }] as Fault[]) {
        const { r, n } = await count(['ls', `s3://${bucket}/`], list, fault, retries);
        sent[fault.kind === 'status' ? '503' : fault.kind] = n;
        assert.equal(r.code, 75, `${fault.kind}: ${r.stderr}`);
      }
      assert.deepEqual(sent, { '503': N + 1, 'reset-before-response': N + 1, 'reset-mid-body': N + 1 }, 'ListObjectsV2 sent per fault');
    });
  }

  it('a streamed GET that breaks mid-body resumes within the same budget: sent --max-retries + 1 times', async () => {
    const get = (r: SeenRequest) => r.method === 'GET' && isObj(bucket, 'medium.bin')(r);
    const dest = path.join(work, 'medium.bin');
    const { r, n } = await count(['get', `s3://${bucket}/medium.bin`, dest], get, { kind: 'reset-mid-body' }, 2);
    assert.equal(n, 3, `GET sent ${n} times (exit ${r.code}): ${r.stderr}`);
    assert.equal(r.code, 75, r.stderr);
    assert.ok(!fs.existsSync(dest));
    // and a fault that clears is survived, with the exact bytes
    let left = 2;
    proxy.rule = (x) => (get(x) && left-- > 0 ? { kind: 'reset-mid-body' } : undefined);
    const ok = await s3k(['--max-retries=2', 'get', `s3://${bucket}/medium.bin`, dest], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(fs.readFileSync(dest).equals(medium));
  });

  it('ranged GETs that break mid-body are fetched again, the object still hashed whole in order: exact bytes', async () => {
    // 5 ranges of 8 MiB; the first three GETs break halfway: the range being hashed as it streams
    // must not count its first half twice, the ranges holding their bytes must drop them
    const huge = crypto.randomBytes(33 * 1024 * 1024 + 5);
    assert.equal((await adminPutObject(bucket, 'ranged.bin', huge)).status, 200);
    const dest = path.join(work, 'ranged.bin');
    const get = (r: SeenRequest) => r.method === 'GET' && isObj(bucket, 'ranged.bin')(r);
    let left = 3;
    proxy.seen.length = 0;
    proxy.rule = (x) => (get(x) && left-- > 0 ? { kind: 'reset-mid-body' } : undefined);
    const r = await s3k(['--max-retries=2', '--parallel=4', 'get', `s3://${bucket}/ranged.bin`, dest], { env, timeoutMs: 300_000 });
    proxy.rule = () => undefined;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.seen.filter(get).length, 8, 'five ranges, three of them twice');
    assert.ok(fs.readFileSync(dest).equals(huge), 'the file has the object\'s bytes');
  });

  describe('STS has its own budget', () => {
    const tokenFile = path.join(work, 'token');
    let roleArn = '';
    before(async () => {
      ({ roleArn } = await setupIrsa());
      await writeToken(tokenFile);
    });
    const isSts = (r: SeenRequest) => r.method === 'POST' && path0(r) === '/';

    it(`AssumeRoleWithWebIdentity answered 503 every time: sent ${STS_RETRIES + 1} times, whatever --max-retries says`, async () => {
      for (const retries of [2, undefined]) {
        const stsEnv = { ...irsaEnv(roleArn, tokenFile), AWS_ENDPOINT_URL_STS: proxy.url };
        const { r, n } = await count(['ls', `s3://${bucket}/`], isSts, s503, retries, stsEnv);
        assert.equal(n, STS_RETRIES + 1, `STS sent ${n} times`);
        assert.equal(r.code, 77, r.stderr);
        assert.match(r.stderr, /HTTP 503/);
      }
    });

    it('an S3 request that fails every time does not fetch credentials again: STS once, the list N + 1 times', async () => {
      const stsEnv = { ...irsaEnv(roleArn, tokenFile), AWS_ENDPOINT_URL_STS: proxy.url, AWS_ENDPOINT_URL_S3: proxy.url };
      const list = (r: SeenRequest) => r.method === 'GET' && r.url.includes('list-type=2');
      const { r, n } = await count(['ls', `s3://${bucket}/`], list, s503, 2, stsEnv);
      assert.equal(n, 3, `ListObjectsV2 sent ${n} times`);
      assert.equal(proxy.seen.filter(isSts).length, 1, 'one AssumeRoleWithWebIdentity');
      assert.equal(r.code, 75, r.stderr);
    });
  });
});
