// Container credentials (ECS, EKS Pod Identity) against a loopback agent emulator.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  containerConfigFromEnv,
  containerProvider,
  fetchContainerCredentials,
  isAllowedContainerUrl,
} from '../../src/credentials/container.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

/** All temp files of this file live here and go away at the end. */
const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-credtest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

const FAST = { maxRetries: 3, baseMs: 1, capMs: 2 };

interface Seen {
  url: string;
  authorization?: string;
}
type Reply = { status: number; json?: unknown; raw?: string } | 'silent';

let n = 0;
function creds(expiresInSec = 3600) {
  n++;
  return {
    AccessKeyId: `ASIAPODID${String(n).padStart(8, '0')}`,
    SecretAccessKey: `pod-secret-${n}`,
    Token: `pod-session-token-${n}`,
    Expiration: new Date(Date.now() + expiresInSec * 1000).toISOString(),
  };
}

async function startAgent(handler: (s: Seen, i: number) => Reply) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const s: Seen = { url: req.url ?? '', authorization: req.headers.authorization };
    seen.push(s);
    const r = handler(s, seen.length);
    if (r === 'silent') return; // never answer
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.raw ?? JSON.stringify(r.json));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const tmp = () => mkdtempSync(path.join(TMP_ROOT, 's3k-ctr-'));

async function rejectsWith(p: Promise<unknown>, check: (e: CredentialsError) => void): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CredentialsError, `expected CredentialsError, got ${String(e)}`);
    assert.equal(e.message.includes('\n'), false);
    check(e);
    return;
  }
  assert.fail('expected a rejection');
}

test('EKS Pod Identity: GET with the token file as Authorization, re-read on every request', async () => {
  const agent = await startAgent(() => ({ status: 200, json: creds() }));
  try {
    const file = path.join(tmp(), 'eks-pod-identity-token');
    writeFileSync(file, 'pod-token-v1\n');
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file })!;
    let clock = Date.now();
    const p = containerProvider(cfg, { retry: FAST, now: () => clock, refresh: { forceCoalesceMs: 0 } });
    const c1 = await p.get();
    writeFileSync(file, 'pod-token-v2');
    clock += 5_000;
    const c2 = await p.get({ forceRefresh: true });
    assert.equal(agent.seen.length, 2);
    assert.equal(agent.seen[0]!.url, '/v1/credentials');
    assert.equal(agent.seen[0]!.authorization, 'pod-token-v1', 'token trimmed');
    assert.equal(agent.seen[1]!.authorization, 'pod-token-v2', 'token file re-read');
    assert.match(c1.accessKeyId, /^ASIAPODID/);
    assert.notEqual(c1.accessKeyId, c2.accessKeyId);
    assert.match(c2.secretAccessKey, /^pod-secret-/);
    assert.match(c2.sessionToken!, /^pod-session-token-/);
    assert.ok(c2.expiration && c2.expiration.getTime() > Date.now());
    const s = p.source();
    assert.equal(s.name, 'container');
    assert.equal(s.details!.endpoint, agent.url);
    assert.equal(s.details!.tokenFile, file);
    assert.equal(JSON.stringify(s).includes('pod-token-v2'), false);
  } finally {
    await agent.close();
  }
});

test('AWS_CONTAINER_AUTHORIZATION_TOKEN wins over the token file', async () => {
  const agent = await startAgent(() => ({ status: 200, json: creds() }));
  try {
    const file = path.join(tmp(), 'tok');
    writeFileSync(file, 'from-file');
    const cfg = containerConfigFromEnv({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'from-env',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file,
    })!;
    await fetchContainerCredentials(cfg, { retry: FAST });
    assert.equal(agent.seen[0]!.authorization, 'from-env');
  } finally {
    await agent.close();
  }
});

test('no token configured: no Authorization header', async () => {
  const agent = await startAgent(() => ({ status: 200, json: creds() }));
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url })!;
    await fetchContainerCredentials(cfg, { retry: FAST });
    assert.equal(agent.seen[0]!.authorization, undefined);
  } finally {
    await agent.close();
  }
});

test('URL allow-list follows the SDKs', () => {
  for (const ok of [
    'http://127.0.0.1/x',
    'http://127.9.8.7:8080/x',
    'http://[::1]/x',
    'http://localhost:1234/x',
    'http://169.254.170.2/v2/credentials/abc',
    'http://169.254.170.23/v1/credentials',
    'http://[fd00:ec2::23]/v1/credentials',
    'https://example.com/creds',
  ])
    assert.equal(isAllowedContainerUrl(new URL(ok)), true, ok);
  for (const bad of ['http://example.com/creds', 'http://169.254.169.254/latest', 'http://10.0.0.1/x', 'http://127.0.0.1.evil.test/x', 'ftp://127.0.0.1/x', 'http://[fd00:ec2::24]/x'])
    assert.equal(isAllowedContainerUrl(new URL(bad)), false, bad);
});

test('a disallowed full URI is a configuration error and is never contacted', async () => {
  assert.throws(
    () => containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds?x=1' }),
    (e: unknown) =>
      e instanceof CredentialsError &&
      e.exitCode === 78 &&
      e.message.includes('AWS_CONTAINER_CREDENTIALS_FULL_URI http://example.com/creds is not allowed') &&
      e.message.includes('169.254.170.23') &&
      !e.message.includes('x=1'),
  );
  // Even a hand-built config is refused before any connection (no DNS lookup, no socket).
  const t0 = Date.now();
  await rejectsWith(
    fetchContainerCredentials({ url: new URL('http://example.com/creds'), urlSetting: 'AWS_CONTAINER_CREDENTIALS_FULL_URI' }, { retry: FAST, timeoutMs: 5000 }),
    (e) => assert.equal(e.exitCode, 78),
  );
  assert.ok(Date.now() - t0 < 200);
});

test('relative URI goes to 169.254.170.2 and wins over the full URI (config only, no request)', () => {
  const cfg = containerConfigFromEnv({
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/1234-abcd',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/x',
  })!;
  assert.equal(cfg.url.toString(), 'http://169.254.170.2/v2/credentials/1234-abcd');
  assert.equal(cfg.urlSetting, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
  assert.equal(containerConfigFromEnv({}), undefined);
});

test('non-200 with {Code, Message}: both in the message, auth hint on 401/403, not retried', async () => {
  const agent = await startAgent(() => ({ status: 400, json: { Code: 'ExpiredTokenException', Message: 'The token included in the request is expired' } }));
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'secret-auth-token' })!;
    await rejectsWith(fetchContainerCredentials(cfg, { retry: FAST }), (e) => {
      assert.equal(e.exitCode, 77);
      assert.match(e.message, /HTTP 400 \(ExpiredTokenException: The token included in the request is expired\)/);
      assert.ok(e.message.includes(agent.url));
    });
    assert.equal(agent.seen.length, 1);
  } finally {
    await agent.close();
  }
  const agent2 = await startAgent(() => ({ status: 401, json: { Code: 'AccessDeniedException', Message: 'bad token secret-auth-token' } }));
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent2.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'secret-auth-token' })!;
    await rejectsWith(fetchContainerCredentials(cfg, { retry: FAST }), (e) => {
      assert.match(e.message, /HTTP 401/);
      assert.match(e.message, /check the authorization token \(AWS_CONTAINER_AUTHORIZATION_TOKEN\)/);
      assert.equal(e.message.includes('secret-auth-token'), false, 'the token is redacted from echoed messages');
    });
  } finally {
    await agent2.close();
  }
});

test('5xx is retried, then success', async () => {
  const agent = await startAgent((_s, i) => (i < 3 ? { status: 503, raw: 'busy' } : { status: 200, json: creds() }));
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url })!;
    const c = await fetchContainerCredentials(cfg, { retry: FAST });
    assert.equal(agent.seen.length, 3);
    assert.match(c.accessKeyId, /^ASIAPODID/);
  } finally {
    await agent.close();
  }
});

test('a silent agent times out quickly', async () => {
  const agent = await startAgent(() => 'silent');
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url })!;
    const t0 = Date.now();
    await rejectsWith(fetchContainerCredentials(cfg, { retry: { ...FAST, maxRetries: 1 }, timeoutMs: 150 }), (e) => {
      assert.match(e.message, /ETIMEDOUT/);
      assert.match(e.message, /2 attempts/);
    });
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(agent.seen.length, 2);
  } finally {
    await agent.close();
  }
});

test('unreachable agent names the endpoint and the Pod Identity Agent', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1/credentials`;
  const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })!;
  await rejectsWith(fetchContainerCredentials(cfg, { retry: FAST }), (e) => {
    assert.equal(e.exitCode, 77);
    assert.ok(e.message.includes(`cannot reach the container credentials endpoint ${url}`));
    assert.match(e.message, /ECONNREFUSED/);
    assert.match(e.message, /eks-pod-identity-agent/);
    assert.match(e.message, /4 attempts/);
  });
});

test('missing or empty authorization token file', async () => {
  const agent = await startAgent(() => ({ status: 200, json: creds() }));
  try {
    const dir = tmp();
    const missing = path.join(dir, 'missing');
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: missing })!;
    await rejectsWith(fetchContainerCredentials(cfg, { retry: FAST }), (e) => {
      assert.ok(e.message.includes(missing));
      assert.match(e.message, /ENOENT/);
      assert.match(e.message, /eks-pod-identity-token/);
    });
    const empty = path.join(dir, 'empty');
    writeFileSync(empty, '\n');
    const cfg2 = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: empty })!;
    await rejectsWith(fetchContainerCredentials(cfg2, { retry: FAST }), (e) => {
      assert.ok(e.message.includes(empty));
      assert.match(e.message, /is empty/);
    });
    assert.equal(agent.seen.length, 0);
  } finally {
    await agent.close();
  }
});

test('200 without keys is an error', async () => {
  const agent = await startAgent(() => ({ status: 200, json: { hello: 'world' } }));
  try {
    const cfg = containerConfigFromEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url })!;
    await rejectsWith(fetchContainerCredentials(cfg, { retry: FAST }), (e) => assert.match(e.message, /without AccessKeyId and SecretAccessKey/));
  } finally {
    await agent.close();
  }
});
