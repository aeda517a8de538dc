// IMDSv2 against a loopback emulator (AWS_EC2_METADATA_SERVICE_ENDPOINT). Never contacts 169.254.169.254.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchImdsCredentials, imdsDisabled, imdsEndpoint, imdsProvider, ImdsError } from '../../src/credentials/imds.ts';
import { buildCredentialChain } from '../../src/credentials/chain.ts';
import { CredentialsError } from '../../src/credentials/types.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

/** All temp files of this file live here and go away at the end. */
const TMP_ROOT = mkdtempSync(path.join(tmpdir(), 's3k-credtest-'));
after(() => rmSync(TMP_ROOT, { recursive: true, force: true }));

interface Seen {
  method: string;
  url: string;
  ttl?: string;
  token?: string;
}

interface ImdsBehaviour {
  role?: string | null;
  putStatus?: number;
  failFirst?: number;
  code?: string;
}

let issued = 0;
async function startImds(b: ImdsBehaviour = {}) {
  const seen: Seen[] = [];
  const tokens = new Set<string>();
  let failures = b.failFirst ?? 0;
  const role = b.role === undefined ? 'node-role' : b.role;
  const server = http.createServer((req, res) => {
    const s: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      ttl: req.headers['x-aws-ec2-metadata-token-ttl-seconds'] as string | undefined,
      token: req.headers['x-aws-ec2-metadata-token'] as string | undefined,
    };
    seen.push(s);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (failures > 0) {
      failures--;
      return send(500, 'internal');
    }
    if (s.method === 'PUT' && s.url === '/latest/api/token') {
      if (b.putStatus) return send(b.putStatus, '');
      if (!s.ttl) return send(400, 'missing ttl');
      const t = `imds-session-${++issued}`;
      tokens.add(t);
      return send(200, t);
    }
    if (s.method !== 'GET') return send(405, '');
    if (!s.token || !tokens.has(s.token)) return send(401, '');
    if (s.url === '/latest/meta-data/iam/security-credentials/') return role ? send(200, `${role}\n`) : send(404, '');
    if (role && s.url === `/latest/meta-data/iam/security-credentials/${role}`)
      return send(
        200,
        JSON.stringify({
          Code: b.code ?? 'Success',
          LastUpdated: new Date().toISOString(),
          Type: 'AWS-HMAC',
          AccessKeyId: `ASIAIMDS${issued}`,
          SecretAccessKey: `imds-secret-${issued}`,
          Token: `imds-token-${issued}`,
          Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
        }),
      );
    return send(404, '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { endpoint: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const FAST = { baseMs: 1, capMs: 2 };

test('IMDSv2 flow: PUT token (ttl 21600), GET role, GET credentials with the token', async () => {
  const imds = await startImds();
  try {
    const r = await fetchImdsCredentials(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }), { retry: FAST });
    assert.deepEqual(
      imds.seen.map((s) => `${s.method} ${s.url}`),
      ['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/', 'GET /latest/meta-data/iam/security-credentials/node-role'],
    );
    assert.equal(imds.seen[0]!.ttl, '21600');
    assert.equal(imds.seen[0]!.token, undefined);
    assert.match(imds.seen[1]!.token!, /^imds-session-\d+$/);
    assert.equal(imds.seen[2]!.token, imds.seen[1]!.token);
    assert.equal(r.roleName, 'node-role');
    assert.match(r.credentials.accessKeyId, /^ASIAIMDS\d+$/);
    assert.match(r.credentials.sessionToken!, /^imds-token-/);
    assert.ok(r.credentials.expiration!.getTime() > Date.now() + 5 * 3600_000);
  } finally {
    await imds.close();
  }
});

test('provider caches and describes endpoint and role', async () => {
  const imds = await startImds({ role: 'my-instance-role' });
  try {
    const p = imdsProvider(new URL(imds.endpoint), { retry: FAST });
    const a = await p.get();
    const b = await p.get();
    assert.equal(a, b);
    assert.equal(imds.seen.length, 3);
    assert.deepEqual(p.source(), {
      name: 'imds',
      details: { endpoint: imds.endpoint, roleName: 'my-instance-role', expiration: a.expiration!.toISOString() },
    });
  } finally {
    await imds.close();
  }
});

test('5xx is retried once', async () => {
  const imds = await startImds({ failFirst: 1 });
  try {
    const r = await fetchImdsCredentials(new URL(imds.endpoint), { retry: FAST });
    assert.equal(r.roleName, 'node-role');
    assert.equal(imds.seen.length, 4);
  } finally {
    await imds.close();
  }
});

test('no role attached: 404 on the role list says so', async () => {
  const imds = await startImds({ role: null });
  try {
    await assert.rejects(fetchImdsCredentials(new URL(imds.endpoint), { retry: FAST }), (e: unknown) => {
      assert.ok(e instanceof ImdsError);
      assert.equal(e.unreachable, false);
      assert.match(e.message, /HTTP 404/);
      assert.match(e.message, /no instance profile/);
      return true;
    });
  } finally {
    await imds.close();
  }
});

test('token PUT refused (IMDSv2 unavailable) is reported, no v1 fallback', async () => {
  const imds = await startImds({ putStatus: 403 });
  try {
    await assert.rejects(fetchImdsCredentials(new URL(imds.endpoint), { retry: FAST }), (e: unknown) => {
      assert.ok(e instanceof ImdsError);
      assert.match(e.message, /HTTP 403 to PUT \/latest\/api\/token/);
      return true;
    });
    assert.equal(imds.seen.length, 1, 'no GET without a session token');
  } finally {
    await imds.close();
  }
});

test('non-Success Code in the credentials document is an error', async () => {
  const imds = await startImds({ code: 'AssumeRoleUnauthorizedAccess' });
  try {
    await assert.rejects(fetchImdsCredentials(new URL(imds.endpoint), { retry: FAST }), /AssumeRoleUnauthorizedAccess instead of credentials/);
  } finally {
    await imds.close();
  }
});

test('nothing listening: unreachable, quickly, no retry of connection errors', async () => {
  const port = await closedPort();
  const t0 = Date.now();
  await assert.rejects(fetchImdsCredentials(new URL(`http://127.0.0.1:${port}`), { retry: FAST }), (e: unknown) => {
    assert.ok(e instanceof ImdsError);
    assert.equal(e.unreachable, true);
    assert.match(e.message, /unreachable/);
    assert.match(e.message, /ECONNREFUSED/);
    return true;
  });
  assert.ok(Date.now() - t0 < 1000);
});

test('disabled flag and endpoint settings', () => {
  assert.equal(imdsDisabled({ AWS_EC2_METADATA_DISABLED: 'true' }), true);
  assert.equal(imdsDisabled({ AWS_EC2_METADATA_DISABLED: 'TRUE' }), true);
  assert.equal(imdsDisabled({ AWS_EC2_METADATA_DISABLED: 'false' }), false);
  assert.equal(imdsDisabled({}), false);
  assert.equal(imdsEndpoint({}).toString(), 'http://169.254.169.254/');
  assert.equal(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).toString(), 'http://[fd00:ec2::254]/');
  assert.equal(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1234' }).toString(), 'http://127.0.0.1:1234/');
  assert.throws(() => imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'nope' }), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78);
});

test('chain: IMDS is used last, and skipped entirely when AWS_EC2_METADATA_DISABLED=true', async () => {
  const imds = await startImds();
  const home = mkdtempSync(path.join(TMP_ROOT, 's3k-imds-home-'));
  try {
    const env = { HOME: home, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
    const chain = buildCredentialChain({ env, region: 'us-east-1', retry: FAST });
    const c = await chain.get();
    assert.match(c.accessKeyId, /^ASIAIMDS/);
    assert.equal(chain.source().name, 'imds');
    const before = imds.seen.length;
    const off = buildCredentialChain({ env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' }, region: 'us-east-1', retry: FAST });
    await assert.rejects(off.get(), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /IMDSv2 \(disabled by AWS_EC2_METADATA_DISABLED\)/.test(e.message));
    assert.equal(imds.seen.length, before, 'disabled IMDS is never contacted');
  } finally {
    await imds.close();
  }
});
