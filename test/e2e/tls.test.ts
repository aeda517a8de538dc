// s3k over TLS against the lab's https endpoint (the same RGW, a certificate for 127.0.0.1 and localhost
// signed by a CA the lab makes at each start), with certificate verification on: the CA comes from
// --ca-certs, .s3cfg ca_certs_file, AWS_CA_BUNDLE or the AWS profile's ca_bundle, and applies to STS
// too (IRSA). Without it: one line naming the server and what to do, exit 77 (s3cmd's EX_ACCESSDENIED).
// The name check (--no-check-hostname) needs a certificate for another name, which the lab does not
// serve: that one case goes through a loopback TLS front (certificate for wrong.example, own CA) that
// passes the bytes on to the lab's plain http port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import {
  adminEnv, adminHttpsEnv, adminListKeys, bucketFixture, irsaEnv, labCaFile, labEndpoint, labHttpsEndpoint, labHttpsHostPort,
  s3k, s3Request, setupIrsa, tempDir, treeMd5 as tree, uniqueBucket, writeS3cfg, writeToken,
} from '../support/lab.ts';

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const TLS_LINE = /^ERROR: SSL certificate verification failure: /;

/** An .s3cfg for the https endpoint, the s3cmd way (use_https, ca_certs_file). */
function httpsS3cfg(extra: Record<string, string> = {}): string {
  return writeS3cfg({ extra: { host_base: labHttpsHostPort(), host_bucket: labHttpsHostPort(), use_https: 'True', ...extra } });
}

describe('TLS: s3k against the lab https endpoint with verification on', () => {
  const work = tempDir('tls');
  const { track } = bucketFixture('tls', { create: false });

  it('the lab serves https with a certificate the lab CA verifies (precondition)', () => {
    assert.match(labHttpsEndpoint(), /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(fs.readFileSync(labCaFile(), 'utf8'), /-----BEGIN CERTIFICATE-----/);
  });

  it('core round trips with ca_certs_file in .s3cfg: mb, put (small and multipart), ls, get, sync both ways, del, rb', async () => {
    const cfg = httpsS3cfg({ ca_certs_file: labCaFile() });
    const run = (args: string[]) => s3k(['-c', cfg, ...args]);
    const b = track(uniqueBucket('tls-core'));
    let r = await run(['mb', `s3://${b}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Bucket 's3://${b}/' created\n`);

    const small = path.join(work, 'small.txt');
    fs.writeFileSync(small, 'over TLS\n');
    const big = path.join(work, 'big.bin');
    const bigData = crypto.randomBytes(11 * 1024 * 1024 + 17);
    fs.writeFileSync(big, bigData);
    r = await run(['put', small, `s3://${b}/small.txt`]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['put', '--multipart-chunk-size-mb=5', big, `s3://${b}/big.bin`]);
    assert.equal(r.code, 0, r.stderr);
    const head = await s3Request({ tls: true, method: 'HEAD', bucket: b, key: 'big.bin' });
    assert.match(String(head.headers.etag), /-3"$/, 'uploaded in three parts');

    r = await run(['ls', `s3://${b}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(` ${bigData.length}  s3://${b}/big\\.bin\\n`));
    assert.match(r.stdout, new RegExp(` 9  s3://${b}/small\\.txt\\n`));

    const got = path.join(work, 'got.bin');
    r = await run(['get', `s3://${b}/big.bin`, got]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(fs.readFileSync(got)), md5(bigData));
    r = await run(['get', `s3://${b}/small.txt`, path.join(work, 'got.txt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(work, 'got.txt'), 'utf8'), 'over TLS\n');

    const src = path.join(work, 'tree');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`);
    fs.writeFileSync(path.join(src, 'sub', 'deep.bin'), crypto.randomBytes(70000));
    r = await run(['sync', `${src}/`, `s3://${b}/tree/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await adminListKeys(b, 'tree/')).sort(), ['tree/f0.txt', 'tree/f1.txt', 'tree/f2.txt', 'tree/f3.txt', 'tree/f4.txt', 'tree/sub/deep.bin']);
    r = await run(['sync', `${src}/`, `s3://${b}/tree/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /upload:/, 'a second sync has nothing to send');
    const down = path.join(work, 'down');
    r = await run(['sync', `s3://${b}/tree/`, `${down}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tree(down), tree(src));

    r = await run(['del', '--recursive', '--force', `s3://${b}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await adminListKeys(b), []);
    r = await run(['rb', `s3://${b}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Bucket 's3://${b}/' removed\n`);
  });

  it('--ca-certs, AWS_CA_BUNDLE and the AWS profile ca_bundle each make the CA trusted; -d says which', async () => {
    const cfg = httpsS3cfg();
    let r = await s3k(['-c', cfg, '--ca-certs', labCaFile(), 'ls']);
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['-c', cfg, '-d', 'ls'], { env: { AWS_CA_BUNDLE: labCaFile() } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`DEBUG: TLS: CA certificates from ${labCaFile()} (AWS_CA_BUNDLE)`), r.stderr);
    const home = tempDir('tls-home');
    fs.mkdirSync(path.join(home, '.aws'));
    fs.writeFileSync(path.join(home, '.aws', 'config'), `[default]\nca_bundle = ${labCaFile()}\n`);
    r = await s3k(['-c', cfg, '-d', 'ls'], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`(ca_bundle of AWS profile "default")`), r.stderr);
    // the command line wins over the profile: a bad --ca-certs is used, and fails
    const empty = path.join(work, 'no-cert.pem');
    fs.writeFileSync(empty, 'not a certificate\n');
    r = await s3k(['-c', cfg, '--ca-certs', empty, 'ls'], { env: { HOME: home } });
    assert.equal(r.code, 77, r.stderr);
    assert.equal(r.stderr, `ERROR: SSL certificate verification failure: the CA certificates file '${empty}' (--ca-certs) holds no PEM certificate (-----BEGIN CERTIFICATE-----); point --ca-certs at a PEM bundle\n`);
  });

  it('without the CA: one line naming the server and --ca-certs / AWS_CA_BUNDLE, exit 77, no retries', async () => {
    const r = await s3k(['-c', httpsS3cfg(), '-v', 'ls']);
    assert.equal(r.code, 77, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, TLS_LINE);
    assert.ok(r.stderr.includes(`${labHttpsEndpoint()}: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`), r.stderr);
    assert.match(r.stderr, /--ca-certs FILE .*AWS_CA_BUNDLE/);
    assert.doesNotMatch(r.stderr, /Retrying/);
  });

  it('--no-check-certificate and check_ssl_certificate = False skip verification', async () => {
    let r = await s3k(['-c', httpsS3cfg(), '--no-check-certificate', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['-c', httpsS3cfg({ check_ssl_certificate: 'False' }), 'ls']);
    assert.equal(r.code, 0, r.stderr);
    // --check-certificate on the command line beats the file
    r = await s3k(['-c', httpsS3cfg({ check_ssl_certificate: 'False' }), '--check-certificate', 'ls']);
    assert.equal(r.code, 77, r.stderr);
  });

  it('the CA file is read only for https: a missing one is an error there (74), not for plain http', async () => {
    const missing = path.join(work, 'missing.pem');
    let r = await s3k(['ls'], { env: { ...adminEnv(), AWS_CA_BUNDLE: missing } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(adminEnv().AWS_ENDPOINT_URL, labEndpoint());
    r = await s3k(['ls'], { env: { ...adminHttpsEnv(), AWS_CA_BUNDLE: missing } });
    assert.equal(r.code, 74, r.stderr);
    assert.equal(r.stderr, `ERROR: cannot read the CA certificates file '${missing}' (AWS_CA_BUNDLE): No such file or directory; point AWS_CA_BUNDLE at a PEM file with the CA certificates to trust\n`);
  });

  describe('IRSA with STS over https', () => {
    let roleArn: string;
    let tokenFile: string;
    const buckets: string[] = [];
    before(async () => {
      ({ roleArn } = await setupIrsa());
      tokenFile = path.join(tempDir('tls-irsa'), 'token');
      await writeToken(tokenFile);
    });
    after(async () => {
      // role-owned buckets: remove them through the role (s3k itself, over https)
      for (const b of buckets) await s3k(['rb', '--recursive', '--force', `s3://${b}`], { env: pod() });
    });
    const pod = (extra: Record<string, string> = {}) => ({
      ...irsaEnv(roleArn, tokenFile),
      AWS_ENDPOINT_URL_S3: labHttpsEndpoint(),
      AWS_ENDPOINT_URL_STS: labHttpsEndpoint(),
      AWS_CA_BUNDLE: labCaFile(),
      ...extra,
    });

    it('AssumeRoleWithWebIdentity at the https STS endpoint, then S3 over https, all verified with AWS_CA_BUNDLE', async () => {
      const b = uniqueBucket('tls-irsa');
      buckets.push(b);
      let r = await s3k(['-d', 'mb', `s3://${b}`], { env: pod() });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`at ${labHttpsEndpoint()}/`), 'STS was called over https');
      const f = path.join(tempDir('tls-irsa-f'), 'f.txt');
      fs.writeFileSync(f, 'irsa over tls');
      r = await s3k(['put', f, `s3://${b}/f.txt`], { env: pod() });
      assert.equal(r.code, 0, r.stderr);
      r = await s3k(['get', `s3://${b}/f.txt`, '-'], { env: pod() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'irsa over tls');
    });

    it('without the CA the STS call fails with one line naming the STS endpoint, exit 77, not retried', async () => {
      const r = await s3k(['-d', 'ls'], { env: pod({ AWS_CA_BUNDLE: '' }) });
      assert.equal(r.code, 77, r.stderr);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, TLS_LINE);
      assert.ok(errors[0]!.includes(`STS endpoint ${labHttpsEndpoint()}: unable to verify the first certificate`), errors[0]);
      assert.match(errors[0]!, /--ca-certs FILE .*AWS_CA_BUNDLE/);
      assert.doesNotMatch(r.stderr, /retry 1\//, 'a certificate failure is not retried');
    });

    it('--no-check-certificate applies to STS too', async () => {
      const r = await s3k(['--no-check-certificate', 'ls'], { env: pod({ AWS_CA_BUNDLE: '' }) });
      assert.equal(r.code, 0, r.stderr);
    });
  });

  describe('host name check (a loopback TLS front with a certificate for wrong.example, own CA)', () => {
    const dir = tempDir('tls-wrongname');
    let server: tls.Server;
    let endpoint: string;
    const ca = path.join(dir, 'ca.pem');
    before(async () => {
      const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      sh(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA']);
      sh(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'csr.pem', '-subj', '/CN=wrong.example']);
      fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:wrong.example\n');
      sh(['x509', '-req', '-in', 'csr.pem', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1', '-days', '2', '-extfile', 'ext', '-out', 'cert.pem']);
      const up = new URL(labEndpoint());
      server = tls.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (c) => {
        const u = net.connect(Number(up.port), up.hostname);
        c.pipe(u).pipe(c);
        c.on('error', () => u.destroy());
        u.on('error', () => c.destroy());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('a certificate for another name fails (77, says --no-check-hostname); --no-check-hostname passes; the chain is still checked', async () => {
      const env = { ...adminEnv(), AWS_ENDPOINT_URL: endpoint };
      let r = await s3k(['--ca-certs', ca, 'ls'], { env });
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, new RegExp(`^ERROR: SSL certificate verification failure: ${endpoint}: .*\\(ERR_TLS_CERT_ALTNAME_INVALID\\); .*--no-check-hostname \\(insecure\\)\\n$`));
      r = await s3k(['--ca-certs', ca, '--no-check-hostname', 'ls'], { env });
      assert.equal(r.code, 0, r.stderr);
      r = await s3k(['-c', writeS3cfg({ extra: { ca_certs_file: ca, check_ssl_hostname: 'False' } }), 'ls'], { env });
      assert.equal(r.code, 0, r.stderr);
      r = await s3k(['--no-check-hostname', 'ls'], { env });
      assert.equal(r.code, 77, 'without the CA the chain does not verify');
      assert.match(r.stderr, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    });
  });
});
