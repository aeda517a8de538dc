// Chain precedence, shared files (temp HOME), laziness, and the "nothing found" error. All endpoints
// are loopback emulators; IMDS is either disabled or pointed at loopback in every test.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCredentialChain as realBuild, type ChainInput } from '../../src/credentials/chain.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

/** All temp files of this file live here and go away at the end. */
const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-credtest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

const FAST = { baseMs: 1, capMs: 2 };

function b64url(o: unknown) {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
function jwt(sub = 'system:serviceaccount:default:s3k') {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'RS256' })}.${b64url({ iss: 'http://127.0.0.1:8999', sub, aud: 'sts.amazonaws.com', exp: now + 3600 })}.c2ln`;
}

/** One loopback server that plays STS (POST), a container agent (GET /creds) and IMDS (/latest/...). */
async function startEmulators(opts: { stsStatus?: number } = {}) {
  const hits = { sts: 0, container: 0, imds: 0 };
  const forms: Record<string, string>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const exp = new Date(Date.now() + 3600_000).toISOString();
      if (req.method === 'POST') {
        hits.sts++;
        forms.push(Object.fromEntries(body.split('&').map((kv) => kv.split('=').map(decodeURIComponent) as [string, string])));
        if (opts.stsStatus) {
          res.writeHead(opts.stsStatus, { 'content-type': 'text/xml' });
          return res.end('<Error><Code>AccessDenied</Code></Error>');
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(
          `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIASTS${hits.sts}</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey><SessionToken>sts-token</SessionToken><Expiration>${exp}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
        );
      }
      if (req.url === '/creds') {
        hits.container++;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 'c-secret', Token: 'c-token', Expiration: exp }));
      }
      if (req.url?.startsWith('/latest/')) {
        hits.imds++;
        if (req.method === 'PUT') return res.end('imds-session');
        if (req.url === '/latest/meta-data/iam/security-credentials/') return res.end('node-role');
        return res.end(JSON.stringify({ Code: 'Success', AccessKeyId: 'ASIAIMDS', SecretAccessKey: 'i-secret', Token: 'i-token', Expiration: exp }));
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, hits, forms, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function home(files: Record<string, string> = {}): string {
  const h = mkdtempSync(path.join(TMP_ROOT, 's3k-home-'));
  for (const [rel, content] of Object.entries(files)) {
    const f = path.join(h, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, content);
  }
  return h;
}

/** Every chain here gets a temp HOME if none, and IMDS disabled unless a test points it at loopback. */
function buildCredentialChain(input: ChainInput) {
  const env = input.env;
  if (!env.HOME) env.HOME = home();
  if (!env.AWS_EC2_METADATA_SERVICE_ENDPOINT) env.AWS_EC2_METADATA_DISABLED ??= 'true';
  return realBuild(input);
}

type Emu = Awaited<ReturnType<typeof startEmulators>>;

/** Every source configured at once; tests delete what they do not want. */
function fullInput(emu: Emu, h: string): ChainInput {
  const tokenFile = path.join(h, 'token');
  writeFileSync(tokenFile, jwt());
  return {
    cli: { accessKey: 'AKIACLI0000000000001', secretKey: 'cli-secret' },
    s3cfg: { accessKey: 'AKIAS3CFG00000000001', secretKey: 's3cfg-secret' },
    env: {
      HOME: h,
      AWS_ACCESS_KEY_ID: 'AKIAENV0000000000001',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/env-role',
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL_STS: emu.base,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emu.base}/creds`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: emu.base,
    },
    region: 'us-east-1',
    retry: FAST,
  };
}

test('precedence: each source wins over every later one', async () => {
  const emu = await startEmulators();
  try {
    const h = home({ '.aws/credentials': '[default]\naws_access_key_id = AKIAPROFILE000000001\naws_secret_access_key = profile-secret\n' });
    const steps: [string, string, (i: ChainInput) => void][] = [
      ['command-line', 'AKIACLI0000000000001', () => {}],
      ['s3cfg', 'AKIAS3CFG00000000001', (i) => delete i.cli],
      ['env', 'AKIAENV0000000000001', (i) => delete i.s3cfg],
      ['profile:default', 'AKIAPROFILE000000001', (i) => (delete i.env.AWS_ACCESS_KEY_ID, delete i.env.AWS_SECRET_ACCESS_KEY)],
      ['web-identity', 'ASIASTS1', (i) => (i.env.HOME = home())],
      ['container', 'ASIACONTAINER', (i) => (delete i.env.AWS_ROLE_ARN, delete i.env.AWS_WEB_IDENTITY_TOKEN_FILE)],
      ['imds', 'ASIAIMDS', (i) => delete i.env.AWS_CONTAINER_CREDENTIALS_FULL_URI],
    ];
    const input = fullInput(emu, h);
    const seen: string[] = [];
    for (const [name, key, strip] of steps) {
      strip(input);
      const before = { ...emu.hits };
      const chain = buildCredentialChain({ ...input, env: { ...input.env } });
      const c = await chain.get();
      assert.equal(chain.source().name, name);
      assert.equal(c.accessKeyId, key);
      // Later sources were not touched.
      if (name !== 'web-identity') assert.equal(emu.hits.sts, before.sts, `${name}: STS untouched`);
      if (name !== 'container') assert.equal(emu.hits.container, before.container, `${name}: container untouched`);
      if (name !== 'imds') assert.equal(emu.hits.imds, before.imds, `${name}: IMDS untouched`);
      seen.push(name);
    }
    assert.equal(seen.length, 7);
  } finally {
    await emu.close();
  }
});

test('a session token rides along: --access_token with .s3cfg keys, AWS_SESSION_TOKEN with env keys', async () => {
  const c1 = await buildCredentialChain({
    cli: { sessionToken: 'cli-session' },
    s3cfg: { accessKey: 'AKIAS3CFG', secretKey: 's', sessionToken: 'cfg-session' },
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    region: 'us-east-1',
  }).get();
  assert.equal(c1.sessionToken, 'cli-session');
  const c2 = await buildCredentialChain({
    env: { HOME: home(), AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 'env-session' },
    region: 'us-east-1',
  }).get();
  assert.equal(c2.sessionToken, 'env-session');
});

test("s3cmd's AWS_ACCESS_KEY / AWS_SECRET_KEY / AWS_SECURITY_TOKEN work; AWS_* names win", async () => {
  const chain = buildCredentialChain({
    env: { HOME: home(), AWS_ACCESS_KEY: 'AKIAS3CMD', AWS_SECRET_KEY: 'old-secret', AWS_SECURITY_TOKEN: 'old-token' },
    region: 'us-east-1',
  });
  const c = await chain.get();
  assert.deepEqual([c.accessKeyId, c.secretAccessKey, c.sessionToken], ['AKIAS3CMD', 'old-secret', 'old-token']);
  assert.deepEqual(chain.source().details?.variables, ['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'AWS_SECURITY_TOKEN']);
  const c2 = await buildCredentialChain({
    env: { AWS_ACCESS_KEY: 'AKIAS3CMD', AWS_SECRET_KEY: 'old', AWS_ACCESS_KEY_ID: 'AKIANEW', AWS_SECRET_ACCESS_KEY: 'new' },
    region: 'us-east-1',
  }).get();
  assert.equal(c2.accessKeyId, 'AKIANEW');
});

test('an .s3cfg without keys never blocks later sources', async () => {
  for (const s3cfg of [{}, { accessKey: '', secretKey: '' }, { accessKey: '', secretKey: '', sessionToken: '' }]) {
    const chain = buildCredentialChain({ s3cfg, env: { HOME: home(), AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's' }, region: 'us-east-1' });
    assert.equal((await chain.get()).accessKeyId, 'AKIAENV');
    assert.equal(chain.source().name, 'env');
  }
});

test('--secret_key or --access_key alone overrides only its own half of the .s3cfg keys (as s3cmd does)', async () => {
  let chain = buildCredentialChain({ cli: { secretKey: 'cli-secret' }, s3cfg: { accessKey: 'AKIAFILE', secretKey: 'file-secret' }, env: {}, region: '' });
  let c = await chain.get();
  assert.deepEqual([c.accessKeyId, c.secretAccessKey, chain.source().name], ['AKIAFILE', 'cli-secret', 'command-line']);
  chain = buildCredentialChain({ cli: { accessKey: 'AKIACLI' }, s3cfg: { accessKey: 'AKIAFILE', secretKey: 'file-secret' }, env: {}, region: '' });
  c = await chain.get();
  assert.deepEqual([c.accessKeyId, c.secretAccessKey], ['AKIACLI', 'file-secret']);
});

test('half-set keys are configuration errors naming what is missing', async () => {
  const cases: [ChainInput, RegExp][] = [
    [{ cli: { accessKey: 'AKIA' }, env: {}, region: '' }, /--access_key was given without a secret key/],
    [{ s3cfg: { accessKey: 'AKIA', secretKey: '' }, env: {}, region: '' }, /\.s3cfg has access_key but an empty secret_key/],
    [{ env: { AWS_ACCESS_KEY_ID: 'AKIA' }, region: '' }, /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/],
    [{ env: { AWS_SECRET_ACCESS_KEY: 'x' }, region: '' }, /AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/],
  ];
  for (const [input, re] of cases)
    await assert.rejects(buildCredentialChain(input).get(), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && re.test(e.message));
});

test('shared files: [profile x] in config, credentials file wins, custom paths, session token', async () => {
  const h = home({
    '.aws/config': '[default]\nregion = eu-west-1\n\n[profile dev]\naws_access_key_id = AKIACONFIGDEV\naws_secret_access_key = config-secret\n',
    '.aws/credentials': '# comment\n[dev]\naws_secret_access_key = creds-secret\naws_session_token = dev-session\n',
  });
  const env = { HOME: h, AWS_PROFILE: 'dev', AWS_EC2_METADATA_DISABLED: 'true' };
  const chain = buildCredentialChain({ env, region: 'us-east-1' });
  const c = await chain.get();
  assert.deepEqual([c.accessKeyId, c.secretAccessKey, c.sessionToken], ['AKIACONFIGDEV', 'creds-secret', 'dev-session']);
  assert.equal(chain.source().name, 'profile:dev');

  const other = home({ 'elsewhere/creds.ini': '[default]\naws_access_key_id=AKIACUSTOM\naws_secret_access_key=cs\n' });
  const c2 = await buildCredentialChain({ env: { HOME: h, AWS_SHARED_CREDENTIALS_FILE: path.join(other, 'elsewhere/creds.ini'), AWS_CONFIG_FILE: path.join(other, 'none') }, region: '' }).get();
  assert.equal(c2.accessKeyId, 'AKIACUSTOM');

  // The default profile read from the config file's [default] section.
  const h3 = home({ '.aws/config': '[default]\naws_access_key_id = AKIADEFCFG\naws_secret_access_key = d\n' });
  assert.equal((await buildCredentialChain({ env: { HOME: h3 }, region: '' }).get()).accessKeyId, 'AKIADEFCFG');
});

test('an explicitly selected AWS_PROFILE that does not exist is an error naming it and the files', async () => {
  const h = home({ '.aws/credentials': '[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n' });
  const emu = await startEmulators();
  try {
    // Web identity and IMDS are configured too: an explicit missing profile must stop the walk.
    const input = fullInput(emu, h);
    delete input.cli;
    delete input.s3cfg;
    delete input.env.AWS_ACCESS_KEY_ID;
    delete input.env.AWS_SECRET_ACCESS_KEY;
    input.env.AWS_PROFILE = 'prod';
    await assert.rejects(buildCredentialChain(input).get(), (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.equal(e.exitCode, 78);
      assert.match(e.message, /^AWS_PROFILE selects profile "prod", which is not in /);
      assert.ok(e.message.includes(path.join(h, '.aws', 'credentials')));
      assert.ok(e.message.includes(path.join(h, '.aws', 'config')));
      return true;
    });
    assert.deepEqual(emu.hits, { sts: 0, container: 0, imds: 0 });
  } finally {
    await emu.close();
  }
  // A missing *default* profile (AWS_PROFILE unset) just moves on.
  const c = await buildCredentialChain({ env: { HOME: home(), AWS_ACCESS_KEY: 'AKIAX', AWS_SECRET_KEY: 'y' }, region: '' }).get();
  assert.equal(c.accessKeyId, 'AKIAX');
});

test('profile with role_arn + web_identity_token_file (+ role_session_name) assumes the role', async () => {
  const emu = await startEmulators();
  try {
    const h = home({ '.aws/token': `${jwt('system:serviceaccount:ns:profiled')}\n` });
    writeFileSync(
      path.join(h, 'config'),
      '[profile irsa]\nrole_arn = arn:aws:iam::111122223333:role/profile-role\nweb_identity_token_file = ~/.aws/token\nrole_session_name = from-profile\n',
    );
    const chain = buildCredentialChain({
      env: { HOME: h, AWS_PROFILE: 'irsa', AWS_CONFIG_FILE: path.join(h, 'config'), AWS_ENDPOINT_URL_STS: emu.base, AWS_EC2_METADATA_DISABLED: 'true' },
      region: 'us-east-1',
      retry: FAST,
    });
    const c = await chain.get();
    assert.equal(c.accessKeyId, 'ASIASTS1');
    assert.equal(emu.forms[0]!.RoleArn, 'arn:aws:iam::111122223333:role/profile-role');
    assert.equal(emu.forms[0]!.RoleSessionName, 'from-profile');
    assert.equal(emu.forms[0]!.WebIdentityToken, jwt('system:serviceaccount:ns:profiled'));
    const s = chain.source();
    assert.equal(s.name, 'web-identity');
    assert.equal(s.details!.profile, 'irsa');
    assert.equal(s.details!.tokenFile, path.join(h, '.aws/token'));
    assert.equal(s.details!.sub, 'system:serviceaccount:ns:profiled');
  } finally {
    await emu.close();
  }
});

test('incomplete profiles are errors naming what is missing, not silent fall-through', async () => {
  const h = home({ '.aws/config': '[profile chained]\nrole_arn = arn:aws:iam::1:role/x\n[profile sso]\nsso_session = corp\n[profile half-sso]\nsso_start_url = https://corp.awsapps.com/start\n' });
  await assert.rejects(
    buildCredentialChain({ env: { HOME: h, AWS_PROFILE: 'chained' }, region: '' }).get(),
    (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /profile "chained".*has role_arn but no source_profile, credential_source or web_identity_token_file/.test(e.message),
  );
  await assert.rejects(
    buildCredentialChain({ env: { HOME: h, AWS_PROFILE: 'sso' }, region: '' }).get(),
    (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /sso_session = corp, but .* has no \[sso-session corp\] section/.test(e.message),
  );
  await assert.rejects(
    buildCredentialChain({ env: { HOME: h, AWS_PROFILE: 'half-sso' }, region: '' }).get(),
    (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /is an SSO profile without sso_region, sso_account_id, sso_role_name/.test(e.message),
  );
});

test('nothing found: exit 78 listing every source tried and what to set', async () => {
  const port = await closedPort();
  const h = home();
  await assert.rejects(
    buildCredentialChain({ s3cfg: { accessKey: '', secretKey: '' }, env: { HOME: h, AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }, region: 'us-east-1', retry: FAST }).get(),
    (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.equal(e.exitCode, 78);
      assert.equal(e.message.includes('\n'), false);
      for (const part of [
        'no credentials found',
        'command line',
        '.s3cfg',
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set',
        `AWS profile "default" (not in ${path.join(h, '.aws', 'credentials')}`,
        'AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE not set',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI/AWS_CONTAINER_CREDENTIALS_RELATIVE_URI not set',
        `IMDSv2 at http://127.0.0.1:${port} (unreachable`,
        'ECONNREFUSED',
        'Set access_key and secret_key in ~/.s3cfg',
        'IRSA',
      ])
        assert.ok(e.message.includes(part), `missing "${part}" in: ${e.message}`);
      return true;
    },
  );
});

test('lazy: building the chain reads no file and contacts nothing', async () => {
  const emu = await startEmulators();
  try {
    const h = home();
    const input = fullInput(emu, h);
    delete input.cli;
    delete input.s3cfg;
    delete input.env.AWS_ACCESS_KEY_ID;
    delete input.env.AWS_SECRET_ACCESS_KEY;
    const chain = buildCredentialChain(input);
    assert.equal(chain.source().name, 'unresolved');
    // The profile file appears only after the chain was built, and is still honoured.
    mkdirSync(path.join(h, '.aws'));
    writeFileSync(path.join(h, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIALATE\naws_secret_access_key = l\n');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(emu.hits, { sts: 0, container: 0, imds: 0 });
    assert.equal((await chain.get()).accessKeyId, 'AKIALATE');
  } finally {
    await emu.close();
  }
});

test('resolution happens once and sticks; concurrent first calls share it', async () => {
  const emu = await startEmulators();
  try {
    const input = fullInput(emu, home());
    delete input.cli;
    delete input.s3cfg;
    delete input.env.AWS_ACCESS_KEY_ID;
    delete input.env.AWS_SECRET_ACCESS_KEY;
    const chain = buildCredentialChain(input);
    const all = await Promise.all(Array.from({ length: 10 }, () => chain.get()));
    assert.equal(emu.hits.sts, 1);
    assert.ok(all.every((c) => c.accessKeyId === 'ASIASTS1'));
    // Keys appearing later do not switch the source.
    input.env.AWS_ACCESS_KEY_ID = 'AKIAENV';
    input.env.AWS_SECRET_ACCESS_KEY = 's';
    assert.equal((await chain.get()).accessKeyId, 'ASIASTS1');
    assert.equal(chain.source().name, 'web-identity');
  } finally {
    await emu.close();
  }
});

test('a configured source that fails does not fall through to the node role', async () => {
  const emu = await startEmulators({ stsStatus: 403 });
  try {
    const input = fullInput(emu, home());
    delete input.cli;
    delete input.s3cfg;
    delete input.env.AWS_ACCESS_KEY_ID;
    delete input.env.AWS_SECRET_ACCESS_KEY;
    await assert.rejects(buildCredentialChain(input).get(), (e: unknown) => e instanceof CredentialsError && e.exitCode === 77 && /AccessDenied/.test(e.message));
    assert.equal(emu.hits.container, 0);
    assert.equal(emu.hits.imds, 0);
  } finally {
    await emu.close();
  }
});

test('debug lines name the source and never carry secrets', async () => {
  const emu = await startEmulators();
  try {
    const input = fullInput(emu, home());
    delete input.cli;
    delete input.s3cfg;
    delete input.env.AWS_ACCESS_KEY_ID;
    delete input.env.AWS_SECRET_ACCESS_KEY;
    const lines: string[] = [];
    const chain = buildCredentialChain({ ...input, debug: (m) => lines.push(m) });
    await chain.get({ forceRefresh: true });
    assert.ok(lines.some((l) => l.includes('using web-identity')), lines.join('\n'));
    const all = lines.join('\n');
    for (const secret of ['sts-secret', 'sts-token', jwt().split('.')[1]!]) assert.equal(all.includes(secret), false, secret);
  } finally {
    await emu.close();
  }
});
