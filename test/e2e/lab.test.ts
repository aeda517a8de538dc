// Smoke test of the lab itself: S3 answers, IAM set-up works, STS mints real temporary credentials
// for the trusted service account only.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import {
  adminCreateBucket, adminDeleteBucket, adminGetObject, adminListKeys, adminPutObject, assumeRole, labCaFile, labEnv,
  labHttpsEndpoint, mintToken,
  run, s3Request, setupIrsa, signingCredentials, tempDir, uniqueBucket, writeS3cfg, writeToken,
} from '../support/lab.ts';
import type { SigningCredentials } from '../support/lab.ts';

describe('test safety net', () => {
  it('every node child the tests start preloads the loopback-only connection guard', async () => {
    const r = await run(process.execPath, ['-e', "process.stdout.write(String(require('node:net').Socket.prototype.connect.s3kGuard === true))"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'true');
  });
});

describe('lab', () => {
  const buckets: Array<[string, SigningCredentials | undefined]> = [];
  after(async () => {
    for (const [b, creds] of buckets) await adminDeleteBucket(b, creds);
  });

  it('answers S3: anonymous GET / and a SigV4-signed ListBuckets', async () => {
    const anon = await s3Request({ credentials: null });
    assert.match(anon.text, /<\?xml/);
    assert.match(anon.text, /<ListAllMyBucketsResult|<Error>/);

    const signed = await s3Request();
    assert.equal(signed.status, 200, signed.text);
    assert.match(signed.text, /<ListAllMyBucketsResult/);
    assert.match(signed.text, /<ID>admin<\/ID>/);

    const bad = await s3Request({ credentials: { accessKeyId: labEnv().LAB_ADMIN_ACCESS_KEY, secretAccessKey: 'wrong' } });
    // RGW 16.2 (with STS enabled) answers a wrong secret with 403 AccessDenied, not SignatureDoesNotMatch
    assert.equal(bad.status, 403);
    assert.match(bad.text, /<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/);
  });

  it('admin helpers: bucket, put, list, get, delete', async () => {
    const b = uniqueBucket('lab-smoke');
    assert.match(b, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    buckets.push([b, undefined]);
    await adminCreateBucket(b);
    await adminPutObject(b, 'dir/a b+c.txt', 'hello lab');
    assert.deepEqual(await adminListKeys(b), ['dir/a b+c.txt']);
    const got = await adminGetObject(b, 'dir/a b+c.txt');
    assert.equal(got.status, 200);
    assert.equal(got.text, 'hello lab');
    assert.equal((await adminGetObject(b, 'missing')).status, 404);
  });

  it('serves the same S3 over https with a certificate for 127.0.0.1 and localhost that the lab CA verifies', async () => {
    const b = uniqueBucket('lab-tls');
    buckets.push([b, undefined]);
    await adminCreateBucket(b);
    await adminPutObject(b, 'k', 'over http');
    const got = await s3Request({ tls: true, bucket: b, key: 'k' });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.text, 'over http');
    const ca = fs.readFileSync(labCaFile());
    assert.match(ca.toString(), /^-----BEGIN CERTIFICATE-----/);
    const port = new URL(labHttpsEndpoint()).port;
    const get = (host: string, opts: https.RequestOptions) =>
      new Promise<string>((resolve) => {
        const r = https.get({ host, port, path: '/', agent: false, ...opts }, (res) => {
          res.resume();
          resolve(`HTTP ${res.statusCode}`);
        });
        r.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    assert.equal(await get('127.0.0.1', { ca }), 'HTTP 200');
    assert.equal(await get('localhost', { ca, family: 4 }), 'HTTP 200');
    // without the CA the chain does not verify; with it, a name the certificate does not carry fails
    assert.match(await get('127.0.0.1', {}), /UNABLE_TO_VERIFY|SELF_SIGNED/);
    assert.equal(await get('127.0.0.1', { ca, checkServerIdentity: (_host, cert) => tls.checkServerIdentity('other.example', cert) }), 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('writes an s3cmd config for the lab', () => {
    const cfg = fs.readFileSync(writeS3cfg(), 'utf8');
    const port = new URL(labEnv().LAB_ENDPOINT).port;
    assert.match(cfg, /^\[default\]\n/);
    assert.match(cfg, new RegExp(`^host_base = 127\\.0\\.0\\.1:${port}$`, 'm'));
    assert.match(cfg, new RegExp(`^host_bucket = 127\\.0\\.0\\.1:${port}$`, 'm'));
    assert.match(cfg, /^use_https = False$/m);
    assert.match(cfg, new RegExp(`^access_key = ${labEnv().LAB_ADMIN_ACCESS_KEY}$`, 'm'));
  });

  describe('IRSA', () => {
    let roleArn = '';

    it('setup is idempotent and returns the role and provider ARNs', async () => {
      const r1 = await setupIrsa();
      const r2 = await setupIrsa();
      assert.equal(r1.roleArn, 'arn:aws:iam:::role/s3-full-access');
      assert.equal(r1.providerArn, labEnv().LAB_OIDC_PROVIDER_ARN);
      assert.deepEqual(r2, r1);
      roleArn = r1.roleArn;
    });

    it('token file has no trailing newline and assumeRole gives working temporary credentials', async () => {
      const file = path.join(tempDir('sa'), 'token');
      await writeToken(file);
      const token = fs.readFileSync(file, 'utf8');
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

      const creds = await assumeRole(token, roleArn, 900);
      assert.ok(creds.AccessKeyId && creds.SecretAccessKey && creds.SessionToken);
      const exp = Date.parse(creds.Expiration);
      assert.ok(exp > Date.now() + 800_000 && exp < Date.now() + 1_000_000, `Expiration ${creds.Expiration}`);

      const sessionCreds = signingCredentials(creds);
      const list = await s3Request({ credentials: sessionCreds });
      assert.equal(list.status, 200, list.text);

      // bucket created through the role shows in the role's ListBuckets (NOTES gotcha 12)
      const b = uniqueBucket('lab-irsa');
      const mk = await s3Request({ method: 'PUT', bucket: b, credentials: sessionCreds });
      assert.equal(mk.status, 200, mk.text);
      buckets.push([b, sessionCreds]);
      assert.match((await s3Request({ credentials: sessionCreds })).text, new RegExp(`<Name>${b}</Name>`));

      // temporary keys without their session token are rejected
      const noToken = await s3Request({ credentials: { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey } });
      assert.equal(noToken.status, 403);
    });

    it('denies a token for another service account, namespace, audience, an expired or forged one (403)', async () => {
      const cases: Array<[string, Parameters<typeof mintToken>[0]]> = [
        ['other service account', { sa: 'other-sa' }],
        ['other namespace', { ns: 'kube-system' }],
        ['wrong audience', { aud: 'not-sts' }],
        ['expired', { ttl: -120 }],
        ['forged signature', { forge: true }],
      ];
      for (const [name, opts] of cases) {
        const token = await mintToken(opts);
        await assert.rejects(assumeRole(token, roleArn), (e: { status?: number; code?: string }) => {
          assert.equal(e.status, 403, `${name}: ${String(e)}`);
          assert.equal(e.code, 'AccessDenied', name);
          return true;
        }, name);
      }
    });
  });
});
