// End to end: --no-sign-request against the lab. A bucket the admin made public-read (setacl -P, with a
// public-read object) is listed and read anonymously; a private bucket gives 403 -> exit 77 with a
// one-line hint. Every credential source a pod can have is configured and pointed at a loopback
// recorder (IRSA's STS through a proxy, a container agent, IMDS): none of them may see a request,
// and S3 (through a recording proxy) sees no Authorization header.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adminCreateBucket, adminDeleteBucket, adminEnv, adminPutObject, labEndpoint, makeTempDir, s3k, s3Request, setupIrsa, uniqueBucket, writeToken, type RunResult,
} from '../support/lab.ts';
import { GUARD_MARK, loopbackGuardEnv, startContainerAgent, startImds, startProxy, type LoopbackProxy } from '../support/emulators.ts';

type Env = Record<string, string | undefined>;

async function run(args: string[], env: Env): Promise<RunResult> {
  const r = await s3k(args, { env: { ...env, ...loopbackGuardEnv() } });
  assert.ok(!r.stderr.includes(GUARD_MARK), `s3k tried to leave loopback:\n${r.stderr}`);
  assert.equal(r.timedOut, false);
  return r;
}
function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

describe('--no-sign-request (e2e against the lab)', () => {
  const tmp = makeTempDir('anon-e2e');
  const pub = uniqueBucket('anon-public');
  const priv = uniqueBucket('anon-private');
  const data = crypto.randomBytes(4321);
  const closers: Array<() => Promise<void>> = [];
  let s3: LoopbackProxy;
  let sts: LoopbackProxy;
  let podEnv: Env = {};
  let sourceHits = () => 0;

  before(async () => {
    await adminCreateBucket(pub);
    await adminCreateBucket(priv);
    await adminPutObject(pub, 'docs/readme.bin', data);
    await adminPutObject(priv, 'secret.txt', 'not for you\n');
    // The admin makes the bucket and its object public with s3k itself (setacl -P).
    for (const target of [`s3://${pub}`, `s3://${pub}/docs/readme.bin`]) expectCode(await run(['setacl', '-P', target], adminEnv()), 0, `setacl -P ${target}`);
    assert.equal((await s3Request({ bucket: pub, key: 'docs/readme.bin', credentials: null })).status, 200, 'the object is public');
    assert.equal((await s3Request({ bucket: priv, credentials: null })).status, 403, 'the other bucket is not');

    s3 = await startProxy({ target: labEndpoint() });
    sts = await startProxy({ target: labEndpoint() });
    const agent = await startContainerAgent({ credentials: () => assert.fail('the container agent was asked') });
    const imds = await startImds({ roleName: 'node', credentials: () => assert.fail('IMDS was asked') });
    closers.push(s3.close, sts.close, agent.close, imds.close);
    sourceHits = () => sts.requests.length + agent.requests.length + imds.requests.length;
    const { roleArn } = await setupIrsa();
    const token = path.join(tmp.path, 'token');
    await writeToken(token);
    // A pod with every source configured: IRSA, Pod Identity, IMDS (enabled, at an emulator).
    podEnv = {
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
      AWS_EC2_METADATA_DISABLED: undefined,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_REGION: 'us-east-1',
    };
  });
  after(async () => {
    for (const c of closers) await c();
    await adminDeleteBucket(pub);
    await adminDeleteBucket(priv);
    tmp.cleanup();
  });

  it('lists and gets a public bucket unsigned; no credential source is asked', async () => {
    s3.reset();
    let r = await run(['--no-sign-request', 'ls', '-r', `s3://${pub}`], podEnv);
    expectCode(r, 0, 'ls');
    assert.match(r.stdout, new RegExp(`\\s4321\\s+s3://${pub}/docs/readme\\.bin$`, 'm'));
    const dest = path.join(tmp.path, 'readme.bin');
    r = await run(['get', '--no-sign-request', `s3://${pub}/docs/readme.bin`, dest], podEnv);
    expectCode(r, 0, 'get');
    assert.ok(fs.readFileSync(dest).equals(data));
    r = await run(['info', '--no-sign-request', `s3://${pub}/docs/readme.bin`], podEnv);
    expectCode(r, 0, 'info');
    assert.ok(s3.requests.length >= 3);
    for (const q of s3.requests) {
      assert.equal(q.headers.authorization, undefined, `${q.method} ${q.url} carried Authorization`);
      assert.equal(q.headers['x-amz-security-token'], undefined);
      assert.equal(q.headers['x-amz-date'], undefined);
    }
    assert.equal(sourceHits(), 0, 'no STS, container agent or IMDS request');
  });

  it('a private bucket: exit 77 with a line saying the request was unsigned', async () => {
    for (const args of [['ls', `s3://${priv}`], ['get', `s3://${priv}/secret.txt`, path.join(tmp.path, 'nope.txt')]]) {
      const r = await run(['--no-sign-request', ...args], podEnv);
      expectCode(r, 77, args.join(' '));
      const lines = r.stderr.trimEnd().split('\n');
      // ls keeps s3cmd's own first line for a denied bucket; the S3 error line carries the hint.
      if (args[0] === 'ls') assert.equal(lines.shift(), `ERROR: Access to bucket '${priv}' was denied`);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^ERROR: S3 error: 403 \((AccessDenied|Forbidden)\).* - the request was unsigned \(--no-sign-request\), so only public buckets and objects can be read; drop --no-sign-request to use credentials$/);
    }
    assert.equal(sourceHits(), 0);
  });

  it('whoami has no credentials to show: one line (78), nothing asked', async () => {
    const r = await run(['whoami', '--no-sign-request'], podEnv);
    expectCode(r, 78, 'whoami');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /^ERROR: --no-sign-request is set: s3k sends unsigned requests and looks up no credentials/);
    assert.equal(sourceHits(), 0);
  });

  it('without the flag the same pod signs (the baseline: the sources are live)', async () => {
    s3.reset();
    const r = await run(['ls', `s3://${pub}`], podEnv);
    expectCode(r, 0, 'signed ls');
    assert.ok(sts.requests.length >= 1, 'IRSA answered');
    assert.ok(s3.requests.every((q) => q.headers.authorization), 'signed');
  });
});
