// Caching and refresh of temporary credentials, with an injected clock.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { refreshingProvider } from '../../src/credentials/refresh.ts';
import { buildCredentialChain, maxAgeFromEnv } from '../../src/credentials/chain.ts';
import { CredentialsError, type Credentials } from '../../src/credentials/types.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

/** All temp files of this file live here and go away at the end. */
const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-credtest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

/** A fake source: each fetch returns credentials valid for `lifetimeMs` from the clock, numbered. */
function harness(lifetimeMs = 60 * MIN) {
  const clock = { t: T0 };
  let calls = 0;
  let gate: Deferred<void> | undefined;
  let failNext: unknown;
  const logs: string[] = [];
  const fetch = async (): Promise<Credentials> => {
    calls++;
    const n = calls;
    const startedAt = clock.t;
    if (gate) await gate.promise;
    if (failNext) {
      const e = failNext;
      failNext = undefined;
      throw e;
    }
    return { accessKeyId: `AKID${n}`, secretAccessKey: `SECRET-${n}`, sessionToken: `TOKEN-${n}`, expiration: new Date(startedAt + lifetimeMs) };
  };
  const opts = { now: () => clock.t, debug: (m: string) => logs.push(m) };
  return {
    clock,
    logs,
    get calls() {
      return calls;
    },
    hold() {
      gate = deferred<void>();
      return () => {
        const g = gate!;
        gate = undefined;
        g.resolve();
      };
    },
    failWith(e: unknown) {
      failNext = e;
    },
    provider: (extra: Parameters<typeof refreshingProvider>[3] = {}) => refreshingProvider('test', fetch, () => ({ name: 'test' }), { ...opts, ...extra }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('first get fetches, later gets use the cache', async () => {
  const h = harness();
  const p = h.provider();
  const a = await p.get();
  h.clock.t += 30 * MIN;
  const b = await p.get();
  assert.equal(h.calls, 1);
  assert.equal(a, b);
  assert.equal(a.accessKeyId, 'AKID1');
});

test('advisory window: background refresh, cached credentials returned without waiting', async () => {
  const h = harness();
  const p = h.provider();
  await p.get();
  h.clock.t += 52 * MIN; // 8 min before expiry: inside 10 min advisory, outside 5 min mandatory
  const release = h.hold();
  const during = await Promise.all([p.get(), p.get(), p.get()]);
  assert.deepEqual(during.map((c) => c.accessKeyId), ['AKID1', 'AKID1', 'AKID1'], 'served from cache while refreshing');
  assert.equal(h.calls, 2, 'one background refresh for all callers');
  release();
  await tick();
  await tick();
  const after = await p.get();
  assert.equal(after.accessKeyId, 'AKID2');
  assert.equal(h.calls, 2);
});

test('mandatory window: get waits for the refresh; concurrent callers share one fetch', async () => {
  const h = harness();
  const p = h.provider();
  await p.get();
  h.clock.t += 56 * MIN; // 4 min before expiry
  const release = h.hold();
  let settled = 0;
  const waiting = Array.from({ length: 20 }, () => p.get().then((c) => (settled++, c)));
  await tick();
  await tick();
  assert.equal(settled, 0, 'callers wait in the mandatory window');
  release();
  const got = await Promise.all(waiting);
  assert.equal(h.calls, 2, 'single flight');
  assert.ok(got.every((c) => c.accessKeyId === 'AKID2'));
});

test('expired credentials: refresh awaited; a failure is thrown, not hidden', async () => {
  const h = harness();
  const p = h.provider();
  await p.get();
  h.clock.t += 61 * MIN;
  h.failWith(new CredentialsError('STS said no', 77));
  await assert.rejects(p.get(), /STS said no/);
  const c = await p.get();
  assert.equal(c.accessKeyId, 'AKID3');
});

test('mandatory refresh failure with still-valid credentials keeps them, backs off, logs', async () => {
  const h = harness();
  const p = h.provider();
  await p.get();
  h.clock.t += 57 * MIN;
  h.failWith(new CredentialsError('temporary STS outage', 77));
  const kept = await p.get();
  assert.equal(kept.accessKeyId, 'AKID1');
  assert.equal(h.calls, 2);
  assert.ok(h.logs.some((l) => l.includes('refresh failed, keeping cached credentials') && l.includes('temporary STS outage')));
  await p.get();
  assert.equal(h.calls, 2, 'no new attempt within the failure backoff');
  h.clock.t += 11_000;
  const next = await p.get();
  assert.equal(h.calls, 3);
  assert.equal(next.accessKeyId, 'AKID3');
});

test('background refresh failure keeps the cached credentials and logs without secrets', async () => {
  const h = harness();
  const p = h.provider();
  const first = await p.get();
  h.clock.t += 51 * MIN;
  h.failWith(new CredentialsError('issuer unreachable', 77));
  const c = await p.get();
  assert.equal(c, first);
  await tick();
  await tick();
  assert.equal(h.calls, 2);
  assert.ok(h.logs.some((l) => l.includes('background refresh failed') && l.includes('issuer unreachable')), h.logs.join('|'));
  assert.ok(h.logs.every((l) => !l.includes('SECRET-') && !l.includes('TOKEN-')));
  assert.equal((await p.get()).accessKeyId, 'AKID1');
});

test('forceRefresh fetches now, single flight, and coalesces a burst', async () => {
  const h = harness();
  const p = h.provider();
  await p.get();
  h.clock.t += 5 * MIN;
  const release = h.hold();
  const burst = [p.get({ forceRefresh: true }), p.get({ forceRefresh: true }), p.get({ forceRefresh: true })];
  release();
  const got = await Promise.all(burst);
  assert.equal(h.calls, 2);
  assert.ok(got.every((c) => c.accessKeyId === 'AKID2'));
  h.clock.t += 200; // a late ExpiredToken answer from the same burst
  assert.equal((await p.get({ forceRefresh: true })).accessKeyId, 'AKID2');
  assert.equal(h.calls, 2);
  h.clock.t += 2_000;
  assert.equal((await p.get({ forceRefresh: true })).accessKeyId, 'AKID3');
});

test('max age caps freshness whatever the expiration says', async () => {
  const h = harness();
  const p = h.provider({ maxAgeMs: 5_000 });
  await p.get();
  h.clock.t += 4_900;
  assert.equal((await p.get()).accessKeyId, 'AKID1');
  h.clock.t += 100;
  assert.equal((await p.get()).accessKeyId, 'AKID2');
  h.clock.t += 5_000;
  assert.equal((await p.get()).accessKeyId, 'AKID3');
  assert.equal(h.calls, 3);
});

test('short-lived credentials are not refetched on every call', async () => {
  const h = harness(4 * MIN); // shorter than both windows
  const p = h.provider();
  await p.get();
  h.clock.t += 30_000;
  await p.get();
  assert.equal(h.calls, 1, 'windows shrink to the lifetime');
  h.clock.t += 2.5 * MIN; // past half the lifetime
  assert.equal((await p.get()).accessKeyId, 'AKID2');
});

test('S3K_CREDENTIALS_MAX_AGE_SECONDS parsing', () => {
  assert.equal(maxAgeFromEnv({}), undefined);
  assert.equal(maxAgeFromEnv({ S3K_CREDENTIALS_MAX_AGE_SECONDS: '5' }), 5000);
  assert.equal(maxAgeFromEnv({ S3K_CREDENTIALS_MAX_AGE_SECONDS: '0.5' }), 500);
  for (const bad of ['0', '-1', 'soon'])
    assert.throws(() => maxAgeFromEnv({ S3K_CREDENTIALS_MAX_AGE_SECONDS: bad }), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78);
});

// End to end through the chain: web identity + max age re-reads the rotated token file.
function b64url(o: unknown) {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
function jwt(jti: string) {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'RS256' })}.${b64url({ iss: 'http://127.0.0.1:8999', sub: 'system:serviceaccount:default:s3k', aud: 'sts.amazonaws.com', exp: now + 3600, jti })}.c2ln`;
}

test('chain with S3K_CREDENTIALS_MAX_AGE_SECONDS=5: every 5 s a new STS call with the current token', async () => {
  const tokens: string[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tokens.push(decodeURIComponent(/WebIdentityToken=([^&]*)/.exec(body)![1]!));
      n++;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA${n}</AccessKeyId><SecretAccessKey>s${n}</SecretAccessKey><SessionToken>t${n}</SessionToken><Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const dir = mkdtempSync(path.join(TMP_ROOT, 's3k-maxage-'));
    const file = path.join(dir, 'token');
    writeFileSync(file, jwt('a'));
    let clock = Date.now();
    const chain = buildCredentialChain({
      env: {
        HOME: dir,
        AWS_ROLE_ARN: 'arn:aws:iam:::role/s3-full-access',
        AWS_WEB_IDENTITY_TOKEN_FILE: file,
        AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        S3K_CREDENTIALS_MAX_AGE_SECONDS: '5',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      region: 'us-east-1',
      now: () => clock,
      retry: { baseMs: 1, capMs: 2 },
    });
    assert.equal((await chain.get()).accessKeyId, 'ASIA1');
    writeFileSync(file, jwt('b'));
    clock += 3_000;
    assert.equal((await chain.get()).accessKeyId, 'ASIA1');
    clock += 2_000;
    assert.equal((await chain.get()).accessKeyId, 'ASIA2');
    assert.equal(tokens.length, 2);
    assert.match(Buffer.from(tokens[0]!.split('.')[1]!, 'base64url').toString(), /"jti":"a"/);
    assert.match(Buffer.from(tokens[1]!.split('.')[1]!, 'base64url').toString(), /"jti":"b"/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
