// Role chaining (profiles with role_arn + source_profile / credential_source): the AssumeRole request,
// what signs it, source_profile chains and loops, MFA refusal, refresh of the source and of the
// assumed credentials. Every endpoint is a loopback emulator.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCredentialChain, type ChainInput } from '../../src/credentials/chain.ts';
import { describeCredentials } from '../../src/credentials/describe.ts';
import { sourceText, stsSigningRegion } from '../../src/credentials/assume-role.ts';
import { CredentialsError } from '../../src/credentials/types.ts';
import { signV4, sha256Hex } from '../../src/net/sigv4.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-roletest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

const FAST = { baseMs: 1, capMs: 2 };
const MIN = 60_000;

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(sub: string, n = 0) {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'RS256' })}.${b64url({ iss: 'http://127.0.0.1:8999', sub, aud: 'sts.amazonaws.com', exp: now + 86400, n })}.c2ln`;
}

function home(files: Record<string, string> = {}): string {
  const h = mkdtempSync(path.join(TMP_ROOT, 'home-'));
  for (const [rel, content] of Object.entries(files)) {
    const f = path.join(h, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, content);
  }
  return h;
}

interface StsCall {
  action: string;
  form: Record<string, string>;
  authorization?: string;
  securityToken?: string;
  /** The signature re-computed with the secret STS issued (or knows) for the signing key: matched. */
  signatureOk?: boolean;
}

/**
 * STS on loopback: AssumeRoleWithWebIdentity (unsigned) and AssumeRole (SigV4; the signature is
 * checked against the secrets it knows). Every key it hands out is ASIA<action initial><n>, valid for
 * `lifetimeMs` from the clock; `answer` can replace any answer.
 */
async function startSts(opts: { now?: () => number; lifetimeMs?: number; answer?: (c: StsCall) => { status: number; body: string } | undefined } = {}) {
  const calls: StsCall[] = [];
  const secrets = new Map<string, string>([['AKIABASE', 'base-secret'], ['AKIAENVKEY', 'env-secret']]);
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form: Record<string, string> = {};
      for (const kv of body.split('&')) {
        const [k, v = ''] = kv.split('=');
        form[decodeURIComponent(k!)] = decodeURIComponent(v);
      }
      const call: StsCall = { action: form.Action ?? '', form, authorization: req.headers.authorization, securityToken: req.headers['x-amz-security-token'] as string | undefined };
      if (call.authorization) {
        const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)/.exec(call.authorization)!;
        const secret = secrets.get(m[1]!);
        if (secret) {
          const headers: Record<string, string> = {};
          // signV4 adds the date, payload hash and token headers itself
          for (const h of m[4]!.split(';')) if (!['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'].includes(h)) headers[h] = String(req.headers[h]);
          const date = String(req.headers['x-amz-date']);
          const when = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
          const again = signV4(
            { method: 'POST', host: String(req.headers.host), path: '/', query: [], headers, payloadHash: sha256Hex(body), region: m[2]!, service: m[3]!, now: when },
            { accessKeyId: m[1]!, secretAccessKey: secret, sessionToken: req.headers['x-amz-security-token'] as string | undefined },
          );
          call.signatureOk = again.Authorization === call.authorization;
        } else call.signatureOk = false;
      }
      calls.push(call);
      const canned = opts.answer?.(call);
      if (canned) {
        res.writeHead(canned.status, { 'content-type': 'text/xml' });
        return res.end(canned.body);
      }
      n++;
      const ak = `ASIA${call.action === 'AssumeRole' ? 'R' : 'W'}${n}`;
      secrets.set(ak, `secret-${n}`);
      const exp = new Date((opts.now ?? Date.now)() + (opts.lifetimeMs ?? 60 * MIN)).toISOString();
      const role = form.RoleArn!.split(':role/')[1];
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<${call.action}Response><${call.action}Result><Credentials><AccessKeyId>${ak}</AccessKeyId><SecretAccessKey>secret-${n}</SecretAccessKey><SessionToken>token-${n}</SessionToken><Expiration>${exp}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/${role}/${form.RoleSessionName}</Arn></AssumedRoleUser></${call.action}Result></${call.action}Response>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url, calls, assumeRole: () => calls.filter((c) => c.action === 'AssumeRole') };
}

/** A chain over the given config file, STS at the emulator, IMDS off unless said otherwise. */
function chain(config: string, env: Record<string, string>, extra: Partial<ChainInput> = {}) {
  const h = home({ '.aws/config': config, '.aws/credentials': '[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n' });
  return buildCredentialChain({ env: { HOME: h, AWS_EC2_METADATA_DISABLED: 'true', ...env }, region: 'eu-west-1', retry: FAST, ...extra });
}

const rejectsWith = (p: Promise<unknown>, code: number, re: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CredentialsError, String(e));
    assert.equal(e.exitCode, code, e.message);
    assert.equal(e.message.includes('\n'), false, 'one line');
    assert.match(e.message, re);
    return true;
  });

test('source_profile with static keys: AssumeRole signed by them, with the profile settings', async () => {
  const sts = await startSts();
  const c = chain(
    '[profile cross]\nrole_arn = arn:aws:iam::444455556666:role/reader\nsource_profile = base\nexternal_id = ext-1234\nrole_session_name = nightly\nduration_seconds = 1800\n',
    { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url },
  );
  const creds = await c.get();
  assert.equal(creds.accessKeyId, 'ASIAR1');
  assert.equal(creds.sessionToken, 'token-1');
  const [call] = sts.calls;
  assert.equal(sts.calls.length, 1);
  assert.deepEqual(call!.form, {
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: 'arn:aws:iam::444455556666:role/reader',
    RoleSessionName: 'nightly',
    ExternalId: 'ext-1234',
    DurationSeconds: '1800',
  });
  assert.match(call!.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIABASE\/\d{8}\/eu-west-1\/sts\/aws4_request, /);
  assert.equal(call!.signatureOk, true, 'SigV4 signature checks out with the source secret');
  assert.equal(call!.securityToken, undefined, 'static source: no session token');
  const d = await describeCredentials(c);
  assert.equal(d.source, 'assume-role');
  assert.equal(d.details.profile, 'cross');
  assert.equal(d.details.sourceProfile, 'base');
  assert.equal(d.details.roleArn, 'arn:aws:iam::444455556666:role/reader');
  assert.equal(d.details.assumedRoleArn, 'arn:aws:sts::111122223333:assumed-role/reader/nightly');
  assert.equal(d.details.via, 'profile:base');
  assert.equal(d.details.externalId, 'set', 'the external id itself is not shown');
  assert.equal(JSON.stringify(d).includes('ext-1234'), false);
});

test("role_session_name defaults to s3k-<epoch ms>, like web identity's", async () => {
  const sts = await startSts();
  const t0 = Date.now();
  await chain('[profile cross]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n', { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url }).get();
  const m = /^s3k-(\d+)$/.exec(sts.calls[0]!.form.RoleSessionName!);
  assert.ok(m, sts.calls[0]!.form.RoleSessionName);
  assert.ok(Number(m![1]) >= t0 && Number(m![1]) <= Date.now());
  assert.equal(sts.calls[0]!.form.ExternalId, undefined);
  assert.equal(sts.calls[0]!.form.DurationSeconds, undefined);
});

test('source_profile with web identity (IRSA): AssumeRoleWithWebIdentity, then AssumeRole signed with that session', async () => {
  const sts = await startSts();
  const h = home({ token: jwt('system:serviceaccount:apps:reader') });
  const c = chain(
    `[profile irsa]\nrole_arn = arn:aws:iam::111122223333:role/pod\nweb_identity_token_file = ${path.join(h, 'token')}\n[profile cross]\nrole_arn = arn:aws:iam::444455556666:role/reader\nsource_profile = irsa\n`,
    { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url, AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/env-role', AWS_WEB_IDENTITY_TOKEN_FILE: path.join(h, 'token') },
  );
  const creds = await c.get();
  assert.deepEqual(sts.calls.map((x) => x.action), ['AssumeRoleWithWebIdentity', 'AssumeRole']);
  assert.equal(sts.calls[0]!.form.RoleArn, 'arn:aws:iam::111122223333:role/pod', "the source profile's role, not AWS_ROLE_ARN");
  assert.equal(sts.calls[0]!.authorization, undefined);
  assert.match(sts.calls[1]!.authorization!, /Credential=ASIAW1\//);
  assert.equal(sts.calls[1]!.securityToken, 'token-1');
  assert.equal(sts.calls[1]!.signatureOk, true);
  assert.equal(creds.accessKeyId, 'ASIAR2');
  const d = await describeCredentials(c);
  assert.equal(d.details.via, 'web-identity (arn:aws:sts::111122223333:assumed-role/pod/' + sts.calls[0]!.form.RoleSessionName + ', profile irsa)');
});

test('a chain of three profiles: each hop signs the next', async () => {
  const sts = await startSts();
  const c = chain(
    '[profile a]\nrole_arn = arn:aws:iam::1:role/ra\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/rb\nsource_profile = base\n',
    { AWS_PROFILE: 'a', AWS_ENDPOINT_URL_STS: sts.url },
  );
  assert.equal((await c.get()).accessKeyId, 'ASIAR2');
  assert.deepEqual(sts.calls.map((x) => [x.form.RoleArn, /Credential=(\w+)/.exec(x.authorization!)![1], x.signatureOk]), [
    ['arn:aws:iam::1:role/rb', 'AKIABASE', true],
    ['arn:aws:iam::1:role/ra', 'ASIAR1', true],
  ]);
  assert.match((await describeCredentials(c)).details.via as string, /^assume-role \(arn:aws:sts::111122223333:assumed-role\/rb\//);
});

test('source_profile loops are one line (78) naming the loop; nothing is fetched', async () => {
  const sts = await startSts();
  const cfg = '[profile a]\nrole_arn = arn:aws:iam::1:role/ra\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/rb\nsource_profile = c\n[profile c]\nrole_arn = arn:aws:iam::1:role/rc\nsource_profile = a\n[profile self]\nrole_arn = arn:aws:iam::1:role/rs\nsource_profile = self\n';
  await rejectsWith(chain(cfg, { AWS_PROFILE: 'a', AWS_ENDPOINT_URL_STS: sts.url }).get(), 78, /^source_profile loop: a -> b -> c -> a; /);
  await rejectsWith(chain(cfg, { AWS_PROFILE: 'self', AWS_ENDPOINT_URL_STS: sts.url }).get(), 78, /^source_profile loop: self -> self; /);
  assert.equal(sts.calls.length, 0);
});

test('a role profile naming itself as source_profile uses its own static keys (the CLI allows it)', async () => {
  const sts = await startSts();
  const c = chain('[profile me]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = me\n', {
    AWS_PROFILE: 'me',
    AWS_ENDPOINT_URL_STS: sts.url,
  });
  assert.equal((await c.get()).accessKeyId, 'ASIAR1');
  assert.equal(sts.calls[0]!.signatureOk, true);
});

test('mfa_serial: one line (78) saying s3k cannot prompt; nothing is fetched', async () => {
  const sts = await startSts();
  const cfg = '[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/alice\n[profile top]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = admin\n';
  for (const profile of ['admin', 'top'])
    await rejectsWith(
      chain(cfg, { AWS_PROFILE: profile, AWS_ENDPOINT_URL_STS: sts.url }).get(),
      78,
      /^profile "admin" needs an MFA code \(mfa_serial = arn:aws:iam::1:mfa\/alice\) to assume role arn:aws:iam::1:role\/admin; s3k cannot prompt for it: .*aws configure export-credentials --profile admin/,
    );
  assert.equal(sts.calls.length, 0);
});

test('credential_source = Environment: the env keys sign AssumeRole when AWS_PROFILE names the role profile', async () => {
  const sts = await startSts();
  const cfg = '[profile envrole]\nrole_arn = arn:aws:iam::1:role/from-env\ncredential_source = Environment\n';
  const c = chain(cfg, { AWS_PROFILE: 'envrole', AWS_ENDPOINT_URL_STS: sts.url, AWS_ACCESS_KEY_ID: 'AKIAENVKEY', AWS_SECRET_ACCESS_KEY: 'env-secret' });
  assert.equal((await c.get()).accessKeyId, 'ASIAR1');
  assert.equal(c.source().name, 'assume-role');
  assert.match(sts.calls[0]!.authorization!, /Credential=AKIAENVKEY\//);
  assert.equal(sts.calls[0]!.signatureOk, true);
  assert.equal(c.source().details!.credentialSource, 'Environment');
  // Without env keys: one line naming what to set.
  await rejectsWith(chain(cfg, { AWS_PROFILE: 'envrole', AWS_ENDPOINT_URL_STS: sts.url }).get(), 78, /credential_source = Environment in profile "envrole" needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  // Env keys with AWS_PROFILE naming a static profile: the env keys win, as before.
  const s = chain('[profile plain]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = p\n', { AWS_PROFILE: 'plain', AWS_ACCESS_KEY_ID: 'AKIAENVKEY', AWS_SECRET_ACCESS_KEY: 'env-secret' });
  assert.equal((await s.get()).accessKeyId, 'AKIAENVKEY');
});

test('credential_source = EcsContainer and Ec2InstanceMetadata: the agent / IMDS credentials sign AssumeRole', async () => {
  const sts = await startSts();
  const exp = new Date(Date.now() + 60 * MIN).toISOString();
  const hits: string[] = [];
  const agent = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.url === '/creds') return res.end(JSON.stringify({ AccessKeyId: 'AKIAENVKEY', SecretAccessKey: 'env-secret', Token: 'agent-token', Expiration: exp }));
    if (req.url === '/latest/api/token') return res.end('imds-session');
    if (req.url === '/latest/meta-data/iam/security-credentials/') return res.end('node-role');
    if (req.url === '/latest/meta-data/iam/security-credentials/node-role')
      return res.end(JSON.stringify({ Code: 'Success', AccessKeyId: 'AKIABASE', SecretAccessKey: 'base-secret', Token: 'imds-token', Expiration: exp }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => agent.close(() => r())));
  const base = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
  const cfg = '[profile ecs]\nrole_arn = arn:aws:iam::1:role/from-ecs\ncredential_source = EcsContainer\n[profile ec2]\nrole_arn = arn:aws:iam::1:role/from-ec2\ncredential_source = Ec2InstanceMetadata\n';
  await chain(cfg, { AWS_PROFILE: 'ecs', AWS_ENDPOINT_URL_STS: sts.url, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${base}/creds` }).get();
  assert.match(sts.calls[0]!.authorization!, /Credential=AKIAENVKEY\//);
  assert.equal(sts.calls[0]!.securityToken, 'agent-token');
  const ec2 = chain(cfg, { AWS_PROFILE: 'ec2', AWS_ENDPOINT_URL_STS: sts.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: base, AWS_EC2_METADATA_DISABLED: '' });
  await ec2.get();
  assert.match(sts.calls[1]!.authorization!, /Credential=AKIABASE\//);
  assert.equal(sts.calls[1]!.securityToken, 'imds-token');
  assert.equal(sts.calls[1]!.signatureOk, true);
  assert.equal((await describeCredentials(ec2)).details.via, 'imds (role node-role)');
  // Configured but unusable sources: one line each, nothing fetched.
  const before = sts.calls.length;
  await rejectsWith(chain(cfg, { AWS_PROFILE: 'ecs', AWS_ENDPOINT_URL_STS: sts.url }).get(), 78, /credential_source = EcsContainer in profile "ecs" needs AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  await rejectsWith(chain(cfg, { AWS_PROFILE: 'ec2', AWS_ENDPOINT_URL_STS: sts.url }).get(), 78, /credential_source = Ec2InstanceMetadata in profile "ec2" cannot work: AWS_EC2_METADATA_DISABLED=true/);
  assert.equal(sts.calls.length, before);
});

test('role profile configuration errors are one line (78) naming the setting', async () => {
  const cases: [string, RegExp][] = [
    ['role_arn = arn:aws:iam::1:role/x\nsource_profile = base\ncredential_source = Environment\n', /has both source_profile and credential_source/],
    ['role_arn = arn:aws:iam::1:role/x\n', /has role_arn but no source_profile, credential_source or web_identity_token_file/],
    ['role_arn = arn:aws:iam::1:role/x\ncredential_source = environment\n', /credential_source = environment, which is not one of Environment, Ec2InstanceMetadata, EcsContainer/],
    ['role_arn = arn:aws:iam::1:role/x\nsource_profile = nowhere\n', /source_profile = nowhere, but there is no profile "nowhere"/],
    ['role_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n', /profile "empty" \(source_profile of profile "p"\) holds no credentials/],
    ['role_arn = not-an-arn\nsource_profile = base\n', /role_arn in profile "p" "not-an-arn" is not a valid IAM role ARN/],
    ['role_arn = arn:aws:iam::1:role/x\nsource_profile = base\nduration_seconds = 60\n', /duration_seconds in profile "p" "60" is not valid/],
    ['role_arn = arn:aws:iam::1:role/x\nsource_profile = base\nrole_session_name = a b\n', /role_session_name in profile "p" "a b" is not a valid role session name/],
    ['source_profile = base\n', /has source_profile but no role_arn/],
  ];
  for (const [body, re] of cases) await rejectsWith(chain(`[profile p]\n${body}[profile empty]\nregion = us-east-1\n`, { AWS_PROFILE: 'p' }).get(), 78, re);
});

test('STS AccessDenied: one line (77) naming the role, the signing identity and the trust policy', async () => {
  const sts = await startSts({ answer: () => ({ status: 403, body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>' }) });
  await rejectsWith(
    chain('[profile cross]\nrole_arn = arn:aws:iam::1:role/reader\nsource_profile = base\n', { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url }).get(),
    77,
    /^STS denied AssumeRole of role arn:aws:iam::1:role\/reader to profile:base \(HTTP 403 AccessDenied: not authorized to perform sts:AssumeRole\); the role's trust policy must allow sts:AssumeRole/,
  );
});

test('STS refusing the source credentials (ExpiredToken): the source is fetched again and AssumeRole retried once', async () => {
  let refused = false;
  const sts = await startSts({
    answer: (c) => {
      if (c.action === 'AssumeRole' && !refused) {
        refused = true;
        return { status: 400, body: '<ErrorResponse><Error><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>' };
      }
      return undefined;
    },
  });
  const h = home({ token: jwt('system:serviceaccount:apps:reader') });
  const c = chain(`[profile irsa]\nrole_arn = arn:aws:iam::1:role/pod\nweb_identity_token_file = ${path.join(h, 'token')}\n[profile cross]\nrole_arn = arn:aws:iam::1:role/reader\nsource_profile = irsa\n`, {
    AWS_PROFILE: 'cross',
    AWS_ENDPOINT_URL_STS: sts.url,
  });
  await c.get();
  assert.deepEqual(sts.calls.map((x) => x.action), ['AssumeRoleWithWebIdentity', 'AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRole']);
  assert.match(sts.calls[3]!.authorization!, /Credential=ASIAW2\//, 'signed with the fresh source credentials');
});

test('refresh: the assumed credentials are refreshed before expiry; the IRSA source re-reads its token file', async () => {
  const clock = { t: Date.now() };
  const sts = await startSts({ now: () => clock.t, lifetimeMs: 60 * MIN });
  const h = home({ token: jwt('system:serviceaccount:apps:reader', 1) });
  const c = chain(`[profile irsa]\nrole_arn = arn:aws:iam::1:role/pod\nweb_identity_token_file = ${path.join(h, 'token')}\n[profile cross]\nrole_arn = arn:aws:iam::1:role/reader\nsource_profile = irsa\n`, {
    AWS_PROFILE: 'cross',
    AWS_ENDPOINT_URL_STS: sts.url,
  }, { now: () => clock.t });
  assert.equal((await c.get()).accessKeyId, 'ASIAR2');
  // Still fresh: cached, nothing fetched.
  clock.t += 30 * MIN;
  assert.equal((await c.get()).accessKeyId, 'ASIAR2');
  assert.equal(sts.calls.length, 2);
  // kubelet rotated the token; 57 min in, inside the mandatory window: both layers are fetched again.
  writeFileSync(path.join(h, 'token'), jwt('system:serviceaccount:apps:reader', 2));
  clock.t += 27 * MIN;
  assert.equal((await c.get()).accessKeyId, 'ASIAR4');
  assert.deepEqual(sts.calls.map((x) => x.action), ['AssumeRoleWithWebIdentity', 'AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRole']);
  assert.equal(sts.calls[2]!.form.WebIdentityToken, jwt('system:serviceaccount:apps:reader', 2), 'the rotated token was read');
  assert.match(sts.calls[3]!.authorization!, /Credential=ASIAW3\//);
  // A forced refresh (S3 said ExpiredToken) assumes the role again with the cached source.
  await c.get({ forceRefresh: true });
  assert.deepEqual(sts.calls.slice(4).map((x) => x.action), ['AssumeRole']);
});

test('debug lines and errors carry no secret', async () => {
  const sts = await startSts({ answer: (c) => (c.action === 'AssumeRole' ? { status: 403, body: '<Error><Code>AccessDenied</Code><Message>key base-secret ext-secret-99</Message></Error>' } : undefined) });
  const lines: string[] = [];
  const c = chain('[profile cross]\nrole_arn = arn:aws:iam::1:role/reader\nsource_profile = base\nexternal_id = ext-secret-99\n', { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url }, { debug: (m) => lines.push(m) });
  await assert.rejects(c.get(), (e: unknown) => {
    const all = `${(e as Error).message}\n${lines.join('\n')}`;
    for (const s of ['base-secret', 'ext-secret-99']) assert.equal(all.includes(s), false, s);
    return true;
  });
});

test('the chain hands every secret to the secret() hook once per set', async () => {
  const sts = await startSts();
  const seen: string[] = [];
  const c = chain('[profile cross]\nrole_arn = arn:aws:iam::1:role/reader\nsource_profile = base\n', { AWS_PROFILE: 'cross', AWS_ENDPOINT_URL_STS: sts.url }, { secret: (s) => seen.push(s) });
  await c.get();
  await c.get();
  assert.deepEqual(seen, ['secret-1', 'token-1']);
});

test('signing region: global endpoint us-east-1, regional host names, else the configured region', () => {
  assert.equal(stsSigningRegion('https://sts.amazonaws.com/', 'eu-west-1'), 'us-east-1');
  assert.equal(stsSigningRegion('https://sts.eu-central-1.amazonaws.com/', 'us-east-1'), 'eu-central-1');
  assert.equal(stsSigningRegion('https://sts.cn-north-1.amazonaws.com.cn/', 'us-east-1'), 'cn-north-1');
  assert.equal(stsSigningRegion('http://127.0.0.1:7480/', 'ap-south-1'), 'ap-south-1');
  assert.equal(stsSigningRegion('http://127.0.0.1:7480/', 'US'), 'us-east-1');
  assert.equal(sourceText({ name: 'profile:base' }), 'profile:base');
  assert.equal(sourceText({ name: 'web-identity', details: { roleArn: 'arn:r', profile: 'irsa' } }), 'web-identity (arn:r, profile irsa)');
});
