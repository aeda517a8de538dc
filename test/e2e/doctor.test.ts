// End to end: `s3k doctor` against the lab's real STS (Ceph RGW AssumeRoleWithWebIdentity, tokens
// from the lab's OIDC issuer) and S3. Each IRSA mistake the credentials e2e tests provoke is provoked
// again here; doctor must name the failed check and print its fix, exit with the failure's code, and
// never print the token. The trust policy it prints for a denied token is applied to a role and must
// then let that token in. A passing run exits 0 with every check ok; --json parses.
//
// Network safety: every run preloads the loopback guard (nothing may leave 127.0.0.0/8); the only
// proxy is the loopback forward proxy of test/support/forward-proxy.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { iam } from '../../lab/irsa.mjs';
import {
  adminDeleteBucket, adminEnv, assumeRole, irsaEnv, labEnv, makeTempDir, mintToken, s3k, s3kAsNobody, s3Request,
  setupIrsa, signingCredentials, uniqueBucket, writeToken, type RunResult,
} from '../support/lab.ts';
import { closedPort, GUARD_MARK, loopbackGuardEnv } from '../support/emulators.ts';
import { startForwardProxy } from '../support/forward-proxy.ts';

type Env = Record<string, string | undefined>;
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface JsonCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}
interface JsonReport {
  ok: boolean;
  exitCode: number;
  checks: JsonCheck[];
}

async function doctor(args: string[], env: Env): Promise<RunResult> {
  const r = await s3k(['doctor', ...args], { env: { ...env, ...loopbackGuardEnv() }, timeoutMs: 60_000 });
  assert.ok(!r.stderr.includes(GUARD_MARK), `s3k tried to leave loopback:\n${r.stderr}`);
  assert.equal(r.timedOut, false, 'doctor timed out');
  return r;
}

/** The text checklist: `[STAT] name  detail` rows, each with the `fix:` lines under it. */
function rows(out: string): { status: string; name: string; detail: string; fixes: string[] }[] {
  const res: { status: string; name: string; detail: string; fixes: string[] }[] = [];
  for (const line of out.split('\n')) {
    const m = /^\[( ok |WARN|FAIL|skip)\] (\S+)\s+(.*)$/.exec(line);
    if (m) res.push({ status: m[1]!.trim().toLowerCase(), name: m[2]!, detail: m[3]!, fixes: [] });
    else if (/^ {7}fix: /.test(line)) res.at(-1)?.fixes.push(line.slice(12));
  }
  return res;
}

/** No JWT and not the given token anywhere. */
function assertNoToken(r: RunResult, token: string | undefined, what: string): void {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, JWT_RE, `${what}: a JWT in the output`);
  if (token) assert.equal(all.includes(token), false, `${what}: the token in the output`);
}

describe('s3k doctor (e2e against the lab)', () => {
  const tmp = makeTempDir('doctor-e2e');
  const dir = tmp.path;
  const tokenFile = path.join(dir, 'token');
  let roleArn = '';
  let bucket = '';
  const pod = (extra: Env = {}): Env => ({ ...irsaEnv(roleArn, tokenFile), ...extra });

  before(async () => {
    ({ roleArn } = await setupIrsa());
    await writeToken(tokenFile);
    // A bucket the role owns (doctor s3://bucket passes; the admin gets 403 on it).
    bucket = uniqueBucket('doctor');
    const creds = signingCredentials(await assumeRole(await mintToken(), roleArn));
    const r = await s3Request({ method: 'PUT', bucket, credentials: creds });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    const creds = signingCredentials(await assumeRole(await mintToken(), roleArn));
    await adminDeleteBucket(bucket, creds).catch(() => undefined);
    await iam('DeleteRolePolicy', { RoleName: 'doctor-fixed', PolicyName: 's3-all' }, labEnv()).catch(() => undefined);
    await iam('DeleteRole', { RoleName: 'doctor-fixed' }, labEnv()).catch(() => undefined);
    tmp.cleanup();
  });

  it('a healthy pod: every check ok, exit 0; --json says the same', async () => {
    const token = fs.readFileSync(tokenFile, 'utf8');
    const r = await doctor([`s3://${bucket}`], pod());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = rows(r.stdout);
    assert.deepEqual(got.map((c) => c.name), ['credentials.source', 'irsa.role-arn', 'irsa.token-file', 'irsa.token', 'sts.reachable', 'sts.assume-role', 's3.reachable', 'clock.skew', 's3.bucket']);
    for (const c of got) assert.equal(c.status, 'ok', `${c.name}: ${c.detail}`);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    const byName = Object.fromEntries(got.map((c) => [c.name, c.detail]));
    assert.match(byName['credentials.source']!, /^web-identity \(AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set\)/);
    assert.match(byName['irsa.token']!, new RegExp(`iss ${esc(claims.iss)}, sub system:serviceaccount:default:s3-full-access, aud sts\\.amazonaws\\.com; expires \\S+ \\(in (59|60) min\\)`));
    assert.match(byName['sts.assume-role']!, /granted arn:aws:sts::\S*:assumed-role\/s3-full-access\//);
    assert.match(byName['s3.bucket']!, new RegExp(`s3://${bucket} is reachable with these credentials`));
    assert.match(byName['clock.skew']!, /local clock is in step/);
    assert.match(r.stdout, /^doctor: 9 ok, 0 warnings, 0 failed, 0 skipped; exit 0$/m);
    assertNoToken(r, token, 'healthy');

    const j = await doctor(['--json', `s3://${bucket}`], pod());
    assert.equal(j.code, 0, j.stderr);
    const rep = JSON.parse(j.stdout) as JsonReport;
    assert.equal(rep.ok, true);
    assert.equal(rep.exitCode, 0);
    assert.deepEqual(rep.checks.map((c) => [c.name, c.status]), got.map((c) => [c.name, 'ok']));
    for (const c of rep.checks) assert.equal(typeof c.detail, 'string');
    assertNoToken(j, token, 'healthy --json');
  });

  it('each IRSA mistake: the failed check, its fix, its exit code, never the token', async () => {
    const port = await closedPort();
    interface Case {
      name: string;
      token?: Parameters<typeof writeToken>[1];
      env?: Env;
      check: string;
      code: number;
      detail: RegExp;
      fix: RegExp[];
    }
    const trust = /give it a trust policy that allows this token/;
    const cases: Case[] = [
      { name: 'other-service-account', token: { sa: 'other-sa' }, check: 'sts.assume-role', code: 77, detail: /STS denied AssumeRoleWithWebIdentity .*HTTP 403 AccessDenied/, fix: [trust, /sub system:serviceaccount:default:other-sa, aud sts\.amazonaws\.com/] },
      { name: 'other-namespace', token: { ns: 'other-ns' }, check: 'sts.assume-role', code: 77, detail: /HTTP 403 AccessDenied/, fix: [trust, /sub system:serviceaccount:other-ns:s3-full-access/] },
      { name: 'wrong-audience', token: { aud: 'not-sts' }, check: 'sts.assume-role', code: 77, detail: /HTTP 403 AccessDenied/, fix: [/the token's audience is "not-sts", not sts\.amazonaws\.com: set serviceAccountToken\.audience of the projected volume to sts\.amazonaws\.com/] },
      { name: 'unregistered-issuer', token: { iss: `http://127.0.0.1:${port}` }, check: 'sts.assume-role', code: 77, detail: /HTTP 403 AccessDenied/, fix: [new RegExp(`create the IAM OIDC provider for issuer http://127\\.0\\.0\\.1:${port} .*aws iam create-open-id-connect-provider --url http://127\\.0\\.0\\.1:${port} --client-id-list sts\\.amazonaws\\.com`)] },
      { name: 'expired-token', token: { ttl: -600 }, check: 'irsa.token', code: 77, detail: /the token expired at \S+ \(1\d min ago/, fix: [/kubelet refreshes the projected token/, /AWS_WEB_IDENTITY_TOKEN_FILE points at the projected volume/] },
      { name: 'invalid-role-arn', token: {}, env: { AWS_ROLE_ARN: 'arn:aws:iam::role/s3-full-access' }, check: 'irsa.role-arn', code: 78, detail: /AWS_ROLE_ARN "arn:aws:iam::role\/s3-full-access" is not a valid IAM role ARN/, fix: [/arn:<partition>:iam::<account-id>:role\/<name>/, /eks\.amazonaws\.com\/role-arn annotation/] },
      { name: 'sts-unreachable', token: {}, env: { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` }, check: 'sts.reachable', code: 111, detail: new RegExp(`cannot reach STS endpoint http://127\\.0\\.0\\.1:${port}/: .*tcp FAILED .*ECONNREFUSED`), fix: [/set AWS_ENDPOINT_URL_STS to an STS endpoint the pod can reach/] },
      { name: 'missing-token-file', check: 'irsa.token-file', code: 78, detail: /\(AWS_WEB_IDENTITY_TOKEN_FILE\) does not exist/, fix: [/mount the projected service account token at that path/] },
      // two more than the credentials tests: a role that does not exist, and a token this uid cannot read (below)
      { name: 'role-missing', token: {}, env: { AWS_ROLE_ARN: 'arn:aws:iam:::role/no-such-role' }, check: 'sts.assume-role', code: 77, detail: /HTTP 403 AccessDenied/, fix: [/check that role arn:aws:iam:::role\/no-such-role exists/] },
    ];
    await Promise.all(
      cases.map(async (c) => {
        const file = path.join(dir, `case-${c.name}`);
        const token = c.token ? await writeToken(file, c.token) : undefined;
        const env = { ...irsaEnv(roleArn, file), ...c.env };
        const r = await doctor([`s3://${bucket}`], env);
        const what = `${c.name}:\n${r.stdout}${r.stderr}`;
        assert.equal(r.code, c.code, what);
        assert.equal(r.stderr, '', what);
        const got = rows(r.stdout);
        const failed = got.filter((x) => x.status === 'fail');
        assert.deepEqual(failed.map((x) => x.name), [c.check], what);
        assert.match(failed[0]!.detail, c.detail, what);
        const fixes = failed[0]!.fixes.join('\n');
        for (const p of c.fix) assert.match(fixes, p, what);
        // what comes after a failure that blocks the exchange is skipped, not failed
        if (c.check !== 'sts.assume-role') assert.equal(got.find((x) => x.name === 'sts.assume-role')?.status, 'skip', what);
        assert.equal(got.find((x) => x.name === 's3.bucket')?.status, 'skip', what);
        assertNoToken(r, token, c.name);

        const j = await doctor(['--json', `s3://${bucket}`], env);
        assert.equal(j.code, c.code, c.name);
        const rep = JSON.parse(j.stdout) as JsonReport;
        assert.equal(rep.ok, false);
        assert.equal(rep.exitCode, c.code);
        const jf = rep.checks.find((x) => x.name === c.check);
        assert.equal(jf?.status, 'fail', c.name);
        for (const p of c.fix) assert.match(jf!.fix ?? '', p, c.name);
        assertNoToken(j, token, `${c.name} --json`);
      }),
    );
  });

  it('a token file this uid cannot read: irsa.token-file fails with the fsGroup fix', { skip: process.getuid?.() !== 0 && 'needs root to run s3k as another user' }, async () => {
    const cwd = makeTempDir('doctor-nobody');
    fs.chmodSync(cwd.path, 0o755);
    const file = path.join(cwd.path, 'token');
    const token = await writeToken(file); // mode 600, owned by root
    try {
      const r = await s3kAsNobody(['doctor'], { env: irsaEnv(roleArn, file), cwd: cwd.path });
      assert.equal(r.code, 78, r.stdout + r.stderr);
      const f = rows(r.stdout).find((x) => x.name === 'irsa.token-file');
      assert.equal(f?.status, 'fail', r.stdout);
      assert.match(f!.detail, /mode 0600, owner 0:0\) cannot be read by uid 65534 gid 65534 \(EACCES\)/);
      assert.match(f!.fixes.join('\n'), /securityContext\.fsGroup/);
      assertNoToken(r, token, 'unreadable');
    } finally {
      cwd.cleanup();
    }
  });

  it('the trust policy doctor prints for a denied token, applied to a role, lets that token in', async () => {
    // A role whose trust policy allows another service account.
    const { roleArn: fixedArn } = await setupIrsa({ role: 'doctor-fixed', sa: 'someone-else' });
    const file = path.join(dir, 'fixed-token');
    const token = await writeToken(file, { sa: 'batch-job', ns: 'jobs' });
    const env = irsaEnv(fixedArn, file);
    let r = await doctor(['--json'], env);
    assert.equal(r.code, 77, r.stdout);
    const rep = JSON.parse(r.stdout) as JsonReport;
    const fix = rep.checks.find((c) => c.name === 'sts.assume-role')?.fix ?? '';
    const json = /^\{[\s\S]*?^\}/m.exec(fix)?.[0];
    assert.ok(json, fix);
    const policy = JSON.parse(json) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
    assert.equal(Object.entries(policy.Statement[0]!.Condition.StringEquals).find(([k]) => k.endsWith(':sub'))?.[1], 'system:serviceaccount:jobs:batch-job');
    await iam('UpdateAssumeRolePolicy', { RoleName: 'doctor-fixed', PolicyDocument: JSON.stringify(policy) }, labEnv());
    r = await doctor([], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(rows(r.stdout).find((c) => c.name === 'sts.assume-role')?.status, 'ok', r.stdout);
    assertNoToken(r, token, 'fixed');
  });

  it('bucket: 404 and 403 told apart, each with its fix and exit code', async () => {
    const missing = uniqueBucket('doctor-none');
    let r = await doctor([`s3://${missing}`], pod());
    assert.equal(r.code, 12, r.stdout);
    let b = rows(r.stdout).find((c) => c.name === 's3.bucket')!;
    assert.equal(b.status, 'fail');
    assert.match(b.detail, new RegExp(`404 NoSuchBucket: the credentials are fine, there is no bucket ${missing}`));
    assert.match(b.fixes.join('\n'), new RegExp(`'s3k mb s3://${missing}' creates it`));

    // The admin's static keys on the role's bucket: 403 (and the non-IRSA path: credentials.resolve).
    r = await doctor([`s3://${bucket}`], adminEnv());
    assert.equal(r.code, 77, r.stdout);
    const got = rows(r.stdout);
    assert.deepEqual(got.map((c) => `${c.name}:${c.status}`), ['credentials.source:ok', 'credentials.resolve:ok', 's3.reachable:ok', 'clock.skew:ok', 's3.bucket:fail'], r.stdout);
    assert.match(got[0]!.detail, /^env \(variables AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY\)/);
    assert.match(got[1]!.detail, /^env: access key \S+, long-lived$/);
    b = got[4]!;
    assert.match(b.detail, new RegExp(`HEAD s3://${bucket}: 403 .*may not use bucket ${bucket}`));
    assert.match(b.fixes.join('\n'), new RegExp(`allow s3:ListBucket on arn:aws:s3:::${bucket}`));
    assert.equal(r.stdout.includes(adminEnv().AWS_SECRET_ACCESS_KEY!), false, 'the secret key in the output');
  });

  it('through HTTP_PROXY: STS and S3 are probed and called through the proxy; NO_PROXY sends them direct', async () => {
    const proxy = await startForwardProxy();
    try {
      let r = await doctor([], pod({ HTTP_PROXY: proxy.url }));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const got = rows(r.stdout);
      const host = new URL(proxy.url).port;
      assert.match(got.find((c) => c.name === 'sts.reachable')!.detail, new RegExp(`tcp ok \\(connected to 127\\.0\\.0\\.1:${host} \\(the proxy\\)\\); through proxy ${esc(proxy.url.replace(/\/$/, ''))}`));
      assert.match(got.find((c) => c.name === 's3.reachable')!.detail, /through proxy \S+ \(from HTTP_PROXY\)/);
      assert.ok(proxy.requests.some((q) => q.method === 'POST'), 'AssumeRoleWithWebIdentity went through the proxy');
      assert.ok(proxy.requests.some((q) => q.method === 'HEAD'), 'the clock check went through the proxy');

      const n = proxy.requests.length;
      r = await doctor([], pod({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(rows(r.stdout).find((c) => c.name === 'sts.reachable')!.detail, /direct: HTTP_PROXY is set but NO_PROXY .* sends 127\.0\.0\.1 direct/);
      assert.equal(proxy.requests.length, n, 'nothing through the proxy');

      // The line names the setting the proxy came from, not always HTTP(S)_PROXY.
      r = await doctor([], pod({ ALL_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(rows(r.stdout).find((c) => c.name === 'sts.reachable')!.detail, /direct: ALL_PROXY is set but NO_PROXY .* sends 127\.0\.0\.1 direct/);
      assert.equal(proxy.requests.length, n, 'nothing through the proxy');
    } finally {
      await proxy.close();
    }
  });
});
