// Proxies: s3k against the lab's S3 (http://127.0.0.1) through a counting forward proxy on
// 127.0.0.1, set by HTTP_PROXY or .s3cfg proxy_host/proxy_port; NO_PROXY bypasses it; user:password
// in the proxy URL becomes Basic Proxy-Authorization and never shows in -d output or errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, assumeRole, irsaEnv, labCaFile, labEndpoint, labHttpsEndpoint, mintToken, s3k, setupIrsa, tempDir, uniqueBucket, writeToken } from '../support/lab.ts';
import { startContainerAgent, startImds } from '../support/emulators.ts';
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

  it('ALL_PROXY alone: requests go through it; a socks:// ALL_PROXY exits 78 with one line, no password', async () => {
    const n = proxy.requests.length;
    const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, ALL_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(proxy.requests.length > n, 'went through ALL_PROXY');
    const s = await s3k(['ls', `s3://${bucket}`], { env: { ...env, ALL_PROXY: 'socks5://alice:topsecret9@127.0.0.1:1080' } });
    assert.equal(s.code, 78, s.stderr);
    assert.equal(s.stderr.trimEnd().split('\n').length, 1, s.stderr);
    assert.match(s.stderr, /^ERROR: unsupported proxy scheme socks5: in ALL_PROXY .*not SOCKS; set HTTPS_PROXY and HTTP_PROXY to an http:\/\/HOST:PORT proxy, or unset ALL_PROXY$/m);
    assert.doesNotMatch(s.stderr, /topsecret9/);
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

describe('credential endpoints and proxies', () => {
  let proxy: ForwardProxy;
  let roleArn = '';
  const dir = tempDir('proxycred');
  const tokenFile = path.join(dir, 'token');
  const closers: (() => Promise<void>)[] = [];
  const s3Only = () => ({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: labEndpoint(), AWS_ENDPOINT_URL_STS: labEndpoint() });
  before(async () => {
    proxy = await startForwardProxy();
    ({ roleArn } = await setupIrsa());
    await writeToken(tokenFile);
  });
  after(async () => {
    for (const c of closers) await c();
    await proxy.close();
  });

  it('STS (IRSA web identity) goes through the proxy like S3', async () => {
    const n = proxy.requests.length;
    const r = await s3k(['ls'], { env: { ...irsaEnv(roleArn, tokenFile), HTTP_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    const seen = proxy.requests.slice(n);
    assert.ok(seen.some((q) => q.method === 'POST'), `STS POST through the proxy: ${seen.map((q) => `${q.method} ${q.target}`)}`);
    assert.ok(seen.some((q) => q.method === 'GET'), 'S3 through the proxy');
  });

  it('the container agent (Pod Identity / ECS) is never proxied', async () => {
    const creds = await assumeRole(await mintToken(), roleArn);
    const agent = await startContainerAgent({ credentials: () => creds });
    closers.push(agent.close);
    const n = proxy.requests.length;
    const r = await s3k(['ls'], { env: { ...s3Only(), AWS_CONTAINER_CREDENTIALS_FULL_URI: agent.url, HTTP_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(agent.requests.length > 0);
    const port = new URL(agent.url).port;
    const seen = proxy.requests.slice(n);
    assert.ok(seen.length > 0, 'S3 went through the proxy');
    assert.ok(seen.every((q) => !q.target.includes(`:${port}/`)), seen.map((q) => q.target).join(' '));
  });

  it('IMDS is never proxied', async () => {
    const creds = await assumeRole(await mintToken(), roleArn);
    const imds = await startImds({ roleName: 'node-role', credentials: () => creds });
    closers.push(imds.close);
    const n = proxy.requests.length;
    const r = await s3k(['ls'], {
      env: { ...s3Only(), AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, HTTP_PROXY: proxy.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(imds.requests.length > 0);
    const port = new URL(imds.url).port;
    const seen = proxy.requests.slice(n);
    assert.ok(seen.length > 0, 'S3 went through the proxy');
    assert.ok(seen.every((q) => !q.target.includes(`:${port}/`)), seen.map((q) => q.target).join(' '));
  });
});

describe('HTTPS through a CONNECT tunnel', () => {
  let proxy: ForwardProxy;
  let server: https.Server;
  let port = 0;
  const dir = tempDir('proxytls');
  const bucket = uniqueBucket('proxytls');
  before(async () => {
    proxy = await startForwardProxy({ auth: { user: 'bob', pass: 'tunnel-pass' } });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      const p = http.request({ host: ENDPOINT.hostname, port: ENDPOINT.port, method: req.method, path: req.url, headers: req.headers }, (u) => {
        res.writeHead(u.statusCode ?? 502, u.headers);
        u.pipe(res);
      });
      p.on('error', () => res.destroy());
      req.pipe(p);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await proxy.close();
    await adminDeleteBucket(bucket).catch(() => undefined);
  });

  it('HTTPS_PROXY: mb, put, get through CONNECT with Basic auth; the certificate is checked end to end', async () => {
    const e = { ...env, AWS_ENDPOINT_URL: `https://127.0.0.1:${port}`, HTTPS_PROXY: `http://bob:tunnel-pass@127.0.0.1:${proxy.port}` };
    const ca = ['--ca-certs', path.join(dir, 'cert.pem')];
    const src = path.join(dir, 'x.txt');
    fs.writeFileSync(src, 'through the tunnel\n');
    for (const args of [['mb', `s3://${bucket}`], ['put', src, `s3://${bucket}/x.txt`], ['get', '--force', `s3://${bucket}/x.txt`, path.join(dir, 'y.txt')]]) {
      const r = await s3k([...ca, '-d', ...args], { env: e });
      assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
      assert.ok(!r.stderr.includes('tunnel-pass'));
    }
    assert.equal(fs.readFileSync(path.join(dir, 'y.txt'), 'utf8'), 'through the tunnel\n');
    assert.ok(proxy.connects.length >= 3);
    for (const c of proxy.connects) {
      assert.equal(c.authority, `127.0.0.1:${port}`);
      assert.equal(c.proxyAuthorization, `Basic ${Buffer.from('bob:tunnel-pass').toString('base64')}`);
    }
    assert.equal(proxy.requests.length, 0, 'nothing in the clear');
    // without the CA the tunnel still ends at the real server: verification fails (77)
    const r = await s3k(['ls', `s3://${bucket}`], { env: e });
    assert.equal(r.code, 77, r.stderr);
  });
});

describe('keep-alive through the proxy', () => {
  let proxy: ForwardProxy;
  const dir = tempDir('proxyka');
  const files = 50;
  before(async () => {
    proxy = await startForwardProxy();
    fs.mkdirSync(path.join(dir, 'tree'));
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, 'tree', `f${String(i).padStart(2, '0')}.txt`), `small object ${i}\n`);
  });
  after(async () => {
    await proxy.close();
  });

  it('HTTPS_PROXY to the lab https endpoint: put -r of 50 files opens at most --parallel CONNECT tunnels, not one per object', async () => {
    const bucket = uniqueBucket('proxyka');
    const https = labHttpsEndpoint();
    const e = { ...env, AWS_ENDPOINT_URL: https, HTTPS_PROXY: proxy.url };
    const ca = ['--ca-certs', labCaFile()];
    try {
      let r = await s3k([...ca, 'mb', `s3://${bucket}`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      const before = proxy.connects.length;
      assert.ok(before >= 1, 'mb went through a tunnel');
      r = await s3k([...ca, '--parallel', '4', 'put', '-r', path.join(dir, 'tree') + '/', `s3://${bucket}/t/`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      const tunnels = proxy.connects.length - before;
      assert.ok(tunnels >= 1 && tunnels <= 4, `${tunnels} CONNECTs for ${files} objects with --parallel 4`);
      for (const c of proxy.connects) assert.equal(c.authority, new URL(https).host);
      assert.equal(proxy.requests.length, 0, 'nothing in the clear');
      r = await s3k([...ca, 'ls', `s3://${bucket}/t/`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, files);
      // the node:http path pools its tunnels too
      const n = proxy.connects.length;
      fs.mkdirSync(path.join(dir, 'back'), { recursive: true });
      r = await s3k([...ca, '--parallel', '4', 'get', '-r', '--force', `s3://${bucket}/t/`, path.join(dir, 'back') + '/'], { env: { ...e, S3K_HTTP: 'node' } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(proxy.connects.length - n <= 5, `${proxy.connects.length - n} CONNECTs for ${files} downloads (S3K_HTTP=node)`);
      assert.equal(fs.readFileSync(path.join(dir, 'back', 'f07.txt'), 'utf8'), 'small object 7\n');
      r = await s3k([...ca, 'del', '-r', '--force', `s3://${bucket}`], { env: e });
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await adminDeleteBucket(bucket).catch(() => undefined);
    }
  });

  it('HTTP_PROXY: absolute-form requests reuse the connection to the proxy', async () => {
    const bucket = uniqueBucket('proxyka');
    const e = { ...env, HTTP_PROXY: proxy.url };
    try {
      let r = await s3k(['mb', `s3://${bucket}`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      const conns = proxy.connections;
      const reqs = proxy.requests.length;
      r = await s3k(['--parallel', '4', 'put', '-r', path.join(dir, 'tree') + '/', `s3://${bucket}/t/`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(proxy.requests.length - reqs >= files, `${proxy.requests.length - reqs} requests`);
      assert.ok(proxy.connections - conns <= 4, `${proxy.connections - conns} connections to the proxy for ${files} uploads with --parallel 4`);
      r = await s3k(['del', '-r', '--force', `s3://${bucket}`], { env: e });
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await adminDeleteBucket(bucket).catch(() => undefined);
    }
  });
});
