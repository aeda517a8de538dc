// Proxy selection (src/net/proxy.ts): HTTP(S)_PROXY in both cases, NO_PROXY as curl and the AWS
// CLI read it, .s3cfg proxy_host/proxy_port, and the endpoints that are never proxied.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { noProxyMatches, parseProxyUrl, proxyAuthorization, proxyConfig, proxyForUrl, redactProxyUrl, splitNoProxy } from '../../src/net/proxy.ts';
import { redact } from '../../src/cli/redact.ts';

const u = (s: string) => new URL(s);
const via = (url: string, env: Record<string, string>) => proxyForUrl(u(url), proxyConfig(env))?.href;

describe('proxy from the environment', () => {
  it('https:// uses HTTPS_PROXY, http:// uses HTTP_PROXY, either case', () => {
    assert.equal(via('https://s3.amazonaws.com/b', { HTTPS_PROXY: 'http://p:3128' }), 'http://p:3128/');
    assert.equal(via('https://s3.amazonaws.com/b', { https_proxy: 'http://p:3128' }), 'http://p:3128/');
    assert.equal(via('http://s3.local/b', { HTTP_PROXY: 'http://q:8080' }), 'http://q:8080/');
    assert.equal(via('http://s3.local/b', { HTTPS_PROXY: 'http://q:8080' }), undefined);
    assert.equal(via('https://s3.local/b', { HTTP_PROXY: 'http://q:8080' }), undefined);
  });
  it('lower case wins over upper case; empty means unset', () => {
    assert.equal(via('http://h/', { http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:2' }), 'http://low:1/');
    assert.equal(via('http://h/', { http_proxy: '', HTTP_PROXY: 'http://up:2' }), 'http://up:2/');
    assert.equal(via('http://h/', { no_proxy: 'h', NO_PROXY: '', HTTP_PROXY: 'http://up:2' }), undefined);
  });
  it('ALL_PROXY (either case) is the fallback for a scheme whose own variable is unset; NO_PROXY still applies', () => {
    assert.equal(via('https://s3.amazonaws.com/b', { ALL_PROXY: 'http://all:3128' }), 'http://all:3128/');
    assert.equal(via('http://s3.local/b', { all_proxy: 'all:3128' }), 'http://all:3128/');
    assert.equal(via('https://h/', { ALL_PROXY: 'http://all:1', HTTPS_PROXY: 'http://own:2' }), 'http://own:2/');
    assert.equal(via('http://h/', { ALL_PROXY: 'http://all:1', HTTPS_PROXY: 'http://own:2' }), 'http://all:1/');
    assert.equal(via('https://h/', { ALL_PROXY: 'http://all:1', NO_PROXY: 'h' }), undefined);
    assert.equal(via('http://169.254.169.254/', { ALL_PROXY: 'http://all:1' }), undefined);
  });
  it('a SOCKS ALL_PROXY that would be used is refused with what to do; unused (both schemes set) it is not read', () => {
    assert.throws(() => proxyConfig({ ALL_PROXY: 'socks5://u:pw123456@127.0.0.1:1080' }), (e: Error) => {
      assert.match(e.message, /^unsupported proxy scheme socks5: in ALL_PROXY \(socks5:\/\/u:<redacted>@127\.0\.0\.1:1080\): s3k speaks only to HTTP proxies, not SOCKS; set HTTPS_PROXY and HTTP_PROXY/);
      assert.doesNotMatch(e.message, /pw123456/);
      return true;
    });
    assert.throws(() => proxyConfig({ all_proxy: 'socks5h://p:1080', HTTPS_PROXY: 'http://own:2' }), /ALL_PROXY/);
    assert.equal(via('https://h/', { ALL_PROXY: 'socks5://p:1080', HTTPS_PROXY: 'http://own:2', HTTP_PROXY: 'http://own:3' }), 'http://own:2/');
    // .s3cfg proxy_host wins over the environment, ALL_PROXY included
    assert.equal(proxyConfig({ ALL_PROXY: 'socks5://p:1080' }, { host: 'squid', port: 3128 }).https?.href, 'http://squid:3128/');
  });
  it('a proxy without scheme is http://', () => {
    assert.equal(parseProxyUrl('proxy.corp:3128').href, 'http://proxy.corp:3128/');
    assert.throws(() => parseProxyUrl('socks5://x:1080'), /unsupported proxy scheme/);
  });
  it('.s3cfg proxy_host/proxy_port: both schemes, over the environment, NO_PROXY still applies', () => {
    const c = proxyConfig({ HTTPS_PROXY: 'http://env:1', NO_PROXY: 'internal' }, { host: 'squid.corp', port: 8080 });
    assert.equal(proxyForUrl(u('https://s3.amazonaws.com/'), c)?.href, 'http://squid.corp:8080/');
    assert.equal(proxyForUrl(u('http://s3.amazonaws.com/'), c)?.href, 'http://squid.corp:8080/');
    assert.equal(proxyForUrl(u('http://s3.internal/'), c), undefined);
    assert.equal(proxyConfig({}, { host: '', port: 3128 }).http, undefined);
  });
  it('says where each proxy came from, as the variable is spelled, for doctor and messages', () => {
    assert.deepEqual(proxyConfig({ HTTPS_PROXY: 'http://p:1' }).from, { https: 'HTTPS_PROXY' });
    assert.deepEqual(proxyConfig({ https_proxy: 'http://p:1', HTTPS_PROXY: 'http://q:2', HTTP_PROXY: 'http://r:3' }).from, { https: 'https_proxy', http: 'HTTP_PROXY' });
    assert.deepEqual(proxyConfig({ ALL_PROXY: 'http://all:1' }).from, { http: 'ALL_PROXY', https: 'ALL_PROXY' });
    assert.deepEqual(proxyConfig({ all_proxy: 'http://all:1', HTTPS_PROXY: 'http://own:2' }).from, { http: 'all_proxy', https: 'HTTPS_PROXY' });
    assert.deepEqual(proxyConfig({ HTTPS_PROXY: 'http://env:1' }, { host: 'squid', port: 3128 }).from, { http: '.s3cfg proxy_host', https: '.s3cfg proxy_host' });
    assert.equal(proxyConfig({ NO_PROXY: 'h' }).from, undefined);
  });
});

describe('NO_PROXY', () => {
  const m = (host: string, list: string, port = 443) => noProxyMatches(host, port, splitNoProxy(list));
  it('* bypasses everything', () => assert.ok(m('anything.example', '*')));
  it('host names match themselves and subdomains, not other suffixes', () => {
    assert.ok(m('example.com', 'example.com'));
    assert.ok(m('s3.example.com', 'example.com'));
    assert.ok(m('s3.example.com', '.example.com'));
    assert.ok(m('s3.example.com', '*.example.com'));
    assert.ok(m('S3.Example.COM', 'example.com'));
    assert.ok(!m('badexample.com', 'example.com'));
    assert.ok(!m('example.org', 'example.com'));
  });
  it('comma and space separated lists', () => {
    assert.ok(m('b.internal', 'a.local, b.internal'));
    assert.ok(m('b.internal', 'a.local b.internal'));
  });
  it('IP addresses match exactly, CIDR blocks match their addresses', () => {
    assert.ok(m('127.0.0.1', '127.0.0.1'));
    assert.ok(!m('127.0.0.10', '127.0.0.1'));
    assert.ok(m('10.1.2.3', '10.0.0.0/8'));
    assert.ok(!m('11.1.2.3', '10.0.0.0/8'));
    assert.ok(m('192.168.1.77', '192.168.1.0/24'));
    assert.ok(m('::1', '::1'));
    assert.ok(m('[fd00::5]', 'fd00::/8'));
    assert.ok(!m('fe80::1', 'fd00::/8'));
    assert.ok(!m('10.0.0.1', 'example.com'));
  });
  it('host:port matches that port only', () => {
    assert.ok(m('s3.local', 's3.local:7480', 7480));
    assert.ok(!m('s3.local', 's3.local:7480', 443));
    assert.ok(m('127.0.0.1', '127.0.0.1:7780', 7780));
  });
});

describe('never proxied', () => {
  const env = { HTTP_PROXY: 'http://p:1', HTTPS_PROXY: 'http://p:1' };
  for (const url of ['http://169.254.169.254/latest/api/token', 'http://[fd00:ec2::254]/latest/', 'http://169.254.170.23/v1/credentials', 'http://169.254.170.2/v2/credentials/x', 'http://[fd00:ec2::23]/v1/credentials'])
    it(url, () => assert.equal(via(url, env), undefined));
  it('STS goes through the proxy like S3', () => assert.equal(via('https://sts.us-east-1.amazonaws.com/', env), 'http://p:1/'));
});

describe('proxy credentials', () => {
  it('user:password in the URL becomes Basic Proxy-Authorization', () => {
    assert.equal(proxyAuthorization(u('http://alice:s%40cret@p:1')), `Basic ${Buffer.from('alice:s@cret').toString('base64')}`);
    assert.equal(proxyAuthorization(u('http://p:1')), undefined);
  });
  it('passwords are redacted in messages and debug lines', () => {
    assert.equal(redactProxyUrl('http://alice:hunter2@p:1/'), 'http://alice:<redacted>@p:1/');
    assert.doesNotMatch(redact('proxy http://alice:hunter2@p:1/'), /hunter2/);
    assert.doesNotMatch(redact('Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg=='), /YWxpY2U6aHVudGVyMg/);
  });
});
