// End to end: the built s3k gets its credentials from every source a pod can have, against the lab's
// real STS (Ceph RGW AssumeRoleWithWebIdentity: JWT signature, expiry, audience and trust policy are
// checked), and the credentials really work on S3.
//
// Network safety: every s3k run preloads a guard (loopbackGuardEnv) that refuses any connection that is
// not to 127.0.0.0/8 or ::1 and says so on stderr; run() fails the test if it ever fires. s3k() starts
// from a clean env with AWS_EC2_METADATA_DISABLED=true; only the IMDS test removes it, and points
// AWS_EC2_METADATA_SERVICE_ENDPOINT at a loopback emulator. STS and S3 endpoints always point at the
// lab or at a loopback proxy in front of it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adminDeleteBucket, adminEnv, assumeRole, irsaEnv, labEndpoint, labEnv, labHostPort, makeTempDir, mintToken, s3k,
  s3Request, setupIrsa, signingCredentials, uniqueBucket, writeToken,
  type RunResult, type SigningCredentials, type TemporaryCredentials,
} from '../support/lab.ts';
import {
  closedPort, GUARD_MARK, loopbackGuardEnv, startContainerAgent, startImds, startProxy, type IssuedCredentials, type LoopbackProxy,
} from '../support/emulators.ts';

const ARWWI = 'AssumeRoleWithWebIdentity';
/** Anything shaped like a JWT (header.payload...): must never be printed. */
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;

type Env = Record<string, string | undefined>;

/** s3k with the loopback guard; fails the test if the guard blocked anything. */
async function run(args: string[], env: Env, timeoutMs = 60_000): Promise<RunResult> {
  const r = await s3k(args, { env: { ...env, ...loopbackGuardEnv() }, timeoutMs });
  assert.ok(!r.stderr.includes(GUARD_MARK), `s3k tried to leave loopback:\n${r.stderr}`);
  assert.equal(r.timedOut, false, `s3k ${args.join(' ')} timed out`);
  return r;
}

/** Exit code check that shows the output on failure. */
function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** No JWT, and none of the given secrets, anywhere in the output. */
function assertNoSecrets(r: RunResult, secrets: (string | undefined)[], what: string): void {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, JWT_RE, `${what}: a JWT in the output`);
  for (const s of secrets) if (s) assert.equal(all.includes(s), false, `${what}: a secret value in the output`);
}

/** Exactly one stderr line, an ERROR line matching every pattern, no stack trace. */
function assertOneErrorLine(r: RunResult, patterns: RegExp[], what: string): string {
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: expected one line, got:\n${r.stderr}`);
  const line = lines[0]!;
  assert.match(line, /^ERROR: /, what);
  for (const p of patterns) assert.match(line, p, `${what}: ${line}`);
  return line;
}

/** s3k's whoami masking: first 4 and last 4 kept. Computed here, not taken from s3k. */
function mask(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 4)}${'*'.repeat(key.length - 8)}${key.slice(-4)}`;
}

function claimsOf(token: string): { iss: string; sub: string; aud: string | string[]; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}
const audOf = (aud: string | string[]) => (Array.isArray(aud) ? aud.join(',') : aud);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A `Key:   value` row of whoami's text output. */
const row = (key: string, value: string) => new RegExp(`^${esc(key)}:\\s+${esc(value)}$`, 'm');

describe('credentials (e2e against the lab STS)', () => {
  const tmp = makeTempDir('cred-e2e');
  const dir = tmp.path;
  const tokenFile = path.join(dir, 'token');
  const roleBuckets: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  let roleArn = '';
  /** Credentials of the role for checks and clean-up, independent of s3k. */
  let roleCreds: SigningCredentials;
  /** A bucket the role owns (so it shows in a role session's ls), with one object. */
  let shared = '';
  const sharedBody = crypto.randomBytes(1000);

  async function proxy(opts: Parameters<typeof startProxy>[0]): Promise<LoopbackProxy> {
    const p = await startProxy(opts);
    closers.push(p.close);
    return p;
  }
  const stsProxy = () => proxy({ target: labEndpoint() });
  const podEnv = (extra: Env = {}): Env => ({ ...irsaEnv(roleArn, tokenFile), ...extra });

  before(async () => {
    ({ roleArn } = await setupIrsa());
    await writeToken(tokenFile);
    roleCreds = signingCredentials(await assumeRole(await mintToken(), roleArn));
    shared = uniqueBucket('cred-shared');
    roleBuckets.push(shared);
    let r = await s3Request({ method: 'PUT', bucket: shared, credentials: roleCreds });
    assert.equal(r.status, 200, r.text);
    r = await s3Request({ method: 'PUT', bucket: shared, key: 'hello.bin', body: sharedBody, credentials: roleCreds });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    for (const c of closers) await c();
    // Role-owned buckets: the admin gets 403 on them, so delete with the role's credentials.
    const creds = signingCredentials(await assumeRole(await mintToken(), roleArn));
    for (const b of roleBuckets) await adminDeleteBucket(b, creds);
    tmp.cleanup();
  });

  it('IRSA with only the pod env: mb (through the role), ls, put, get byte-identical, del', async () => {
    const env = podEnv();
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONFIG_FILE'])
      assert.equal(env[k], undefined, `${k} must not be in the pod env`);
    const b = uniqueBucket('cred-irsa');
    roleBuckets.push(b);

    let r = await run(['mb', `s3://${b}`], env);
    expectCode(r, 0, 'mb');
    assert.match(r.stdout, new RegExp(`Bucket 's3://${b}/' created`));
    // Created through the role: the role owns it, the admin does not see it.
    const asRole = await s3Request({ credentials: roleCreds });
    assert.match(asRole.text, new RegExp(`<Name>${b}</Name>`));
    const asAdmin = await s3Request();
    assert.equal(asAdmin.status, 200);
    assert.doesNotMatch(asAdmin.text, new RegExp(`<Name>${b}</Name>`));

    r = await run(['ls'], env);
    expectCode(r, 0, 'ls');
    assert.match(r.stdout, new RegExp(`\\s s3://${b}$`, 'm'));

    const src = path.join(dir, 'irsa-src.bin');
    const data = crypto.randomBytes(300 * 1024 + 17);
    fs.writeFileSync(src, data);
    r = await run(['put', src, `s3://${b}/dir/data.bin`], env);
    expectCode(r, 0, 'put');

    const dest = path.join(dir, 'irsa-dest.bin');
    r = await run(['get', `s3://${b}/dir/data.bin`, dest], env);
    expectCode(r, 0, 'get');
    assert.ok(fs.readFileSync(dest).equals(data), 'downloaded bytes differ');

    r = await run(['ls', `s3://${b}/dir/`], env);
    expectCode(r, 0, 'ls bucket');
    assert.match(r.stdout, new RegExp(`s3://${b}/dir/data\\.bin$`, 'm'));

    r = await run(['del', `s3://${b}/dir/data.bin`], env);
    expectCode(r, 0, 'del');
    const head = await s3Request({ method: 'HEAD', bucket: b, key: 'dir/data.bin', credentials: roleCreds });
    assert.equal(head.status, 404);
    r = await run(['ls', `s3://${b}/dir/`], env);
    expectCode(r, 0, 'ls after del');
    assert.doesNotMatch(r.stdout, /data\.bin/);
  });

  it('whoami (text and --json) shows web-identity, masked key, expiry, role and token claims, never a secret', async () => {
    const token = fs.readFileSync(tokenFile, 'utf8');
    const claims = claimsOf(token);
    const sts = await stsProxy();
    const env = podEnv({ AWS_ENDPOINT_URL_STS: sts.url });

    const check = (r: RunResult, issued: IssuedCredentials | undefined, what: string) => {
      expectCode(r, 0, what);
      assert.ok(issued, `${what}: STS issued no credentials`);
      assertNoSecrets(r, [token, issued.secretAccessKey, issued.sessionToken, issued.accessKeyId], what);
    };

    const t0 = Date.now();
    const r = await run(['whoami'], env);
    const issued = sts.calls(ARWWI)[0]?.issued;
    check(r, issued, 'whoami');
    assert.equal(sts.count(ARWWI), 1);
    assert.match(r.stdout, row('Source', 'web-identity'));
    assert.match(r.stdout, row('Access key', mask(issued!.accessKeyId)));
    assert.match(r.stdout, /^Temporary:\s+yes/m);
    const exp = /^Expires:\s+(\S+)/m.exec(r.stdout)?.[1];
    assert.ok(exp, r.stdout);
    assert.ok(Math.abs(Date.parse(exp) - Date.parse(issued!.expiration!)) < 2_000, `Expires ${exp} vs STS ${issued!.expiration}`);
    assert.ok(Date.parse(exp) > t0 + 10 * 60_000, `Expires ${exp} is not in the future`);
    assert.match(r.stdout, row('roleArn', roleArn));
    assert.match(r.stdout, row('iss', claims.iss));
    assert.equal(claims.iss, labEnv().LAB_OIDC_ISSUER);
    assert.match(r.stdout, row('sub', claims.sub));
    assert.match(r.stdout, row('aud', audOf(claims.aud)));
    assert.match(r.stdout, row('tokenFile', tokenFile));

    const j = await run(['whoami', '--json'], env);
    const issued2 = sts.calls(ARWWI)[1]?.issued;
    check(j, issued2, 'whoami --json');
    const d = JSON.parse(j.stdout) as { source: string; accessKeyIdMasked: string; temporary: boolean; expiration: string; details: Record<string, unknown> };
    assert.equal(d.source, 'web-identity');
    assert.equal(d.accessKeyIdMasked, mask(issued2!.accessKeyId));
    assert.equal(d.temporary, true);
    assert.ok(Math.abs(Date.parse(d.expiration) - Date.parse(issued2!.expiration!)) < 2_000);
    assert.equal(d.details.roleArn, roleArn);
    assert.equal(d.details.iss, claims.iss);
    assert.equal(d.details.sub, claims.sub);
    assert.equal(d.details.aud, audOf(claims.aud));
    assert.match(String(d.details.assumedRoleArn), /assumed-role\/s3-full-access\//);
  });

  it('denials exit 77 with one line naming what to fix, and never print the token', async () => {
    const port = await closedPort();
    interface Case {
      name: string;
      token?: Parameters<typeof writeToken>[1];
      env?: (stsUrl: string) => Env;
      /** STS calls expected through the proxy (0: refused before asking STS). */
      stsCalls: number;
      patterns: (c: { token?: string; file: string }) => RegExp[];
    }
    /** AccessDenied from RGW: the message names the role and the token's own sub and aud. */
    const denied = (c: { token?: string }) => {
      const cl = claimsOf(c.token!);
      return [
        new RegExp(`STS denied AssumeRoleWithWebIdentity for role ${esc(roleArn)} \\(HTTP 403 AccessDenied`),
        new RegExp(`sub "${esc(cl.sub)}"`),
        new RegExp(`aud "${esc(audOf(cl.aud))}"`),
        /trust policy/,
        new RegExp(`issuer ${esc(cl.iss)}`),
      ];
    };
    const cases: Case[] = [
      { name: 'other-service-account', token: { sa: 'other-sa' }, stsCalls: 1, patterns: (c) => [...denied(c), /system:serviceaccount:default:other-sa/] },
      { name: 'other-namespace', token: { ns: 'other-ns' }, stsCalls: 1, patterns: (c) => [...denied(c), /system:serviceaccount:other-ns:s3-full-access/] },
      { name: 'wrong-audience', token: { aud: 'not-sts' }, stsCalls: 1, patterns: (c) => [...denied(c), /audience is not sts\.amazonaws\.com/, /serviceAccountToken\.audience/] },
      { name: 'unregistered-issuer', token: { iss: `http://127.0.0.1:${port}` }, stsCalls: 1, patterns: (c) => [...denied(c), new RegExp(`127\\.0\\.0\\.1:${port}`)] },
      {
        name: 'expired-token',
        token: { ttl: -600 },
        stsCalls: 0,
        patterns: (c) => [new RegExp(`web identity token in ${esc(c.file)} expired at \\S+ \\(1\\d min ago`), /kubelet should rotate/, /AWS_WEB_IDENTITY_TOKEN_FILE/],
      },
      {
        name: 'invalid-role-arn',
        token: {},
        env: () => ({ AWS_ROLE_ARN: 'arn:aws:iam::role/s3-full-access' }),
        stsCalls: 0,
        patterns: () => [/AWS_ROLE_ARN "arn:aws:iam::role\/s3-full-access" is not a valid IAM role ARN/, /arn:<partition>:iam::<account-id>:role\/<name>/],
      },
      {
        name: 'sts-unreachable',
        token: {},
        env: () => ({ AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` }),
        stsCalls: 0,
        patterns: () => [new RegExp(`cannot reach STS endpoint http://127\\.0\\.0\\.1:${port}/ \\(ECONNREFUSED`), /AWS_ENDPOINT_URL_STS/],
      },
      {
        name: 'missing-token-file',
        stsCalls: 0,
        patterns: (c) => [new RegExp(`web identity token file ${esc(c.file)} \\(AWS_WEB_IDENTITY_TOKEN_FILE\\) does not exist`), /projected service account token volume/],
      },
    ];
    await Promise.all(
      cases.map(async (c) => {
        const file = path.join(dir, `deny-${c.name}`);
        const token = c.token ? await writeToken(file, c.token) : undefined;
        const sts = await stsProxy();
        const env = { ...irsaEnv(roleArn, file), AWS_ENDPOINT_URL_STS: sts.url, ...c.env?.(sts.url) };
        const r = await run(['ls'], env);
        expectCode(r, 77, c.name);
        assert.equal(r.stdout, '', c.name);
        assertOneErrorLine(r, c.patterns({ token, file }), c.name);
        assertNoSecrets(r, [token], c.name);
        assert.equal(sts.count(ARWWI), c.stsCalls, `${c.name}: STS calls`);
        for (const call of sts.calls(ARWWI)) assert.equal(call.status, 403, `${c.name}: the lab's STS denied it`);
      }),
    );
  });

  it('a transfer that outlives its credentials completes; the token file is re-read at each refresh', async () => {
    const file = path.join(dir, 'rotating-token');
    const oldToken = await writeToken(file, { ttl: 5 }); // expires mid-transfer
    const oldExpMs = claimsOf(oldToken).exp * 1000;
    let newToken = '';
    let rotatedAt = 0;
    const sts = await stsProxy();
    let objectPuts = 0;
    const s3 = await proxy({
      target: labEndpoint(),
      delayMs: (r) => (r.method === 'PUT' ? 150 : 0), // slow the upload down so it spans several refreshes
      onRequest: async (r) => {
        if (r.method !== 'PUT' || !r.url.includes('/xfer/')) return;
        objectPuts++;
        if (objectPuts === 4 && !rotatedAt) {
          newToken = await writeToken(file, { ttl: 3600 }); // the kubelet rotating the projected token
          rotatedAt = Date.now();
        }
      },
    });
    const src = path.join(dir, 'xfer');
    fs.mkdirSync(src);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 48; i++) files.set(`f${String(i).padStart(2, '0')}.bin`, crypto.randomBytes(4096 + i * 997));
    files.set('big.bin', crypto.randomBytes(11 * 1024 * 1024 + 3)); // 3 parts of 5 MiB
    for (const [name, data] of files) fs.writeFileSync(path.join(src, name), data);

    const env = irsaEnv(roleArn, file);
    Object.assign(env, { AWS_ENDPOINT_URL_STS: sts.url, AWS_ENDPOINT_URL_S3: s3.url, S3K_CREDENTIALS_MAX_AGE_SECONDS: '2' });
    const t0 = Date.now();
    const r = await run(['put', '-r', '-d', '--parallel', '1', '--multipart-chunk-size-mb', '5', `${src}/`, `s3://${shared}/xfer/`], env, 120_000);
    const elapsed = Date.now() - t0;
    expectCode(r, 0, 'put -r');
    const calls = sts.calls(ARWWI);
    const issued = calls.map((c) => c.issued);
    assertNoSecrets(r, [oldToken, newToken, ...issued.flatMap((i) => [i?.secretAccessKey, i?.sessionToken])], 'put -r -d');
    assert.doesNotMatch(r.stderr, /refresh failed/, 'every refresh succeeded');

    // Several AssumeRoleWithWebIdentity calls, all granted by the lab.
    assert.ok(rotatedAt > 0, 'the token was rotated mid-transfer');
    assert.ok(elapsed > 7_000, `the transfer took ${elapsed} ms, too short to span several refreshes`);
    assert.ok(calls.length >= 3, `expected >= 3 STS calls in ${elapsed} ms, got ${calls.length}`);
    assert.ok(calls.every((c) => c.status === 200 && c.issued), `STS statuses: ${calls.map((c) => c.status).join(',')}`);
    assert.equal((r.stderr.match(/fetching \(max age reached\)/g) ?? []).length, calls.length - 1);
    // The token file was read at each call: the old token before the rotation, the new one after.
    // (Compared as labels: a failing assertion must not print a token.)
    const which = (t: string | undefined) => (t === oldToken ? 'old' : t === newToken ? 'new' : 'other');
    const used = calls.map((c) => `${which(c.form?.WebIdentityToken)}@${c.at - t0}ms`);
    assert.equal(which(calls[0]!.form?.WebIdentityToken), 'old', used.join(' '));
    const afterRotation = calls.filter((c) => c.at > rotatedAt + 50);
    assert.ok(afterRotation.length >= 2, `STS calls after the rotation (at ${rotatedAt - t0} ms): ${used.join(' ')}`);
    assert.ok(afterRotation.every((c) => which(c.form?.WebIdentityToken) === 'new'), `a refresh after the rotation (at ${rotatedAt - t0} ms) used another token: ${used.join(' ')}`);
    assert.ok(calls.every((c) => which(c.form?.WebIdentityToken) !== 'other'), used.join(' '));
    assert.ok(calls.some((c) => c.at > oldExpMs && c.status === 200), `no refresh after the first token expired (at ${oldExpMs - t0} ms): ${used.join(' ')}`);
    // S3 saw the successive credentials, each one minted by those calls.
    const minted = new Set(issued.map((i) => i!.accessKeyId));
    const signedWith = new Set(s3.requests.map((q) => q.accessKeyId));
    assert.ok([...signedWith].every((k) => k && minted.has(k)), 'every S3 request was signed with credentials from STS');
    assert.ok(signedWith.size >= 3, `S3 requests were signed with ${signedWith.size} different keys`);
    assert.ok(s3.requests.every((q) => q.status !== undefined && q.status < 300), 'no S3 request failed');
    assert.equal(s3.requests.filter((q) => q.method === 'PUT' && /[?&]partNumber=/.test(q.url)).length, 3, 'big.bin went up in 3 parts');

    // Byte-identical, checked with the role's own credentials, not through s3k.
    for (const [name, data] of files) {
      const g = await s3Request({ bucket: shared, key: `xfer/${name}`, credentials: roleCreds });
      assert.equal(g.status, 200, `xfer/${name}: ${g.status}`);
      assert.ok(g.body.equals(data), `xfer/${name} differs`);
    }
  });

  it('ExpiredToken from S3: one refresh and one retry', async () => {
    const sts = await stsProxy();
    let answered = false;
    const s3 = await proxy({
      target: labEndpoint(),
      intercept: () => {
        if (answered) return undefined;
        answered = true;
        return {
          status: 400,
          body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>test</RequestId></Error>',
        };
      },
    });
    const r = await run(['ls', `s3://${shared}`], podEnv({ AWS_ENDPOINT_URL_STS: sts.url, AWS_ENDPOINT_URL_S3: s3.url }));
    expectCode(r, 0, 'ls after ExpiredToken');
    assert.match(r.stdout, new RegExp(`s3://${shared}/hello\\.bin$`, 'm'));
    const calls = sts.calls(ARWWI);
    assert.equal(calls.length, 2, 'STS: the first fetch, then one forced refresh');
    assert.ok(calls.every((c) => c.status === 200));
    const [first, retry, ...rest] = s3.requests;
    assert.ok(first?.intercepted && retry && !retry.intercepted);
    assert.equal(retry.method, first.method);
    assert.equal(retry.url, first.url);
    assert.equal(first.accessKeyId, calls[0]!.issued!.accessKeyId);
    assert.equal(retry.accessKeyId, calls[1]!.issued!.accessKeyId, 'the retry is signed with the refreshed credentials');
    assert.notEqual(retry.accessKeyId, first.accessKeyId);
    assert.equal(retry.status, 200);
    assert.ok(rest.every((q) => !q.intercepted && q.accessKeyId === calls[1]!.issued!.accessKeyId));
  });

  it('web identity from a profile (role_arn + web_identity_token_file), no AWS_ROLE_ARN', async () => {
    const sts = await stsProxy();
    const config = path.join(dir, 'aws-config');
    fs.writeFileSync(config, `[default]\nregion = us-east-1\n\n[profile irsa]\nrole_arn = ${roleArn}\nweb_identity_token_file = ${tokenFile}\n`);
    const env: Env = {
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-such-credentials'),
      AWS_PROFILE: 'irsa',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: labEndpoint(),
      AWS_ENDPOINT_URL_STS: sts.url,
    };
    let r = await run(['ls'], env);
    expectCode(r, 0, 'ls with the profile');
    assert.match(r.stdout, new RegExp(`\\s s3://${shared}$`, 'm'), 'a role session lists the role-owned bucket');
    r = await run(['whoami'], env);
    expectCode(r, 0, 'whoami with the profile');
    assert.match(r.stdout, row('Source', 'web-identity'));
    assert.match(r.stdout, row('profile', 'irsa'));
    assert.match(r.stdout, row('roleArn', roleArn));
    assert.match(r.stdout, row('tokenFile', tokenFile));
    const calls = sts.calls(ARWWI);
    assert.equal(calls.length, 2);
    const token = fs.readFileSync(tokenFile, 'utf8');
    assert.ok(calls.every((c) => c.status === 200 && c.form?.RoleArn === roleArn), 'STS granted the profile\'s role');
    assert.ok(calls.every((c) => c.form?.WebIdentityToken === token), 'the token came from the profile\'s web_identity_token_file');
    assertNoSecrets(r, [token, calls[1]!.issued!.secretAccessKey, calls[1]!.issued!.sessionToken], 'whoami');
  });

  describe('container credentials and IMDSv2 (loopback emulators handing out real lab credentials)', () => {
    let creds: TemporaryCredentials;
    before(async () => {
      creds = await assumeRole(await mintToken(), roleArn);
    });
    const s3Only = (): Env => ({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: labEndpoint(), AWS_ENDPOINT_URL_STS: labEndpoint() });

    it('container: full URI + authorization token file, re-read at each fetch (mid-run and between runs)', async () => {
      const authFile = path.join(dir, 'pod-identity-token');
      fs.writeFileSync(authFile, 'pod-identity-auth-one\n');
      const agent = await startContainerAgent({ credentials: () => creds, expectedAuthorization: () => fs.readFileSync(authFile, 'utf8').trim() });
      closers.push(agent.close);
      const env: Env = { ...s3Only(), AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: authFile };
      const auths = (from: number) => agent.requests.slice(from).map((q) => `${q.authorization}:${q.status}`);

      // Run 1: ls with the first token.
      let r = await run(['ls', `s3://${shared}`], env);
      expectCode(r, 0, 'ls with container credentials');
      assert.match(r.stdout, new RegExp(`s3://${shared}/hello\\.bin$`, 'm'));
      assert.deepEqual(auths(0), ['pod-identity-auth-one:200']);

      // Run 2: an upload slowed down by a proxy, credentials at most 1 s old; EKS rotates the token mid-run.
      let n = agent.requests.length;
      let rotated = 0;
      const s3 = await proxy({
        target: labEndpoint(),
        delayMs: (q) => (q.method === 'PUT' ? 150 : 0),
        onRequest: (q) => {
          if (q.method === 'PUT' && ++rotated === 4) fs.writeFileSync(authFile, 'pod-identity-auth-two');
        },
      });
      const src = path.join(dir, 'container-src');
      fs.mkdirSync(src);
      for (let i = 0; i < 14; i++) fs.writeFileSync(path.join(src, `c${i}.txt`), `container ${i}\n`);
      r = await run(['put', '-r', '--parallel', '1', `${src}/`, `s3://${shared}/container/`], { ...env, AWS_ENDPOINT_URL_S3: s3.url, S3K_CREDENTIALS_MAX_AGE_SECONDS: '1' });
      expectCode(r, 0, 'put -r with container credentials');
      const mid = auths(n);
      assert.equal(mid[0], 'pod-identity-auth-one:200', mid.join(' '));
      assert.ok(mid.length >= 2 && mid.slice(1).includes('pod-identity-auth-two:200'), `the token file was not re-read mid-run: ${mid.join(' ')}`);
      assert.ok(mid.every((a) => a.endsWith(':200')), mid.join(' '));
      assert.equal((await s3Request({ bucket: shared, key: 'container/c13.txt', credentials: roleCreds })).text, 'container 13\n');

      // Run 3: the file changed again between runs.
      fs.writeFileSync(authFile, 'pod-identity-auth-three');
      n = agent.requests.length;
      const dest = path.join(dir, 'container-get.bin');
      r = await run(['get', `s3://${shared}/hello.bin`, dest], env);
      expectCode(r, 0, 'get with container credentials');
      assert.ok(fs.readFileSync(dest).equals(sharedBody));
      r = await run(['whoami'], env);
      expectCode(r, 0, 'whoami with container credentials');
      assert.match(r.stdout, row('Source', 'container'));
      assert.match(r.stdout, row('Access key', mask(creds.AccessKeyId)));
      assert.match(r.stdout, row('endpoint', agent.url));
      assertNoSecrets(r, [creds.SecretAccessKey, creds.SessionToken, 'pod-identity-auth-three'], 'whoami');
      assert.deepEqual(auths(n), ['pod-identity-auth-three:200', 'pod-identity-auth-three:200']);
    });

    it('IMDSv2: session token first, then the credentials with it', async () => {
      const imds = await startImds({ roleName: 's3-node-role', credentials: () => creds });
      closers.push(imds.close);
      const env: Env = { ...s3Only(), AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url };

      let r = await run(['ls', `s3://${shared}`], env);
      expectCode(r, 0, 'ls with IMDS credentials');
      assert.match(r.stdout, new RegExp(`s3://${shared}/hello\\.bin$`, 'm'));
      const [put, ...gets] = imds.requests;
      assert.equal(put?.method, 'PUT');
      assert.equal(put.url, '/latest/api/token');
      assert.ok(Number(put.ttl) > 0, 'PUT carries X-aws-ec2-metadata-token-ttl-seconds');
      assert.deepEqual(gets.map((q) => `${q.method} ${q.url}`), [
        'GET /latest/meta-data/iam/security-credentials/',
        'GET /latest/meta-data/iam/security-credentials/s3-node-role',
      ]);
      assert.ok(gets.every((q) => q.token === imds.tokens[0] && q.status === 200), 'GETs carry the session token');

      r = await run(['whoami'], env);
      expectCode(r, 0, 'whoami with IMDS');
      assert.match(r.stdout, row('Source', 'imds'));
      assert.match(r.stdout, row('roleName', 's3-node-role'));
      assert.match(r.stdout, row('Access key', mask(creds.AccessKeyId)));
      assertNoSecrets(r, [creds.SecretAccessKey, creds.SessionToken, ...imds.tokens], 'whoami');
    });

    it('a container URI on a host that is not allowed is refused (78) before any connection', async () => {
      const r = await run(['ls'], { ...s3Only(), AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds' });
      expectCode(r, 78, 'container URI on example.com');
      assert.equal(r.stdout, '');
      assertOneErrorLine(r, [/AWS_CONTAINER_CREDENTIALS_FULL_URI http:\/\/example\.com\/creds is not allowed/, /loopback/, /https/], 'not allowed');
    });
  });

  describe('precedence on the real binary', () => {
    it('.s3cfg with only host_base (no keys) does not block IRSA', async () => {
      const sts = await stsProxy();
      const cfg = path.join(dir, 's3cfg-nokeys');
      fs.writeFileSync(cfg, `[default]\nhost_base = ${labHostPort()}\nhost_bucket = ${labHostPort()}\nuse_https = False\n`);
      const env = podEnv({ AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL_STS: sts.url });
      let r = await run(['-c', cfg, 'whoami'], env);
      expectCode(r, 0, 'whoami');
      assert.match(r.stdout, row('Source', 'web-identity'));
      assert.match(r.stdout, row('Endpoint', `${labEndpoint()}/`), 'the endpoint comes from host_base');
      r = await run(['-c', cfg, 'ls'], env);
      expectCode(r, 0, 'ls');
      assert.match(r.stdout, new RegExp(`\\s s3://${shared}$`, 'm'));
      assert.equal(sts.count(ARWWI), 2);
    });

    it('AWS_ACCESS_KEY_ID in the environment beats IRSA', async () => {
      const sts = await stsProxy();
      const admin = adminEnv();
      const env = podEnv({ AWS_ENDPOINT_URL_STS: sts.url, AWS_ACCESS_KEY_ID: admin.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: admin.AWS_SECRET_ACCESS_KEY });
      let r = await run(['whoami'], env);
      expectCode(r, 0, 'whoami');
      assert.match(r.stdout, row('Source', 'env'));
      assert.match(r.stdout, row('Access key', mask(admin.AWS_ACCESS_KEY_ID!)));
      assertNoSecrets(r, [admin.AWS_SECRET_ACCESS_KEY], 'whoami');
      r = await run(['ls'], env);
      expectCode(r, 0, 'ls');
      assert.doesNotMatch(r.stdout, new RegExp(`s3://${shared}$`, 'm'), 'the admin, not the role, listed the buckets');
      assert.equal(sts.count(ARWWI), 0, 'STS was never asked');
    });
  });
});
