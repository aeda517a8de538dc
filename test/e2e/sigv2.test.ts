// Signature Version 2 against the lab (Ceph RGW accepts SigV2 as well as SigV4): with --signature-v2
// and with `signature_v2 = True` in the config, the everyday commands work (mb, put small and
// multipart, ls, get, info, setacl/getacl, del, rb), signurl makes s3cmd's v2 URL and plain HTTP can
// fetch it, and temporary credentials (IRSA) work too. Requests go through the recording proxy of
// test/support/faults.ts, so the test sees that they really were signed with SigV2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  adminDeleteBucket, assumeRole, irsaEnv, labEndpoint, labEnv, makeTempDir, mintToken, s3k, s3Request, setupIrsa, signingCredentials,
  uniqueBucket, writeS3cfg, writeToken, type RunResult, type SigningCredentials,
} from '../support/lab.ts';
import { startFaultProxy, type FaultProxy } from '../support/faults.ts';

const tmp = makeTempDir('sigv2');
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

function ok(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** GET a URL with plain node:http (no signing, no s3k). Loopback only. */
function httpGet(url: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  assert.equal(u.hostname, '127.0.0.1', 'presigned URLs point at the lab');
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  amzDate?: string;
  sha256?: string;
  token?: string;
}

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$/;

describe('signature v2', () => {
  let proxy: FaultProxy;
  let proxyHost = '';
  const seen: Recorded[] = [];
  const ak = () => labEnv().LAB_ADMIN_ACCESS_KEY;
  const small = crypto.randomBytes(100_000);
  const big = crypto.randomBytes(6 * 1024 * 1024);
  const smallFile = path.join(tmp.path, 'small.bin');
  const bigFile = path.join(tmp.path, 'big.bin');
  const buckets: string[] = [];

  before(async () => {
    fs.writeFileSync(smallFile, small);
    fs.writeFileSync(bigFile, big);
    proxy = await startFaultProxy(labEndpoint());
    proxyHost = new URL(proxy.url).host;
    proxy.rule = (r, h) => {
      seen.push({
        method: r.method,
        url: r.url,
        authorization: h.authorization,
        amzDate: h['x-amz-date'] as string | undefined,
        sha256: h['x-amz-content-sha256'] as string | undefined,
        token: h['x-amz-security-token'] as string | undefined,
      });
      return undefined;
    };
  });
  after(async () => {
    await proxy.close();
    for (const b of buckets) await adminDeleteBucket(b);
  });

  /** Every request s3k sent since `from` (not the presigned URLs fetched) was signed with SigV2 by the given key. */
  function assertAllV2(from: number, accessKey: string, what: string): Recorded[] {
    const reqs = seen.slice(from).filter((r) => !r.url.includes('AWSAccessKeyId='));
    assert.ok(reqs.length > 0, `${what}: requests went through the proxy`);
    for (const r of reqs) {
      const where = `${what}: ${r.method} ${r.url}`;
      assert.ok(r.authorization?.startsWith(`AWS ${accessKey}:`), `${where}: Authorization is '${r.authorization}'`);
      assert.match(r.authorization!.slice(`AWS ${accessKey}:`.length), /^[A-Za-z0-9+/]{27}=$/, `${where}: base64 HMAC-SHA1 signature`);
      assert.match(r.amzDate ?? '', RFC1123, `${where}: x-amz-date in RFC 1123 form`);
      assert.equal(r.sha256, undefined, `${where}: no x-amz-content-sha256 with SigV2`);
    }
    return reqs;
  }

  const modes: { name: string; args: () => string[] }[] = [
    { name: '--signature-v2', args: () => ['-c', writeS3cfg({ dir: tmp.path, extra: { host_base: proxyHost, host_bucket: proxyHost } }), '--signature-v2'] },
    {
      name: 'signature_v2 = True',
      args: () => ['-c', writeS3cfg({ dir: fs.mkdtempSync(path.join(tmp.path, 'cfg-')), extra: { host_base: proxyHost, host_bucket: proxyHost, signature_v2: 'True' } })],
    },
  ];

  for (const mode of modes) {
    it(`${mode.name}: mb, put (small and multipart), ls, get, info, setacl/getacl, signurl, del, rb`, async () => {
      const args = mode.args();
      const b = uniqueBucket('sigv2');
      buckets.push(b);
      const key = "dir/a b+c~(x)!'*.bin";
      const from = seen.length;
      const run = (...a: string[]) => s3k([...args, ...a]);

      ok(await run('mb', `s3://${b}`), 'mb');
      let r = await run('put', smallFile, `s3://${b}/${key}`);
      ok(r, 'put small');
      r = await run('put', '--multipart-chunk-size-mb=5', bigFile, `s3://${b}/big.bin`);
      ok(r, 'put multipart');
      assert.ok(seen.some((s) => s.method === 'POST' && /[?&]uploads/.test(s.url)), 'a multipart upload was started');
      assert.equal(seen.filter((s) => s.method === 'PUT' && s.url.includes(`/${b}/big.bin?`) && /partNumber=/.test(s.url)).length, 2, 'two parts');

      r = await run('ls', '-r', `s3://${b}`);
      ok(r, 'ls');
      assert.match(r.stdout, /\s6291456\s+s3:\/\/.*\/big\.bin\n/);
      assert.match(r.stdout, /\s100000\s+s3:\/\/.*\/dir\/a b\+c~\(x\)!'\*\.bin\n/);

      for (const [k, data] of [[key, small], ['big.bin', big]] as const) {
        const dest = path.join(tmp.path, `got-${mode.name.length}-${path.basename(k)}`);
        ok(await run('get', '--force', `s3://${b}/${k}`, dest), `get ${k}`);
        assert.equal(md5(fs.readFileSync(dest)), md5(data), `${k} is byte-identical`);
      }

      r = await run('info', `s3://${b}/${key}`);
      ok(r, 'info');
      assert.match(r.stdout, new RegExp(`MD5 sum:\\s+${md5(small)}`));

      // sub-resource requests (?acl) are signed with their sub-resource
      ok(await run('setacl', '--acl-public', `s3://${b}/${key}`), 'setacl');
      r = await run('getacl', `s3://${b}/${key}`);
      ok(r, 'getacl');
      assert.match(r.stdout, /\*anon\*: READ/);
      assert.ok(seen.slice(from).some((s) => s.method === 'PUT' && /[?&]acl/.test(s.url)), 'PUT ?acl went out');

      // signurl: s3cmd's SigV2 form, fetched with plain HTTP
      r = await run('signurl', `s3://${b}/big.bin`, '+600');
      ok(r, 'signurl');
      const url = r.stdout.trim();
      assert.match(url, new RegExp(`^http://${proxyHost.replace(/\./g, '\\.')}/${b}/big\\.bin\\?AWSAccessKeyId=${ak()}&Expires=\\d+&Signature=[A-Za-z0-9%]+$`));
      const expires = Number(new URL(url).searchParams.get('Expires'));
      assert.ok(Math.abs(expires - (Math.floor(Date.now() / 1000) + 600)) < 30, 'Expires is +600 s as an epoch time');
      const got = await httpGet(url);
      assert.equal(got.status, 200);
      assert.equal(md5(got.body), md5(big));
      assert.equal((await httpGet(url.replace('/big.bin?', '/big.bim?'))).status, 403, 'the signature covers the key');
      // SigV2 URLs have no 7-day cap (s3cmd makes them too)
      ok(await run('signurl', `s3://${b}/big.bin`, '+700000'), 'signurl beyond 7 days');

      ok(await run('del', `s3://${b}/${key}`, `s3://${b}/big.bin`), 'del');
      ok(await run('rb', `s3://${b}`), 'rb');
      assert.equal((await s3Request({ method: 'HEAD', bucket: b })).status, 404, 'the bucket is gone');

      const reqs = assertAllV2(from, ak(), mode.name);
      assert.ok(reqs.length >= 12, `${reqs.length} requests recorded`);
    });
  }

  it('--debug shows the SigV2 string to sign and Authorization with the signature redacted, never the secret', async () => {
    const args = modes[0].args();
    const b = uniqueBucket('sigv2-dbg');
    buckets.push(b);
    ok(await s3k([...args, 'mb', `s3://${b}`]), 'mb');
    const r = await s3k([...args, '-d', 'ls', `s3://${b}`]);
    ok(r, 'ls -d');
    assert.match(r.stderr, new RegExp(`DEBUG: SigV2 string to sign: \\["GET","","","","x-amz-date:[^"]+ \\+0000","/${b}/"\\], Authorization: AWS ${ak()}:<redacted>`));
    assert.doesNotMatch(r.stderr, /AWS [^\s:]+:[A-Za-z0-9+/]{27}=/, 'no signature in the output');
    assert.ok(!r.stderr.includes(labEnv().LAB_ADMIN_SECRET_KEY), 'the secret key never appears');
    ok(await s3k([...args, 'rb', `s3://${b}`]), 'rb');
  });

  it('without the option requests stay SigV4', async () => {
    const from = seen.length;
    const cfg = writeS3cfg({ dir: fs.mkdtempSync(path.join(tmp.path, 'cfg-')), extra: { host_base: proxyHost, host_bucket: proxyHost } });
    ok(await s3k(['-c', cfg, 'ls']), 'ls');
    const reqs = seen.slice(from);
    assert.ok(reqs.length > 0);
    for (const q of reqs) assert.match(q.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=/);
  });

  it('a wrong secret key exits 77 with SigV2 as with SigV4', async () => {
    const cfg = writeS3cfg({ dir: fs.mkdtempSync(path.join(tmp.path, 'cfg-')), secretKey: 'not-the-secret-key-0123456789', extra: { host_base: proxyHost, host_bucket: proxyHost } });
    for (const extra of [['--signature-v2'], []]) {
      const r = await s3k(['-c', cfg, ...extra, 'ls']);
      assert.equal(r.code, 77, `${extra.join(' ') || 'SigV4'}: ${r.stderr}`);
      assert.match(r.stderr, /AccessDenied|SignatureDoesNotMatch/);
    }
  });

  describe('temporary credentials (IRSA) with SigV2', () => {
    const tokenFile = path.join(tmp.path, 'sa-token');
    const b = uniqueBucket('sigv2-irsa');
    let roleArn = '';
    let roleCreds: SigningCredentials | undefined;
    before(async () => {
      ({ roleArn } = await setupIrsa());
      await writeToken(tokenFile);
    });
    after(async () => {
      roleCreds ??= signingCredentials(await assumeRole(await mintToken(), roleArn));
      await adminDeleteBucket(b, roleCreds);
    });

    it('the session token is sent in x-amz-security-token and signed; signurl carries it', async () => {
      // S3 through the recording proxy, STS straight to the lab
      const env = { ...irsaEnv(roleArn, tokenFile), AWS_ENDPOINT_URL_S3: proxy.url };
      const run = (...a: string[]) => s3k(['--signature-v2', ...a], { env });
      const from = seen.length;
      ok(await run('mb', `s3://${b}`), 'mb via IRSA');
      ok(await run('put', smallFile, `s3://${b}/irsa.bin`), 'put via IRSA');
      const dest = path.join(tmp.path, 'irsa-got.bin');
      ok(await run('get', '--force', `s3://${b}/irsa.bin`, dest), 'get via IRSA');
      assert.equal(md5(fs.readFileSync(dest)), md5(small));
      const reqs = seen.slice(from);
      assert.ok(reqs.length >= 3);
      for (const q of reqs) {
        assert.match(q.authorization ?? '', /^AWS [^:]+:[A-Za-z0-9+/]{27}=$/, `${q.method} ${q.url}`);
        assert.ok(q.token, `${q.method} ${q.url}: x-amz-security-token sent`);
      }

      let r = await run('signurl', `s3://${b}/irsa.bin`, '+600');
      ok(r, 'signurl via IRSA');
      const url = new URL(r.stdout.trim());
      assert.ok(url.searchParams.get('x-amz-security-token'), 'the session token is in the URL');
      const got = await httpGet(url.href);
      assert.equal(got.status, 200, got.body.toString());
      assert.equal(md5(got.body), md5(small));
      const noToken = new URL(url.href);
      noToken.searchParams.delete('x-amz-security-token');
      assert.equal((await httpGet(noToken.href)).status, 403, 'without the token the URL does not work');

      r = await run('-d', 'ls', `s3://${b}`);
      ok(r, 'ls -d via IRSA');
      assert.match(r.stderr, /x-amz-security-token:<redacted>/);
      assert.doesNotMatch(r.stderr, /x-amz-security-token:(?!<redacted>)/, 'the session token never appears');

      ok(await run('del', `s3://${b}/irsa.bin`), 'del via IRSA');
      ok(await run('rb', `s3://${b}`), 'rb via IRSA');
    });
  });
});
