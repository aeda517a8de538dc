// Proxies: s3k against the lab's S3 (http://127.0.0.1) through a counting forward proxy on
// 127.0.0.1, set by HTTP_PROXY or .s3cfg proxy_host/proxy_port; NO_PROXY bypasses it; user:password
// in the proxy URL becomes Basic Proxy-Authorization and never shows in -d output or errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, labEndpoint, s3k, tempDir, uniqueBucket } from '../support/lab.ts';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.ts';

const env = adminEnv();
const ENDPOINT = new URL(labEndpoint());

describe('HTTP proxies', () => {
  const bucket = uniqueBucket('proxy');
  const work = tempDir('proxy');
  let proxy: ForwardProxy;

  before(async () => {
    proxy = await startForwardProxy();
  });
  after(async () => {
    await proxy.close();
    await adminDeleteBucket(bucket).catch(() => undefined);
  });

  it('HTTP_PROXY: mb, put, ls, get go through the proxy as absolute-form requests', async () => {
    const e = { ...env, HTTP_PROXY: proxy.url };
    const src = path.join(work, 'src.bin');
    fs.writeFileSync(src, Buffer.alloc(100_000, 7));
    for (const args of [['mb', `s3://${bucket}`], ['put', src, `s3://${bucket}/a.bin`], ['ls', `s3://${bucket}`], ['get', '--force', `s3://${bucket}/a.bin`, path.join(work, 'out.bin')]]) {
      const before = proxy.requests.length;
      const r = await s3k(args, { env: e });
      assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
      assert.ok(proxy.requests.length > before, `${args[0]} went through the proxy`);
    }
    assert.deepEqual(fs.readFileSync(path.join(work, 'out.bin')), fs.readFileSync(src));
    const methods = new Set(proxy.requests.map((q) => q.method));
    for (const m of ['PUT', 'GET']) assert.ok(methods.has(m), `${m} seen: ${[...methods]}`);
    for (const q of proxy.requests) {
      assert.ok(q.target.startsWith(`http://${ENDPOINT.host}/`), `absolute-form: ${q.target}`);
      assert.equal(q.host, ENDPOINT.host);
      assert.equal(q.proxyAuthorization, undefined);
    }
  });

  it('lower-case http_proxy works too; HTTPS_PROXY alone does not apply to an http:// endpoint', async () => {
    let n = proxy.requests.length;
    const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, http_proxy: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.requests.length > n);
    n = proxy.requests.length;
    const r2 = await s3k(['ls', `s3://${bucket}`], { env: { ...env, HTTPS_PROXY: proxy.url } });
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(proxy.requests.length, n);
  });

  for (const noProxy of ['127.0.0.1', `127.0.0.1:${ENDPOINT.port}`, '127.0.0.0/8', '*', 'example.com,127.0.0.1'])
    it(`NO_PROXY=${noProxy}: the proxy sees nothing`, async () => {
      const n = proxy.requests.length;
      const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, HTTP_PROXY: proxy.url, NO_PROXY: noProxy } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /a\.bin/);
      assert.equal(proxy.requests.length, n);
    });

  it('NO_PROXY for another host or port does not bypass it', async () => {
    const n = proxy.requests.length;
    const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, HTTP_PROXY: proxy.url, no_proxy: `example.com,127.0.0.1:1,10.0.0.0/8` } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.requests.length > n);
  });

  it('.s3cfg proxy_host/proxy_port', async () => {
    const cfg = path.join(work, 's3cfg');
    fs.writeFileSync(cfg, `[default]\nproxy_host = 127.0.0.1\nproxy_port = ${proxy.port}\n`);
    const n = proxy.requests.length;
    const r = await s3k(['-c', cfg, 'ls', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /a\.bin/);
    assert.ok(proxy.requests.length > n);
  });

  it('an invalid proxy URL exits 78 with one line', async () => {
    const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, HTTP_PROXY: 'socks5://alice:topsecret9@127.0.0.1:1' } });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /unsupported proxy scheme/);
    assert.doesNotMatch(r.stderr, /topsecret9/);
  });
});

describe('proxy credentials', () => {
  const bucket = uniqueBucket('proxyauth');
  let proxy: ForwardProxy;
  const pass = 'pr0xy-s3cret:@x';
  before(async () => {
    proxy = await startForwardProxy({ auth: { user: 'alice', pass } });
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await proxy.close();
    await adminDeleteBucket(bucket).catch(() => undefined);
  });

  it('user:password@ in HTTP_PROXY is sent as Basic Proxy-Authorization, redacted under -d', async () => {
    const url = `http://alice:${encodeURIComponent(pass)}@127.0.0.1:${proxy.port}`;
    const r = await s3k(['-d', 'ls', `s3://${bucket}`], { env: { ...env, HTTP_PROXY: url } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.requests.length > 0);
    assert.equal(proxy.rejected, 0);
    const b64 = Buffer.from(`alice:${pass}`).toString('base64');
    for (const q of proxy.requests) assert.equal(q.proxyAuthorization, `Basic ${b64}`);
    assert.match(r.stderr, /proxy: http http:\/\/alice:<redacted>@127\.0\.0\.1/);
    for (const leak of [pass, encodeURIComponent(pass), b64]) assert.ok(!r.stderr.includes(leak) && !r.stdout.includes(leak), `leaked ${leak}`);
  });

  it('a wrong password fails (407) without showing either password', async () => {
    const url = `http://alice:wrong-passw0rd@127.0.0.1:${proxy.port}`;
    const r = await s3k(['-d', 'ls', `s3://${bucket}`], { env: { ...env, HTTP_PROXY: url } });
    assert.notEqual(r.code, 0);
    assert.ok(proxy.rejected > 0);
    assert.match(r.stderr, /407/);
    assert.ok(!r.stderr.includes('wrong-passw0rd') && !r.stderr.includes(pass), r.stderr);
  });
});
