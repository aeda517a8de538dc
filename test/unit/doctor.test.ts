// s3k doctor's pure parts: clock skew from a Date header, the trust policy that would allow a token,
// STS failures mapped to their fix, and reachability probes (direct, through a proxy, NO_PROXY) on
// loopback servers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { clockSkewMs, judgeClockSkew, probeReach, reachSummary } from '../../src/net/reach.ts';
import { proxyConfig } from '../../src/net/proxy.ts';
import { clockCheckFrom, skewText } from '../../src/s3/diagnose.ts';
import { issuerHostPath, splitFix, stsCheck, trustPolicyFor } from '../../src/credentials/diagnose.ts';
import { StsCallError, type WebIdentityConfig } from '../../src/credentials/web-identity.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

describe('clock skew', () => {
  const t = Date.parse('2025-03-01T12:00:00Z');
  it('a Date inside the request window (1 s resolution) is no skew', () => {
    assert.equal(clockSkewMs('Sat, 01 Mar 2025 12:00:00 GMT', t + 300, t + 900), 0);
    assert.equal(clockSkewMs('Sat, 01 Mar 2025 12:00:00 GMT', t - 200, t + 100), 0);
  });
  it('server ahead is positive, behind is negative, outside the window only', () => {
    assert.equal(clockSkewMs('Sat, 01 Mar 2025 12:10:00 GMT', t, t + 500), 600_000 - 500);
    assert.equal(clockSkewMs('Sat, 01 Mar 2025 11:50:00 GMT', t, t + 500), -600_000 + 1000);
  });
  it('an unreadable header is undefined', () => {
    assert.equal(clockSkewMs('yesterday-ish', t, t), undefined);
  });
  it('ok up to 5 min, warn up to 15, fail past (SigV4 refuses past 15)', () => {
    assert.equal(judgeClockSkew(4 * 60_000), 'ok');
    assert.equal(judgeClockSkew(-5 * 60_000), 'ok');
    assert.equal(judgeClockSkew(6 * 60_000), 'warn');
    assert.equal(judgeClockSkew(-14 * 60_000), 'warn');
    assert.equal(judgeClockSkew(16 * 60_000), 'fail');
    assert.equal(judgeClockSkew(-16 * 60_000), 'fail');
  });
  it('the check: ok, warn with the NTP fix, fail with exit 77', () => {
    const ok = clockCheckFrom('Sat, 01 Mar 2025 12:00:00 GMT', t, t + 10, 'http://s3');
    assert.equal(ok.status, 'ok');
    assert.match(ok.detail, /local clock is in step/);
    const warn = clockCheckFrom('Sat, 01 Mar 2025 12:07:00 GMT', t, t, 'http://s3');
    assert.equal(warn.status, 'warn');
    assert.match(warn.detail, /local clock is 7 min 0 s behind the server .*more than 5 min/);
    assert.match(warn.fix!, /NTP/);
    assert.equal(warn.exitCode, undefined);
    const fail = clockCheckFrom('Sat, 01 Mar 2025 11:40:00 GMT', t, t, 'http://s3');
    assert.equal(fail.status, 'fail');
    assert.equal(fail.exitCode, 77);
    assert.match(fail.detail, /19 min 59 s ahead of the server/);
    assert.equal(clockCheckFrom('junk', t, t, 'x').status, 'warn');
    assert.equal(skewText(0), 'in step');
  });
});

describe('trust policy for a token', () => {
  const claims = { iss: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123', sub: 'system:serviceaccount:ns1:sa1', aud: ['other', 'sts.amazonaws.com'] };
  it('Federated from the role account and partition and the issuer host/path; sub and aud conditions from the token', () => {
    const p = JSON.parse(trustPolicyFor('arn:aws-cn:iam::111122223333:role/x/y', claims));
    const st = p.Statement[0];
    assert.equal(st.Principal.Federated, 'arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123');
    assert.equal(st.Action, 'sts:AssumeRoleWithWebIdentity');
    assert.deepEqual(st.Condition.StringEquals, {
      'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub': 'system:serviceaccount:ns1:sa1',
      'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud': 'sts.amazonaws.com',
    });
  });
  it('an empty account (Ceph RGW default tenant) stays empty; a lone other audience is used as is', () => {
    const p = JSON.parse(trustPolicyFor('arn:aws:iam:::role/r', { iss: 'http://127.0.0.1:8620/', sub: 's', aud: 'mine' }));
    assert.equal(p.Statement[0].Principal.Federated, 'arn:aws:iam:::oidc-provider/127.0.0.1:8620');
    assert.equal(p.Statement[0].Condition.StringEquals['127.0.0.1:8620:aud'], 'mine');
  });
  it('issuer host/path and fix splitting', () => {
    assert.equal(issuerHostPath('https://a.b/id/X/'), 'a.b/id/X');
    assert.deepEqual(splitFix('X is set but Y is not; set Y; really'), { detail: 'X is set but Y is not', fix: 'set Y; really' });
    assert.deepEqual(splitFix('nothing to do'), { detail: 'nothing to do' });
  });
});

describe('STS failures mapped to their fix', () => {
  const cfg: WebIdentityConfig = { roleArn: 'arn:aws:iam::111122223333:role/app', tokenFile: '/t', stsEndpoint: 'https://sts.us-east-1.amazonaws.com/' };
  const claims = { iss: 'https://oidc.example/id/1', sub: 'system:serviceaccount:a:b', aud: 'sts.amazonaws.com' };
  it('AccessDenied: the trust policy JSON and the OIDC provider line; an audience fix first when aud is wrong', () => {
    let c = stsCheck(new StsCallError('denied; x', 403, 'AccessDenied'), cfg, claims);
    assert.equal(c.name, 'sts.assume-role');
    assert.equal(c.exitCode, 77);
    assert.match(c.fix!, /^check that role arn:aws:iam::111122223333:role\/app exists, and give it a trust policy/);
    assert.match(c.fix!, /"oidc\.example\/id\/1:sub": "system:serviceaccount:a:b"/);
    assert.match(c.fix!, /aws iam create-open-id-connect-provider --url https:\/\/oidc\.example\/id\/1 --client-id-list sts\.amazonaws\.com/);
    c = stsCheck(new StsCallError('denied', 403, 'AccessDenied'), cfg, { ...claims, aud: 'kube' });
    assert.match(c.fix!.split('\n')[0]!, /the token's audience is "kube", not sts\.amazonaws\.com: set serviceAccountToken\.audience/);
  });
  it('InvalidIdentityToken: create the OIDC provider', () => {
    const c = stsCheck(new StsCallError('bad', 400, 'InvalidIdentityToken'), cfg, claims);
    assert.match(c.detail, /no IAM OIDC provider for issuer https:\/\/oidc\.example\/id\/1/);
    assert.match(c.fix!, /^create the IAM OIDC provider for issuer https:\/\/oidc\.example\/id\/1/);
    assert.match(c.fix!, /thumbprint/);
  });
  it('ExpiredTokenException: kubelet refreshes the projected token', () => {
    const c = stsCheck(new StsCallError('old', 400, 'ExpiredTokenException'), cfg, { ...claims, exp: 1_700_000_000 });
    assert.match(c.detail, /STS says the token has expired \(ExpiredTokenException; exp 2023-11-14T22:13:20\.000Z\)/);
    assert.match(c.fix!, /kubelet refreshes the projected token/);
  });
  it('ValidationError: the role ARN and session settings (78); a network failure: egress (111)', () => {
    assert.equal(stsCheck(new StsCallError('v', 400, 'ValidationError'), cfg, claims).exitCode, 78);
    const n = stsCheck(new StsCallError('cannot reach; x', undefined, undefined, 'ECONNREFUSED'), cfg, claims);
    assert.equal(n.exitCode, 111);
    assert.match(n.fix!, /AWS_ENDPOINT_URL_STS/);
  });
  it('anything else keeps the message\'s own fix', () => {
    const c = stsCheck(new CredentialsError('STS at x answered HTTP 200 but no credentials; check that AWS_ENDPOINT_URL_STS points at STS'), cfg, claims);
    assert.equal(c.fix, 'check that AWS_ENDPOINT_URL_STS points at STS');
  });
});

describe('probeReach on loopback', () => {
  async function server(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
    let n = 0;
    const socks = new Set<net.Socket>();
    const s = net.createServer((c) => {
      n++;
      socks.add(c);
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return {
      port: (s.address() as net.AddressInfo).port,
      accepted: () => n,
      close: () => {
        for (const c of socks) c.destroy();
        return new Promise<void>((r) => s.close(() => r()));
      },
    };
  }
  async function closed(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  it('direct: dns (an address) and tcp ok', async () => {
    const srv = await server();
    try {
      const r = await probeReach(new URL(`http://127.0.0.1:${srv.port}/`), { proxy: { noProxy: [] } });
      assert.equal(r.ok, true, reachSummary(r));
      assert.deepEqual(r.steps.map((s) => s.step), ['dns', 'tcp']);
      assert.equal(r.via, undefined);
    } finally {
      await srv.close();
    }
  });

  it('a closed port: tcp fails with ECONNREFUSED and the probe stops there', async () => {
    const port = await closed();
    const r = await probeReach(new URL(`http://127.0.0.1:${port}/`), { proxy: { noProxy: [] } });
    assert.equal(r.ok, false);
    assert.deepEqual(r.steps.map((s) => `${s.step}:${s.ok}`), ['dns:true', 'tcp:false']);
    assert.equal(r.steps[1]!.code, 'ECONNREFUSED');
  });

  it('an unresolvable name fails at dns', async () => {
    const r = await probeReach(new URL('http://no-such-host.invalid/'), { proxy: { noProxy: [] } });
    assert.equal(r.ok, false);
    assert.equal(r.steps[0]!.step, 'dns');
    assert.equal(r.steps[0]!.ok, false);
  });

  it('through a proxy: the connection goes to the proxy; NO_PROXY sends it direct and says why', async () => {
    const proxy = await server();
    const target = await server();
    try {
      const cfg = { http: new URL(`http://u:secret-pw@127.0.0.1:${proxy.port}`), noProxy: [] as string[] };
      let r = await probeReach(new URL(`http://127.0.0.1:${target.port}/`), { proxy: cfg });
      assert.equal(r.ok, true, reachSummary(r));
      assert.equal(r.via, `http://u:<redacted>@127.0.0.1:${proxy.port}/`);
      assert.match(reachSummary(r), new RegExp(`connected to 127\\.0\\.0\\.1:${proxy.port} \\(the proxy\\)`));
      assert.doesNotMatch(reachSummary(r), /secret-pw/);
      assert.equal(target.accepted(), 0);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(proxy.accepted(), 1);

      r = await probeReach(new URL(`http://127.0.0.1:${target.port}/`), { proxy: { ...cfg, noProxy: ['127.0.0.0/8'] } });
      assert.equal(r.ok, true);
      assert.equal(r.via, undefined);
      assert.match(reachSummary(r), /direct: HTTP_PROXY is set but NO_PROXY .*sends 127\.0\.0\.1 direct/);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(target.accepted(), 1);
      assert.equal(proxy.accepted(), 1);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('the proxy line names the setting the proxy came from: ALL_PROXY, http_proxy, .s3cfg proxy_host', async () => {
    const proxy = await server();
    const target = await server();
    try {
      const url = new URL(`http://127.0.0.1:${target.port}/`);
      const p = `http://127.0.0.1:${proxy.port}`;
      let r = await probeReach(url, { proxy: proxyConfig({ ALL_PROXY: p, NO_PROXY: '127.0.0.1' }) });
      assert.match(reachSummary(r), /direct: ALL_PROXY is set but NO_PROXY .*sends 127\.0\.0\.1 direct/);
      r = await probeReach(url, { proxy: proxyConfig({ all_proxy: p }) });
      assert.match(reachSummary(r), new RegExp(`; through proxy ${p}/ \\(from all_proxy\\)$`));
      r = await probeReach(url, { proxy: proxyConfig({ HTTPS_PROXY: p, http_proxy: p, NO_PROXY: '127.0.0.1' }) });
      assert.match(reachSummary(r), /direct: http_proxy is set but NO_PROXY/);
      r = await probeReach(url, { proxy: proxyConfig({ NO_PROXY: '127.0.0.1' }, { host: '127.0.0.1', port: proxy.port }) });
      assert.match(reachSummary(r), /direct: \.s3cfg proxy_host is set but NO_PROXY/);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('https through a proxy that refuses CONNECT: the proxy-connect step fails', async () => {
    const proxy = net.createServer((c) => {
      c.once('data', () => c.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const r = await probeReach(new URL('https://sts.example.test/'), { proxy: { https: new URL(`http://127.0.0.1:${port}`), noProxy: [] } });
      assert.equal(r.ok, false);
      assert.deepEqual(r.steps.map((s) => `${s.step}:${s.ok}`), ['dns:true', 'tcp:true', 'proxy-connect:false']);
      assert.match(r.steps[2]!.detail, /proxy refused CONNECT to sts\.example\.test:443: HTTP 403/);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
