// End to end: credential_process and SSO profiles, with credentials that work on the lab's S3.
//
// credential_process: small scripts written here print real lab credentials (the admin's keys, or a
// role session the lab's STS issued); s3k runs them and uses what they print against the real lab.
// SSO: the lab has no IAM Identity Center, so a loopback portal (test/support/emulators.ts,
// AWS_ENDPOINT_URL_SSO) plays GetRoleCredentials and hands out a role session the lab's STS issued;
// S3 is the real lab. MFA: refused before anything is fetched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adminCreateBucket, adminDeleteBucket, adminPutObject, assumeRole, labEndpoint, labEnv, makeTempDir, mintToken, s3k, setupIrsa,
  signingCredentials, uniqueBucket, type RunResult, type SigningCredentials,
} from '../support/lab.ts';
import { GUARD_MARK, loopbackGuardEnv, startProxy, startSsoPortal, type SsoPortal } from '../support/emulators.ts';

type Env = Record<string, string | undefined>;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const row = (key: string, value: string) => new RegExp(`^${esc(key)}:\\s+${esc(value)}$`, 'm');

async function run(args: string[], env: Env, timeoutMs = 60_000): Promise<RunResult> {
  const r = await s3k(args, { env: { ...env, ...loopbackGuardEnv() }, timeoutMs });
  assert.ok(!r.stderr.includes(GUARD_MARK), `s3k tried to leave loopback:\n${r.stderr}`);
  assert.equal(r.timedOut, false);
  return r;
}
function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}
function errorLines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('ERROR: '));
}

describe('credential_process and SSO (e2e, S3 on the lab)', () => {
  const tmp = makeTempDir('proc-sso-e2e');
  const dir = tmp.path;
  const home = path.join(dir, 'home');
  const configFile = path.join(home, '.aws', 'config');
  const bucket = uniqueBucket('proc-sso');
  const closers: Array<() => Promise<void>> = [];
  let roleSession: SigningCredentials;
  let roleExpiration = '';
  let portal: SsoPortal;
  const ssoToken = `aoa-${createHash('sha256').update(String(Date.now())).digest('hex')}`;
  /** The access token the portal accepts; CreateToken changes it. */
  let accepted = ssoToken;
  const oidcClient = { clientId: 'client-id-e2e', clientSecret: `client-secret-${createHash('sha256').update('cs').digest('hex').slice(0, 24)}` };
  let refreshToken = `rt1-${createHash('sha256').update(String(Math.random())).digest('hex')}`;
  const refreshed = `aoa-refreshed-${createHash('sha256').update(String(Math.random())).digest('hex')}`;
  const refreshToken2 = `rt2-${createHash('sha256').update(String(Math.random())).digest('hex')}`;

  /** A script in a directory whose path has a space; each run appends a line to <dir>/count. */
  function script(name: string, body: string): { file: string; count: () => number } {
    const d = path.join(dir, `tools dir ${name}`);
    fs.mkdirSync(d, { recursive: true });
    const file = path.join(d, 'creds.sh');
    fs.writeFileSync(file, `#!/bin/sh\necho run >> "${d}/count"\n${body}\n`, { mode: 0o755 });
    return { file, count: () => (fs.existsSync(path.join(d, 'count')) ? fs.readFileSync(path.join(d, 'count'), 'utf8').split('\n').filter(Boolean).length : 0) };
  }
  const env = (profile: string, extra: Env = {}): Env => ({ HOME: home, AWS_PROFILE: profile, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: labEndpoint(), ...extra });
  const writeConfig = (sections: string) => fs.writeFileSync(configFile, sections);

  before(async () => {
    fs.mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    const { roleArn } = await setupIrsa();
    const c = await assumeRole(await mintToken(), roleArn);
    roleSession = signingCredentials(c);
    roleExpiration = new Date(c.Expiration).toISOString();
    await adminCreateBucket(bucket);
    await adminPutObject(bucket, 'a.txt', 'hello\n');
    portal = await startSsoPortal({
      accessToken: () => accepted,
      oidc: {
        ...oidcClient,
        refreshToken: () => refreshToken,
        issue: () => {
          accepted = refreshed;
          refreshToken = refreshToken2;
          return { accessToken: refreshed, expiresIn: 3600, refreshToken: refreshToken2 };
        },
      },
      roles: { '111122223333': ['S3Reader'] },
      credentials: () => ({ AccessKeyId: roleSession.accessKeyId, SecretAccessKey: roleSession.secretAccessKey, SessionToken: roleSession.sessionToken!, Expiration: roleExpiration }),
    });
    closers.push(portal.close);
  });
  after(async () => {
    for (const c of closers) await c();
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('credential_process printing temporary credentials with Expiration: works on the lab, runs once for a whole run, stderr passed through', async () => {
    const s = script(
      'temp',
      `echo "creds.sh: fetching credentials for $1" >&2\ncat <<'EOF'\n${JSON.stringify({ Version: 1, AccessKeyId: roleSession.accessKeyId, SecretAccessKey: roleSession.secretAccessKey, SessionToken: roleSession.sessionToken, Expiration: roleExpiration })}\nEOF`,
    );
    writeConfig(`[profile tool]\ncredential_process = "${s.file}" "helen smith"\n`);
    const src = path.join(dir, 'up');
    fs.mkdirSync(src);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`);
    const r = await run(['put', '-r', '--parallel', '1', `${src}/`, `s3://${bucket}/up/`], env('tool'));
    expectCode(r, 0, 'put -r');
    assert.equal(s.count(), 1, 'the command ran once for six requests');
    assert.match(r.stderr, /^creds\.sh: fetching credentials for helen smith$/m, "the command's stderr reaches s3k's stderr");
    const l = await run(['ls', `s3://${bucket}/up/`], env('tool'));
    expectCode(l, 0, 'ls');
    assert.equal((l.stdout.match(/s3:\/\/.*\/up\/f\d\.txt$/gm) ?? []).length, 5);
    const w = await run(['whoami'], env('tool'));
    expectCode(w, 0, 'whoami');
    assert.match(w.stdout, row('Source', 'process'));
    assert.match(w.stdout, row('command', s.file));
    assert.match(w.stdout, row('Temporary', 'yes (session token)'));
    for (const x of [roleSession.secretAccessKey, roleSession.sessionToken!, 'helen smith']) assert.equal(w.stdout.includes(x), false);
  });

  it('credential_process without Expiration (long-lived keys); with a short Expiration it runs again when the credentials near it', async () => {
    const e = labEnv();
    const s = script('static', `printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "${e.LAB_ADMIN_ACCESS_KEY}" "${e.LAB_ADMIN_SECRET_KEY}"`);
    writeConfig(`[profile tool]\ncredential_process = '${s.file}'\n`);
    const r = await run(['ls', `s3://${bucket}`], env('tool'));
    expectCode(r, 0, 'ls');
    assert.match(r.stdout, /a\.txt$/m);
    assert.equal(s.count(), 1);

    // Expiration 3 s after each run: cached, then run again near it, during one long command.
    const short = script(
      'short',
      `exp=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\nprintf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}' "${roleSession.accessKeyId}" "${roleSession.secretAccessKey}" "${roleSession.sessionToken}" "$exp"`,
    );
    writeConfig(`[profile tool]\ncredential_process = '${short.file}'\n`);
    const slow = await startProxy({ target: labEndpoint(), delayMs: (q) => (q.method === 'PUT' ? 400 : 0) });
    closers.push(slow.close);
    const src = path.join(dir, 'slow');
    fs.mkdirSync(src);
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(src, `s${i}.txt`), `slow ${i}\n`);
    const t0 = Date.now();
    const p = await run(['put', '-r', '--parallel', '1', `${src}/`, `s3://${bucket}/slow/`], env('tool', { AWS_ENDPOINT_URL_S3: slow.url }));
    expectCode(p, 0, 'put -r slow');
    const took = Date.now() - t0;
    const puts = slow.requests.filter((q) => q.method === 'PUT').length;
    assert.ok(short.count() >= 2, `ran ${short.count()} times in ${took} ms`);
    assert.ok(short.count() < puts, `ran ${short.count()} times for ${puts} PUTs: cached between`);
  });

  it('credential_process failures: one line each (78), after whatever the command said on stderr; never its stdout', async () => {
    const fail = script('fail', 'echo "creds.sh: the vault is sealed" >&2\nexit 1');
    writeConfig(`[profile tool]\ncredential_process = "${fail.file}"\n`);
    let r = await run(['ls', `s3://${bucket}`], env('tool'));
    expectCode(r, 78, 'exit 1');
    assert.match(r.stderr, /^creds\.sh: the vault is sealed$/m);
    assert.deepEqual(errorLines(r), [`ERROR: credential_process in profile "tool" (${fail.file}) exited with code 1; its messages, if any, are on stderr above`]);

    const bad = script('bad', 'echo "AccessKeyId=AKIAEXAMPLE SecretAccessKey=do-not-print-me"');
    writeConfig(`[profile tool]\ncredential_process = "${bad.file}"\n`);
    r = await run(['ls', `s3://${bucket}`], env('tool'));
    expectCode(r, 78, 'bad JSON');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /^ERROR: credential_process in profile "tool" \(.*\) did not print valid JSON on stdout \(\d+ bytes\); expected JSON \{"Version": 1/);
    assert.equal(r.stderr.includes('do-not-print-me'), false);

    writeConfig('[profile tool]\ncredential_process = /nonexistent/creds-tool --x\n');
    r = await run(['ls', `s3://${bucket}`], env('tool'));
    expectCode(r, 78, 'not found');
    assert.deepEqual(errorLines(r), ['ERROR: credential_process in profile "tool": cannot run /nonexistent/creds-tool (not found; give the full path: the command is run without a shell, so $VARIABLES and ~ are not expanded)']);
  });

  it('SSO (sso_session): the cached token is traded at the portal (AWS_ENDPOINT_URL_SSO); the role session works on the lab', async () => {
    writeConfig(
      '[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = S3Reader\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n',
    );
    const cache = path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`);
    fs.writeFileSync(cache, JSON.stringify({ startUrl: 'https://corp.awsapps.com/start', region: 'eu-central-1', accessToken: ssoToken, expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString() }));
    const e = env('dev', { AWS_ENDPOINT_URL_SSO: portal.url });
    const r = await run(['ls', `s3://${bucket}`], e);
    expectCode(r, 0, 'ls via SSO');
    assert.match(r.stdout, /a\.txt$/m);
    const call = portal.requests.at(-1)!;
    assert.deepEqual([call.accountId, call.roleName, call.bearer === ssoToken, call.status], ['111122223333', 'S3Reader', true, 200]);
    const w = await run(['whoami'], e);
    expectCode(w, 0, 'whoami');
    assert.match(w.stdout, row('Source', 'sso'));
    assert.match(w.stdout, row('ssoSession', 'corp'));
    assert.match(w.stdout, row('roleName', 'S3Reader'));
    assert.match(w.stdout, row('tokenCache', cache));
    for (const x of [ssoToken, roleSession.secretAccessKey, roleSession.sessionToken!]) assert.equal((w.stdout + w.stderr).includes(x), false);

    // Expired token: one line pointing at aws sso login, and the portal is not asked.
    const before = portal.requests.length;
    fs.writeFileSync(cache, JSON.stringify({ accessToken: ssoToken, expiresAt: new Date(Date.now() - 60_000).toISOString() }));
    const x = await run(['ls', `s3://${bucket}`], e);
    expectCode(x, 77, 'expired SSO token');
    assert.equal(x.stderr.trimEnd().split('\n').length, 1);
    assert.match(x.stderr, /^ERROR: the SSO token for profile "dev" \(sso_session corp\) expired at \S+; run aws sso login --profile dev$/m);
    assert.equal(portal.requests.length, before);
  });

  it('SSO token refresh: an expired token with a refresh token is renewed at SSO OIDC (AWS_ENDPOINT_URL_SSO_OIDC), written back 0600, and works on the lab', async () => {
    writeConfig(
      '[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = S3Reader\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n',
    );
    const cacheDir = path.join(home, '.aws', 'sso', 'cache');
    const cache = path.join(cacheDir, `${createHash('sha1').update('corp').digest('hex')}.json`);
    const stale = `aoa-stale-${createHash('sha256').update('stale').digest('hex')}`;
    const entry = {
      startUrl: 'https://corp.awsapps.com/start',
      region: 'eu-central-1',
      accessToken: stale,
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
      refreshToken,
      ...oidcClient,
      registrationExpiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
    };
    const firstRefresh = refreshToken;
    fs.writeFileSync(cache, JSON.stringify(entry), { mode: 0o644 });
    const e = env('dev', { AWS_ENDPOINT_URL_SSO: portal.url, AWS_ENDPOINT_URL_SSO_OIDC: portal.url });
    const n = portal.requests.length;
    const r = await run(['-d', 'ls', `s3://${bucket}`], e);
    expectCode(r, 0, 'ls via a refreshed SSO token');
    assert.match(r.stdout, /a\.txt$/m);
    const calls = portal.requests.slice(n);
    assert.deepEqual(calls.map((c) => [c.method, new URL(c.url, 'http://x').pathname, c.status]), [['POST', '/token', 200], ['GET', '/federation/credentials', 200]]);
    assert.deepEqual(calls[0].tokenRequest, { clientId: oidcClient.clientId, clientSecret: oidcClient.clientSecret, grantType: 'refresh_token', refreshToken: firstRefresh });
    assert.equal(calls[1].bearer, refreshed);
    // written back: new token, new refresh token, the rest kept; mode 0600; no temporary file left
    const after = JSON.parse(fs.readFileSync(cache, 'utf8')) as Record<string, string>;
    assert.equal(after.accessToken, refreshed);
    assert.equal(after.refreshToken, refreshToken2);
    assert.equal(after.clientSecret, oidcClient.clientSecret);
    assert.equal(after.startUrl, entry.startUrl);
    assert.ok(Date.parse(after.expiresAt) > Date.now() + 50 * 60_000, after.expiresAt);
    assert.equal(fs.statSync(cache).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => f !== path.basename(cache)), []);
    for (const x of [stale, refreshed, firstRefresh, refreshToken2, oidcClient.clientSecret, roleSession.secretAccessKey]) assert.equal((r.stdout + r.stderr).includes(x), false, 'a secret in the output');
    assert.match(r.stderr, /refresh/i, 'debug says it refreshed');

    // the next run uses the rewritten cache: no refresh
    const m = portal.requests.length;
    const r2 = await run(['ls', `s3://${bucket}`], e);
    expectCode(r2, 0, 'second run');
    assert.deepEqual(portal.requests.slice(m).map((c) => c.method), ['GET']);

    // a refresh token the service no longer takes: one line, aws sso login, no secret
    fs.writeFileSync(cache, JSON.stringify({ ...entry, refreshToken: 'rt-revoked-0123456789' }));
    const x = await run(['ls', `s3://${bucket}`], e);
    expectCode(x, 77, 'revoked refresh token');
    assert.equal(x.stderr.trimEnd().split('\n').length, 1, x.stderr);
    assert.match(x.stderr, /^ERROR: the SSO token for profile "dev" \(sso_session corp\) expired at \S+ and the SSO OIDC endpoint \S+ refused to refresh it \(HTTP 400 InvalidGrantException: Invalid refresh token provided\); run aws sso login --profile dev$/m);
    for (const s of ['rt-revoked-0123456789', oidcClient.clientSecret, stale]) assert.equal(x.stderr.includes(s), false);

    // no refresh token: one line telling to run aws sso login, and nothing is asked
    const { refreshToken: _rt, ...noRefresh } = entry;
    fs.writeFileSync(cache, JSON.stringify(noRefresh));
    const k = portal.requests.length;
    const y = await run(['ls', `s3://${bucket}`], e);
    expectCode(y, 77, 'expired, no refresh token');
    assert.match(y.stderr, /^ERROR: the SSO token for profile "dev" \(sso_session corp\) expired at \S+; run aws sso login --profile dev$/m);
    assert.equal(portal.requests.length, k);
    accepted = ssoToken;
  });

  it('MFA profile: one line saying s3k cannot prompt (78)', async () => {
    const e = labEnv();
    writeConfig(`[profile base]\naws_access_key_id = ${e.LAB_ADMIN_ACCESS_KEY}\naws_secret_access_key = ${e.LAB_ADMIN_SECRET_KEY}\n[profile admin]\nrole_arn = arn:aws:iam:::role/s3-full-access\nsource_profile = base\nmfa_serial = arn:aws:iam:::mfa/admin\n`);
    const r = await run(['ls'], env('admin'));
    expectCode(r, 78, 'mfa');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /^ERROR: profile "admin" needs an MFA code \(mfa_serial = arn:aws:iam:::mfa\/admin\) to assume role arn:aws:iam:::role\/s3-full-access; s3k cannot prompt for it: /);
    assert.equal(r.stderr.includes(e.LAB_ADMIN_SECRET_KEY), false);
  });
});
