// SSO profiles (sso_session and the legacy sso_start_url form): the cached token `aws sso login`
// leaves, GetRoleCredentials at a loopback portal (AWS_ENDPOINT_URL_SSO), and the one-line errors that
// send the user to `aws sso login`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCredentialChain } from '../../src/credentials/chain.ts';
import { describeCredentials } from '../../src/credentials/describe.ts';
import { resolveSsoEndpoint, ssoTokenCacheFile } from '../../src/credentials/sso.ts';
import { CredentialsError } from '../../src/credentials/types.ts';
import { startSsoPortal, type SsoPortal } from '../support/emulators.ts';

import '../support/loopback-guard.mjs';

const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-ssotest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));
const MIN = 60_000;
const START_URL = 'https://corp.awsapps.com/start';
const ACCESS_TOKEN = 'aoa-cached-sso-access-token-0123456789';
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

let portal: SsoPortal;
let exp = '';
const portalReady = (async () => {
  exp = new Date(Date.now() + 60 * MIN).toISOString();
  portal = await startSsoPortal({
    accessToken: () => ACCESS_TOKEN,
    roles: { '111122223333': ['ReadOnly'] },
    credentials: () => ({ AccessKeyId: 'ASIASSO', SecretAccessKey: 'sso-secret', SessionToken: 'sso-session-token', Expiration: exp }),
  });
  after(() => portal.close());
})();

const CONFIG = `[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = ${START_URL}
sso_region = eu-central-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = ${START_URL}
sso_region = eu-central-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile other-role]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
`;

/** A HOME with the config and a token cache entry (`key` hashed as the CLI does) unless `token` is null. */
function home(key: string, token: Record<string, unknown> | null = { accessToken: ACCESS_TOKEN, expiresAt: new Date(Date.now() + 8 * 60 * MIN).toISOString(), region: 'eu-central-1', startUrl: START_URL }): string {
  const h = mkdtempSync(path.join(TMP_ROOT, 'home-'));
  mkdirSync(path.join(h, '.aws', 'sso', 'cache'), { recursive: true });
  writeFileSync(path.join(h, '.aws', 'config'), CONFIG);
  if (token) writeFileSync(path.join(h, '.aws', 'sso', 'cache', `${sha1(key)}.json`), JSON.stringify(token));
  return h;
}

function chain(h: string, profile: string, extra: Record<string, string> = {}, debug?: (m: string) => void) {
  return buildCredentialChain({ env: { HOME: h, AWS_PROFILE: profile, AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_SSO: portal.url, ...extra }, region: 'us-east-1', retry: { baseMs: 1, capMs: 2 }, debug });
}

const rejectsWith = (p: Promise<unknown>, code: number, re: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CredentialsError, String(e));
    assert.equal(e.exitCode, code, e.message);
    assert.equal(e.message.includes('\n'), false);
    assert.match(e.message, re);
    assert.equal(e.message.includes(ACCESS_TOKEN), false);
    return true;
  });

test('sso_session profile: token from ~/.aws/sso/cache/<sha1 of the session name>.json, GetRoleCredentials at the portal', async () => {
  await portalReady;
  const h = home('corp');
  const c = chain(h, 'dev');
  const k = await c.get();
  assert.deepEqual([k.accessKeyId, k.secretAccessKey, k.sessionToken, k.expiration?.toISOString()], ['ASIASSO', 'sso-secret', 'sso-session-token', exp]);
  const r = portal.requests.at(-1)!;
  assert.equal(r.method, 'GET');
  assert.match(r.url, /^\/federation\/credentials\?/);
  assert.equal(r.accountId, '111122223333');
  assert.equal(r.roleName, 'ReadOnly');
  assert.equal(r.bearer, ACCESS_TOKEN);
  const d = await describeCredentials(c);
  assert.equal(d.source, 'sso');
  assert.equal(d.details.profile, 'dev');
  assert.equal(d.details.ssoSession, 'corp');
  assert.equal(d.details.accountId, '111122223333');
  assert.equal(d.details.roleName, 'ReadOnly');
  assert.equal(d.details.tokenCache, path.join(h, '.aws', 'sso', 'cache', `${sha1('corp')}.json`));
  assert.equal(JSON.stringify(d).includes(ACCESS_TOKEN), false);
  // Cached: a second get does not call the portal again.
  const n = portal.requests.length;
  await c.get();
  assert.equal(portal.requests.length, n);
});

test('legacy profile (sso_start_url in the profile): the cache key is the sha1 of the start URL', async () => {
  await portalReady;
  const h = home(START_URL);
  assert.equal(ssoTokenCacheFile(h, START_URL), path.join(h, '.aws', 'sso', 'cache', `${sha1(START_URL)}.json`));
  assert.equal((await chain(h, 'legacy').get()).accessKeyId, 'ASIASSO');
  // The session-keyed file is not the legacy one.
  await rejectsWith(chain(home('corp'), 'legacy').get(), 78, /^no SSO token is cached for profile "legacy": .* does not exist; run aws sso login --profile legacy$/);
});

test('expired token: one line telling the user to run aws sso login --profile X (77); the portal is not called', async () => {
  await portalReady;
  const n = portal.requests.length;
  for (const expiresAt of [new Date(Date.now() - MIN).toISOString(), '2001-01-01T00:00:00UTC']) {
    const h = home('corp', { accessToken: ACCESS_TOKEN, expiresAt });
    await rejectsWith(chain(h, 'dev').get(), 77, /^the SSO token for profile "dev" \(sso_session corp\) expired at \S+; run aws sso login --profile dev$/);
  }
  assert.equal(portal.requests.length, n);
});

test('the portal refusing the token (401) also says to log in again; a role not granted (403) names it', async () => {
  await portalReady;
  const h = home('corp', { accessToken: 'some-other-token-value', expiresAt: new Date(Date.now() + 60 * MIN).toISOString() });
  await rejectsWith(chain(h, 'dev').get(), 77, /no longer accepts the cached token of profile "dev" \(HTTP 401 UnauthorizedException: Session token not found or invalid\); run aws sso login --profile dev/);
  await rejectsWith(chain(home('corp'), 'other-role').get(), 77, /refused role Admin in account 111122223333 for profile "other-role" \(HTTP 403 ForbiddenException: No access\); check sso_account_id and sso_role_name/);
});

test('a cache file without a token is a one-line error (78)', async () => {
  await portalReady;
  const h = home('corp', { startUrl: START_URL });
  await rejectsWith(chain(h, 'dev').get(), 78, /holds no accessToken and expiresAt; run aws sso login --profile dev/);
});

test('portal endpoint: AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL, else portal.sso.<sso_region>.amazonaws.com', () => {
  assert.equal(resolveSsoEndpoint({ AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:9/', AWS_ENDPOINT_URL: 'http://127.0.0.1:8/' }, 'eu-central-1'), 'http://127.0.0.1:9/');
  assert.equal(resolveSsoEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:8/' }, 'eu-central-1'), 'http://127.0.0.1:8/');
  assert.equal(resolveSsoEndpoint({}, 'eu-central-1'), 'https://portal.sso.eu-central-1.amazonaws.com/');
  assert.equal(resolveSsoEndpoint({}, 'cn-north-1'), 'https://portal.sso.cn-north-1.amazonaws.com.cn/');
  assert.throws(() => resolveSsoEndpoint({ AWS_ENDPOINT_URL_SSO: 'ftp://x' }, 'us-east-1'), /must be an http:\/\/ or https:\/\/ URL/);
});

test('an SSO profile as source_profile of a role profile', async () => {
  await portalReady;
  const h = home('corp');
  writeFileSync(path.join(h, '.aws', 'config'), `${CONFIG}\n[profile cross]\nrole_arn = arn:aws:iam::444455556666:role/reader\nsource_profile = dev\n`);
  // STS is not reachable: the error shows the SSO credentials were fetched and used as the source.
  await assert.rejects(chain(h, 'cross', { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9/' }).get(), (e: unknown) => {
    assert.match((e as Error).message, /cannot reach STS endpoint http:\/\/127\.0\.0\.1:9\/ to assume role arn:aws:iam::444455556666:role\/reader/);
    return true;
  });
  assert.equal(portal.requests.at(-1)!.roleName, 'ReadOnly');
});

test('debug lines never carry the token or the secrets', async () => {
  await portalReady;
  const lines: string[] = [];
  await chain(home('corp'), 'dev', {}, (m) => lines.push(m)).get();
  const all = lines.join('\n');
  assert.match(all, /sso: GetRoleCredentials account 111122223333 role ReadOnly/);
  for (const s of [ACCESS_TOKEN, 'sso-secret', 'sso-session-token']) assert.equal(all.includes(s), false, s);
});
