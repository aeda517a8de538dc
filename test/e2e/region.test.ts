// A bucket in another region than the one s3k was given (AWS_REGION set by the EKS webhook to the
// cluster's region): s3k re-signs for the bucket's region once, remembers it for the run, and says
// so under -v. The lab has one region, so a loopback stand-in (test/support/region-proxy.ts) gives
// AWS's wrong-region answer until a request arrives signed for (and, on AWS host names, sent to)
// eu-central-1, and forwards everything else to the lab, which checks the re-signed request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, adminGetObject, adminListKeys, labEndpoint, s3k, tempDir, uniqueBucket } from '../support/lab.ts';
import { authorizationHeaderMalformed, permanentRedirect, startRegionProxy, type RegionProxy } from '../support/region-proxy.ts';

const BUCKET_REGION = 'eu-central-1';
const CLUSTER_REGION = 'us-west-2';

describe('a bucket in another region', () => {
  const bucket = uniqueBucket('region');
  let proxy: RegionProxy;
  const work = tempDir('region');
  const dir = path.join(work, 'tree');

  before(async () => {
    fs.mkdirSync(dir);
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(dir, `f${i}.txt`), crypto.randomBytes(100 + i));
    proxy = await startRegionProxy(labEndpoint());
    const r = await s3k(['mb', `s3://${bucket}`], { env: adminEnv() });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await proxy.close();
    await adminDeleteBucket(bucket);
  });

  const forBucket = (p: string) => p.startsWith(`/${bucket}/`) || p === `/${bucket}` || p.startsWith(`/${bucket}?`);

  it('custom endpoint, 400 AuthorizationHeaderMalformed: one extra request for a whole sync, signed for the bucket region after it', async () => {
    proxy.seen.length = 0;
    proxy.answer = (r) => (forBucket(r.path) && r.region !== BUCKET_REGION ? authorizationHeaderMalformed(r.region ?? '', BUCKET_REGION) : undefined);
    const env = { ...adminEnv(), AWS_ENDPOINT_URL: proxy.url, AWS_REGION: CLUSTER_REGION };
    const r = await s3k(['-v', 'sync', dir + '/', `s3://${bucket}/sync/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const mine = proxy.seen.filter((s) => forBucket(s.path));
    assert.equal(mine.filter((s) => s.answered).length, 1, 'the region is learned once per run');
    assert.equal(mine[0]!.region, CLUSTER_REGION);
    assert.ok(mine.slice(1).every((s) => s.region === BUCKET_REGION && !s.answered), JSON.stringify(mine.slice(1)));
    assert.ok(mine.filter((s) => s.method === 'PUT').length >= 12);
    // the host of a custom endpoint does not change
    assert.ok(mine.every((s) => s.host === new URL(proxy.url).host));
    assert.equal(r.stderr.match(/^INFO: Forwarding request to eu-central-1$/gm)?.length, 1, r.stderr);
    assert.equal((await adminListKeys(bucket, 'sync/')).length, 12);
  });

  it('--max-retries=0: no second attempt; the error names the region to use', async () => {
    proxy.seen.length = 0;
    const env = { ...adminEnv(), AWS_ENDPOINT_URL: proxy.url, AWS_REGION: CLUSTER_REGION };
    const r = await s3k(['--max-retries=0', 'ls', `s3://${bucket}/`], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ERROR: S3 error: 400 \(AuthorizationHeaderMalformed\): .* - the bucket is in region eu-central-1; run with --region eu-central-1/m);
    assert.equal(proxy.seen.length, 1);
  });

  it("AWS's endpoint, 301 PermanentRedirect: the region's host and signing region (through HTTP_PROXY, nothing leaves 127.0.0.1)", async () => {
    proxy.seen.length = 0;
    const right = `s3.${BUCKET_REGION}.amazonaws.com`;
    proxy.answer = (r) => (forBucket(r.path) && (r.host !== right || r.region !== BUCKET_REGION) ? permanentRedirect(bucket, BUCKET_REGION) : undefined);
    const { AWS_ENDPOINT_URL: _drop, ...keys } = adminEnv();
    void _drop;
    const env = { ...keys, AWS_REGION: CLUSTER_REGION, HTTP_PROXY: proxy.url };
    const file = path.join(dir, 'f3.txt');
    // path style (the lab has no virtual-host names): a --host-bucket without %(bucket)s
    const r = await s3k(['-v', '--no-ssl', '--host-bucket=s3.amazonaws.com', 'put', file, `s3://${bucket}/aws/f3.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    const mine = proxy.seen.filter((s) => forBucket(s.path));
    assert.deepEqual([mine[0]!.host, mine[0]!.region, mine[0]!.answered], [`s3.${CLUSTER_REGION}.amazonaws.com`, CLUSTER_REGION, 301]);
    assert.ok(mine.length >= 2);
    assert.ok(mine.slice(1).every((s) => s.host === right && s.region === BUCKET_REGION && !s.answered), JSON.stringify(mine));
    assert.match(r.stderr, /^INFO: Redirected to: s3\.eu-central-1\.amazonaws\.com$/m);
    assert.match(r.stderr, /^INFO: Redirected to region: eu-central-1$/m);
    assert.deepEqual((await adminGetObject(bucket, 'aws/f3.txt')).body, fs.readFileSync(file));
  });
});
