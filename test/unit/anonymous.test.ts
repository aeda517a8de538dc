// --no-sign-request: the option record, the context (no credential chain at all) and the S3 client
// (no signing headers; a 403 says the request was unsigned). Against a local node:http server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { S3Client } from '../../src/s3/client.ts';
import { AnonymousAccessDenied, S3Error } from '../../src/s3/errors.ts';
import { closeH1Pools } from '../../src/net/h1.ts';
import { parseCommandLine, optionByDest } from '../../src/cli/options.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { createContext } from '../../src/commands/context.ts';
import { CredentialsError, type CredentialProvider } from '../../src/credentials/types.ts';

const env = { HOME: '/nonexistent-home-s3k' };

describe('--no-sign-request', () => {
  let server: http.Server;
  let endpoint: URL;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer(async (req, res) => {
      for await (const _ of req) void _;
      seen.push(req.headers);
      const body = req.url === '/private/' ? '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>' : '<ListBucketResult></ListBucketResult>';
      res.writeHead(req.url === '/private/' ? 403 : 200, { 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const untouchable: CredentialProvider = {
    get: async () => assert.fail('no credentials may be asked for'),
    source: () => ({ name: 'never' }),
  };
  const client = () => new S3Client({ endpoint, region: 'us-east-1', credentials: untouchable, retry: { maxRetries: 0 }, timeoutMs: 5000, anonymous: true });

  it('is a command-line flag only: no .s3cfg key, no environment variable', () => {
    const r = optionByDest('no_sign_request');
    assert.equal(r.s3cfg, undefined);
    assert.equal(r.env, undefined);
    assert.equal(parseCommandLine(['--no-sign-request', 'ls']).values['no-sign-request'], true);
    assert.equal(resolveSettings(parseCommandLine(['--no-sign-request']).values, env).noSignRequest, true);
    assert.equal(resolveSettings({}, env).noSignRequest, false);
  });

  it('requests go out without Authorization or any X-Amz signing header; the provider is never asked', async () => {
    seen.length = 0;
    const res = await client().send({ method: 'GET', bucket: 'public', query: { 'list-type': '2' } });
    assert.equal(res.status, 200);
    assert.equal(seen.length, 1);
    for (const h of ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']) assert.equal(seen[0]![h], undefined, h);
  });

  it('a 403 is exit 77 with one line saying the request was unsigned', async () => {
    await assert.rejects(client().send({ method: 'GET', bucket: 'private' }), (e: unknown) => {
      assert.ok(e instanceof AnonymousAccessDenied && e instanceof S3Error);
      assert.equal(e.exitCode, 77);
      assert.deepEqual(e.render(), [
        'ERROR: S3 error: 403 (AccessDenied): Access Denied - the request was unsigned (--no-sign-request), so only public buckets and objects can be read; drop --no-sign-request to use credentials',
      ]);
      return true;
    });
  });

  it('the context builds no credential chain: whoami and signurl get one line (78) saying why there are no credentials', async () => {
    // Keys in the environment would make a chain answer; --no-sign-request must not consult it.
    const e2 = { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
    const ctx = createContext(resolveSettings({ 'no-sign-request': true }, e2), e2);
    assert.equal(ctx.s3().opts.anonymous, true);
    assert.equal(ctx.credentials().source().name, 'none (--no-sign-request)');
    await assert.rejects(ctx.credentials().get(), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78 && /^--no-sign-request is set: s3k sends unsigned requests and looks up no credentials/.test(e.message));
  });
});
