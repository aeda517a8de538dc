// Web identity (IRSA) against a loopback STS emulator. Never contacts AWS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  assumeRoleWithWebIdentity,
  isValidRoleArn,
  resolveStsEndpoint,
  webIdentityConfigFromEnv,
  webIdentityProvider,
  type WebIdentityConfig,
} from '../../src/credentials/web-identity.ts';
import { CredentialsError } from '../../src/credentials/types.ts';
import { decodeJwtClaims } from '../../src/credentials/jwt.ts';
import { build } from 'esbuild';
import { REPO_ROOT, asNobody, readableDir } from '../support/lab.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

/** All temp files of this file live here and go away at the end. */
const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-credtest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

const ROLE = 'arn:aws:iam::111122223333:role/s3-access';
const FAST = { maxRetries: 3, baseMs: 1, capMs: 2 };

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
function makeJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64url(claims)}.${Buffer.from(`sig-${Math.random()}`).toString('base64url')}`;
}
const nowSec = () => Math.floor(Date.now() / 1000);
function claims(extra: Record<string, unknown> = {}) {
  return {
    iss: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF',
    sub: 'system:serviceaccount:backup:s3k',
    aud: ['sts.amazonaws.com'],
    iat: nowSec() - 60,
    exp: nowSec() + 3600,
    ...extra,
  };
}

interface StsRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
  rawBody: string;
}
type Reply = { status: number; body: string; contentType?: string };
type Handler = (req: StsRequest, n: number) => Reply | 'hangup';

let keyCounter = 0;
function okReply(expiresInSec = 3600): Reply {
  keyCounter++;
  const id = `ASIA${String(keyCounter).padStart(12, '0')}TEST`;
  return {
    status: 200,
    body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:backup:s3k</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/s3-access/sess</Arn><AssumedRoleId>AROA:sess</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${id}</AccessKeyId>
      <SecretAccessKey>secret-${keyCounter}-wJalrXUtnFEMI</SecretAccessKey>
      <SessionToken>session-token-${keyCounter}-FwoGZXIvYXdzE</SessionToken>
      <Expiration>${new Date(Date.now() + expiresInSec * 1000).toISOString()}</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
  };
}
const s3Error = (status: number, code: string, message = '') => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>tx1</RequestId><HostId>h</HostId></Error>`,
});
const stsError = (status: number, code: string, message: string) => ({
  status,
  body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>`,
});

async function startSts(handler: Handler) {
  const requests: StsRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const form: Record<string, string> = {};
      for (const pair of rawBody.split('&')) {
        if (!pair) continue;
        const [k, v = ''] = pair.split('=');
        form[decodeURIComponent(k!)] = decodeURIComponent(v);
      }
      const r: StsRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, form, rawBody };
      requests.push(r);
      const reply = handler(r, requests.length);
      if (reply === 'hangup') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/xml' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tmp(): string {
  return mkdtempSync(path.join(TMP_ROOT, 's3k-wi-'));
}
function tokenFile(dir: string, content: string, name = 'token'): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}

async function rejectsWith(p: Promise<unknown>, check: (e: CredentialsError) => void): Promise<CredentialsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CredentialsError, `expected CredentialsError, got ${String(e)}`);
    assert.equal(e.message.includes('\n'), false, 'message must be one line');
    check(e);
    return e;
  }
  assert.fail('expected a rejection');
}

function cfg(endpoint: string, file: string, extra: Partial<WebIdentityConfig> = {}): WebIdentityConfig {
  return { roleArn: ROLE, tokenFile: file, stsEndpoint: endpoint, ...extra };
}

test('success: unsigned form POST with the documented parameters; credentials parsed', async () => {
  const sts = await startSts(() => okReply());
  try {
    const jwt = makeJwt(claims());
    const file = tokenFile(tmp(), jwt);
    const r = await assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST });
    assert.equal(sts.requests.length, 1);
    const req = sts.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.match(String(req.headers['content-type']), /application\/x-www-form-urlencoded/);
    assert.equal(req.headers.authorization, undefined, 'the call is unsigned');
    assert.equal(req.form.Action, 'AssumeRoleWithWebIdentity');
    assert.equal(req.form.Version, '2011-06-15');
    assert.equal(req.form.RoleArn, ROLE);
    assert.equal(req.form.WebIdentityToken, jwt);
    assert.match(req.form.RoleSessionName!, /^s3k-\d{13}$/);
    assert.equal('DurationSeconds' in req.form, false);
    assert.match(r.credentials.accessKeyId, /^ASIA\d{12}TEST$/);
    assert.match(r.credentials.secretAccessKey, /^secret-\d+-/);
    assert.match(r.credentials.sessionToken!, /^session-token-\d+-/);
    assert.ok(r.credentials.expiration instanceof Date);
    assert.ok(r.credentials.expiration.getTime() > Date.now() + 3000_000);
    assert.equal(r.assumedRoleArn, 'arn:aws:sts::111122223333:assumed-role/s3-access/sess');
  } finally {
    await sts.close();
  }
});

test('token is trimmed, session name and DurationSeconds come from the environment', async () => {
  const sts = await startSts(() => okReply());
  try {
    const jwt = makeJwt(claims());
    const dir = tmp();
    const file = tokenFile(dir, `\n  ${jwt}  \n\n`);
    const c = webIdentityConfigFromEnv(
      {
        AWS_ROLE_ARN: ROLE,
        AWS_WEB_IDENTITY_TOKEN_FILE: file,
        AWS_ROLE_SESSION_NAME: 'my-session',
        S3K_ROLE_DURATION_SECONDS: '1800',
        AWS_ENDPOINT_URL_STS: sts.endpoint,
      },
      'eu-west-1',
    )!;
    await assumeRoleWithWebIdentity(c, { retry: FAST });
    const req = sts.requests[0]!;
    assert.equal(req.form.WebIdentityToken, jwt);
    assert.equal(req.form.RoleSessionName, 'my-session');
    assert.equal(req.form.DurationSeconds, '1800');
  } finally {
    await sts.close();
  }
});

test('S3K_ROLE_DURATION_SECONDS out of range is a configuration error (78)', () => {
  for (const bad of ['60', '50000', 'abc', '1800.5']) {
    assert.throws(
      () => webIdentityConfigFromEnv({ AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: '/x', S3K_ROLE_DURATION_SECONDS: bad }, 'us-east-1'),
      (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && e.message.includes('S3K_ROLE_DURATION_SECONDS') && e.message.includes(bad),
    );
  }
});

test('only one of AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE set names the missing one (78)', () => {
  assert.throws(
    () => webIdentityConfigFromEnv({ AWS_ROLE_ARN: ROLE }, 'us-east-1'),
    (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /AWS_WEB_IDENTITY_TOKEN_FILE is not/.test(e.message),
  );
  assert.throws(
    () => webIdentityConfigFromEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, 'us-east-1'),
    (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /AWS_ROLE_ARN is not/.test(e.message),
  );
  assert.equal(webIdentityConfigFromEnv({}, 'us-east-1'), undefined);
});

test('the token file is re-read on every STS call (kubelet rotation)', async () => {
  const sts = await startSts(() => okReply());
  try {
    const dir = tmp();
    const first = makeJwt(claims({ jti: 'one' }));
    const second = makeJwt(claims({ jti: 'two' }));
    const file = tokenFile(dir, first);
    let clock = Date.now();
    const p = webIdentityProvider(cfg(sts.endpoint, file), { retry: FAST, now: () => clock, refresh: { forceCoalesceMs: 0 } });
    const c1 = await p.get();
    writeFileSync(file, second);
    clock += 10_000;
    const c2 = await p.get({ forceRefresh: true });
    assert.equal(sts.requests.length, 2);
    assert.equal(sts.requests[0]!.form.WebIdentityToken, first);
    assert.equal(sts.requests[1]!.form.WebIdentityToken, second);
    assert.notEqual(c1.accessKeyId, c2.accessKeyId);
  } finally {
    await sts.close();
  }
});

test('source() details: role, file, endpoint, session and claims, never the token', async () => {
  const sts = await startSts(() => okReply());
  try {
    const jwt = makeJwt(claims());
    const file = tokenFile(tmp(), jwt);
    const p = webIdentityProvider(cfg(sts.endpoint, file, { sessionName: 'sess-1' }), { retry: FAST });
    const creds = await p.get();
    const s = p.source();
    assert.equal(s.name, 'web-identity');
    const d = s.details!;
    assert.equal(d.roleArn, ROLE);
    assert.equal(d.tokenFile, file);
    assert.equal(d.stsEndpoint, sts.endpoint);
    assert.equal(d.sessionName, 'sess-1');
    assert.equal(d.iss, 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF');
    assert.equal(d.sub, 'system:serviceaccount:backup:s3k');
    assert.equal(d.aud, 'sts.amazonaws.com');
    assert.equal(d.exp, new Date(decodeJwtClaims(jwt)!.exp! * 1000).toISOString());
    const text = JSON.stringify(s);
    assert.equal(text.includes(jwt.split('.')[1]!), false);
    assert.equal(text.includes(creds.secretAccessKey), false);
    assert.equal(text.includes(creds.sessionToken!), false);
  } finally {
    await sts.close();
  }
});

for (const [label, reply] of [
  ['S3 format (Ceph RGW)', s3Error(403, 'AccessDenied')],
  ['STS format', stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')],
  ['bare 403', { status: 403, body: '' }],
] as const) {
  test(`AccessDenied (${label}) names role, sub, aud and the trust policy; exit 77; no token`, async () => {
    const sts = await startSts(() => reply);
    try {
      const jwt = makeJwt(claims({ sub: 'system:serviceaccount:team-a:uploader', aud: 'sts.amazonaws.com' }));
      const file = tokenFile(tmp(), jwt);
      await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
        assert.equal(e.exitCode, 77);
        assert.match(e.message, /AccessDenied/);
        assert.ok(e.message.includes(ROLE), e.message);
        assert.ok(e.message.includes('sub "system:serviceaccount:team-a:uploader"'), e.message);
        assert.ok(e.message.includes('aud "sts.amazonaws.com"'), e.message);
        assert.match(e.message, /trust policy must allow exactly/);
        assert.ok(e.message.includes('oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF'), e.message);
        assert.equal(e.message.includes(jwt), false);
        assert.equal(e.message.includes(jwt.split('.')[1]!), false);
      });
      assert.equal(sts.requests.length, 1, 'AccessDenied is not retried');
    } finally {
      await sts.close();
    }
  });
}

test('a server message that echoes the token is redacted', async () => {
  let jwt = '';
  const sts = await startSts(() => stsError(403, 'AccessDenied', `bad token ${jwt} here`));
  try {
    jwt = makeJwt(claims());
    const file = tokenFile(tmp(), jwt);
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.equal(e.message.includes(jwt), false);
      assert.match(e.message, /<redacted>/);
    });
  } finally {
    await sts.close();
  }
});

test('InvalidIdentityToken names the issuer that must be registered as OIDC provider', async () => {
  const sts = await startSts(() =>
    stsError(400, 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://oidc.example.test/id/XYZ'),
  );
  try {
    const file = tokenFile(tmp(), makeJwt(claims({ iss: 'https://oidc.example.test/id/XYZ' })));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.match(e.message, /InvalidIdentityToken/);
      assert.match(e.message, /issuer https:\/\/oidc\.example\.test\/id\/XYZ must be registered as an IAM OIDC provider/);
    });
    assert.equal(sts.requests.length, 1);
  } finally {
    await sts.close();
  }
});

test('ExpiredTokenException from STS says kubelet should rotate the token', async () => {
  const sts = await startSts(() => stsError(400, 'ExpiredTokenException', 'Token expired: current date/time 1626271164 must be before the expiration date/time1626191469'));
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.match(e.message, /ExpiredTokenException/);
      assert.ok(e.message.includes(file));
      assert.match(e.message, /kubelet should rotate/);
    });
  } finally {
    await sts.close();
  }
});

test('5xx and throttling are retried with backoff, then success', async () => {
  const sts = await startSts((_r, n) => (n === 1 ? s3Error(503, 'SlowDown') : n === 2 ? stsError(400, 'Throttling', 'Rate exceeded') : n === 3 ? { status: 500, body: '' } : okReply()));
  try {
    const delays: number[] = [];
    const file = tokenFile(tmp(), makeJwt(claims()));
    const r = await assumeRoleWithWebIdentity(cfg(sts.endpoint, file), {
      retry: { maxRetries: 3, baseMs: 10, capMs: 15, sleep: async (ms) => void delays.push(ms), random: () => 0.99 },
    });
    assert.equal(sts.requests.length, 4);
    assert.match(r.credentials.accessKeyId, /^ASIA/);
    assert.deepEqual(delays, [9, 14, 14], 'capped exponential backoff');
  } finally {
    await sts.close();
  }
});

test('retries stop after 3: four attempts in all, message reports the last status', async () => {
  const sts = await startSts(() => ({ status: 502, body: 'bad gateway' }));
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.match(e.message, /HTTP 502/);
      assert.match(e.message, /4 attempts/);
    });
    assert.equal(sts.requests.length, 4);
  } finally {
    await sts.close();
  }
});

test('a dropped connection is retried like a network error', async () => {
  const sts = await startSts((_r, n) => (n === 1 ? 'hangup' : okReply()));
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    const r = await assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST });
    assert.equal(sts.requests.length, 2);
    assert.ok(r.credentials.accessKeyId);
  } finally {
    await sts.close();
  }
});

test('unreachable STS endpoint names the URL and what to set', async () => {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}/`;
  const file = tokenFile(tmp(), makeJwt(claims()));
  const retries: number[] = [];
  await rejectsWith(
    assumeRoleWithWebIdentity(cfg(endpoint, file), { retry: { ...FAST, sleep: async () => void retries.push(1) } }),
    (e) => {
      assert.equal(e.exitCode, 77);
      assert.ok(e.message.includes(`cannot reach STS endpoint ${endpoint}`), e.message);
      assert.match(e.message, /ECONNREFUSED/);
      assert.match(e.message, /AWS_ENDPOINT_URL_STS/);
      assert.match(e.message, /AWS_STS_REGIONAL_ENDPOINTS/);
      assert.match(e.message, /network policy/);
    },
  );
  assert.equal(retries.length, 3, 'network errors are retried three times');
});

test('token file problems: missing, directory, empty, not a JWT — no STS call', async () => {
  const sts = await startSts(() => okReply());
  try {
    const dir = tmp();
    const missing = path.join(dir, 'nope', 'token');
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, missing), { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.ok(e.message.includes(missing));
      assert.match(e.message, /does not exist/);
      assert.match(e.message, /projected/);
    });
    const asDir = path.join(dir, 'adir');
    mkdirSync(asDir);
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, asDir), { retry: FAST }), (e) => {
      assert.ok(e.message.includes(asDir));
      assert.match(e.message, /directory/);
    });
    const empty = tokenFile(dir, ' \n', 'empty');
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, empty), { retry: FAST }), (e) => {
      assert.ok(e.message.includes(empty));
      assert.match(e.message, /is empty/);
    });
    const garbage = tokenFile(dir, 'not-a-jwt-at-all', 'garbage');
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, garbage), { retry: FAST }), (e) => {
      assert.ok(e.message.includes(garbage));
      assert.match(e.message, /does not hold a JWT/);
      assert.equal(e.message.includes('not-a-jwt-at-all'), false);
    });
    assert.equal(sts.requests.length, 0);
  } finally {
    await sts.close();
  }
});

test('unreadable token file suggests fsGroup (as root: checked as nobody, through setpriv)', async () => {
  // Root reads any file, so the read runs in a child that is nobody when this is root (asNobody).
  // Nobody cannot read the checkout (it may be under /root): the child is a bundle in a readable dir.
  const probe = path.join(readableDir(), 'web-identity-probe.mjs');
  await build({
    stdin: {
      contents: `import { assumeRoleWithWebIdentity } from './src/credentials/web-identity.ts';
        const [roleArn, tokenFile, stsEndpoint, retry] = process.argv.slice(2);
        assumeRoleWithWebIdentity({ roleArn, tokenFile, stsEndpoint }, { retry: JSON.parse(retry) }).then(
          () => console.log(JSON.stringify({ ok: true })),
          (e) => console.log(JSON.stringify({ name: e.name, message: e.message, exitCode: e.exitCode })));`,
      resolveDir: REPO_ROOT,
      loader: 'ts',
    },
    outfile: probe,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
  chmodSync(probe, 0o644);
  const dir = path.join(path.dirname(probe), 'token');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const file = tokenFile(dir, makeJwt(claims()));
  chmodSync(file, 0o000);
  const r = await asNobody([process.execPath, probe, ROLE, file, 'http://127.0.0.1:9/', JSON.stringify(FAST)], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as { ok?: true; name?: string; message?: string; exitCode?: number };
  assert.equal(e.name, 'CredentialsError', r.stdout);
  assert.equal(e.exitCode, 77);
  assert.equal(e.message!.includes('\n'), false, 'message must be one line');
  assert.ok(e.message!.includes(file));
  assert.match(e.message!, /EACCES: permission denied/);
  assert.match(e.message!, /fsGroup/);
});

test('an expired token is caught locally with when it expired; STS is not called', async () => {
  const sts = await startSts(() => okReply());
  try {
    const exp = nowSec() - 7200;
    const file = tokenFile(tmp(), makeJwt(claims({ exp })));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.ok(e.message.includes(new Date(exp * 1000).toISOString()), e.message);
      assert.match(e.message, /2 h ago/);
      assert.match(e.message, /kubelet should rotate/);
      assert.match(e.message, /projected volume/);
    });
    assert.equal(sts.requests.length, 0);
    // With a clock before exp the same token goes to STS, which decides.
    await assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST, now: () => (exp - 60) * 1000 });
    assert.equal(sts.requests.length, 1);
  } finally {
    await sts.close();
  }
});

test('invalid role ARN is rejected locally with the expected format', async () => {
  const sts = await startSts(() => okReply());
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    for (const bad of ['s3-access', 'arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::ACCOUNT:role/x', 'arn:aws:s3:::bucket']) {
      await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file, { roleArn: bad }), { retry: FAST }), (e) => {
        assert.equal(e.exitCode, 77);
        assert.ok(e.message.includes(`AWS_ROLE_ARN "${bad}" is not a valid IAM role ARN`), e.message);
        assert.match(e.message, /arn:<partition>:iam::<account-id>:role\/<name>/);
      });
    }
    assert.equal(sts.requests.length, 0);
  } finally {
    await sts.close();
  }
});

test('role ARN validation', () => {
  for (const ok of [ROLE, 'arn:aws:iam:::role/s3-full-access', 'arn:aws-cn:iam::123456789012:role/path/to/r', 'arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f-g'])
    assert.equal(isValidRoleArn(ok), true, ok);
  for (const bad of ['', 'arn:aws:iam::12a:role/x', 'arn:aws:iam::1:role/', 'arn:aws:iam::1:role/a b', 'arn:aws:sts::1:role/x', 'arn::iam::1:role/x'])
    assert.equal(isValidRoleArn(bad), false, bad);
});

test('200 without credentials is an error naming the endpoint', async () => {
  const sts = await startSts(() => ({ status: 200, body: '<html>captive portal</html>' }));
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.ok(e.message.includes(sts.endpoint));
      assert.match(e.message, /holds no credentials/);
    });
  } finally {
    await sts.close();
  }
});

test('ValidationError points at the settings', async () => {
  const sts = await startSts(() => stsError(400, 'ValidationError', 'Request ARN is invalid'));
  try {
    const file = tokenFile(tmp(), makeJwt(claims()));
    await rejectsWith(assumeRoleWithWebIdentity(cfg(sts.endpoint, file), { retry: FAST }), (e) => {
      assert.match(e.message, /ValidationError: Request ARN is invalid/);
      assert.match(e.message, /AWS_ROLE_ARN/);
    });
  } finally {
    await sts.close();
  }
});

test('STS endpoint resolution', () => {
  assert.equal(resolveStsEndpoint({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:7480', AWS_ENDPOINT_URL: 'http://other:1' }, 'eu-west-1'), 'http://127.0.0.1:7480/');
  assert.equal(resolveStsEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:7480' }, 'eu-west-1'), 'http://127.0.0.1:7480/');
  assert.equal(resolveStsEndpoint({}, 'eu-west-1'), 'https://sts.eu-west-1.amazonaws.com/');
  assert.equal(resolveStsEndpoint({ AWS_STS_REGIONAL_ENDPOINTS: 'regional' }, 'ap-south-1'), 'https://sts.ap-south-1.amazonaws.com/');
  assert.equal(resolveStsEndpoint({ AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, 'eu-west-1'), 'https://sts.amazonaws.com/');
  assert.equal(resolveStsEndpoint({}, 'cn-north-1'), 'https://sts.cn-north-1.amazonaws.com.cn/');
  assert.equal(resolveStsEndpoint({}, 'US'), 'https://sts.us-east-1.amazonaws.com/');
  assert.equal(resolveStsEndpoint({}, ''), 'https://sts.us-east-1.amazonaws.com/');
  assert.throws(() => resolveStsEndpoint({ AWS_ENDPOINT_URL_STS: 'not a url' }, 'us-east-1'), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78);
});
