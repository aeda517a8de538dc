// Bad input tried as a new user would: one clear line, s3cmd's exit code, never a stack trace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  adminDeleteBucket, adminEnv, adminPutObject, labEnv, labHostPort, s3k, s3kAsNobody, tempDir, uniqueBucket, writeS3cfg,
} from '../support/lab.ts';

const env = adminEnv();

/** One line on stderr, no stack trace. */
function oneLine(stderr: string, re: RegExp) {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], re);
  assert.doesNotMatch(stderr, /\n\s+at |Error: .*\n.*node:/, 'no stack trace');
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('errors and exit codes', () => {
  const bucket = uniqueBucket('errs');
  before(async () => {
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
    await adminPutObject(bucket, 'k.txt', 'x');
  });
  after(async () => {
    await adminDeleteBucket(bucket);
  });

  it('missing bucket: 12 with both s3cmd lines', async () => {
    const r = await s3k(['ls', 's3://no-such-bucket-s3k-test'], { env });
    assert.equal(r.code, 12);
    assert.equal(r.stderr, "ERROR: Bucket 'no-such-bucket-s3k-test' does not exist\nERROR: S3 error: 404 (NoSuchBucket)\n");
  });

  it('missing key: get 64, info 12', async () => {
    let r = await s3k(['get', `s3://${bucket}/nope.txt`, tempDir('x') + '/out'], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, new RegExp(`^ERROR: Parameter problem: Source object 's3://${bucket}/nope.txt' does not exist\\.$`));
    r = await s3k(['info', `s3://${bucket}/nope.txt`], { env });
    assert.equal(r.code, 12);
    oneLine(r.stderr, /^ERROR: S3 error: 404 \(NoSuchKey\): The specified key does not exist\.$/);
  });

  it('bad keys: 77', async () => {
    const r = await s3k(['ls', `s3://${bucket}`], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret-key-0000000000000000000000' } });
    assert.equal(r.code, 77);
    // s3cmd prints its bucket line first for AccessDenied on a bucket listing
    assert.match(r.stderr, new RegExp(`^(ERROR: Access to bucket '${bucket}' was denied\\n)?ERROR: S3 error: 403 \\((AccessDenied|SignatureDoesNotMatch)\\)`));
    assert.doesNotMatch(r.stderr, /wrong-secret-key/);
    const r2 = await s3k(['ls'], { env: { ...env, AWS_ACCESS_KEY_ID: 'NOSUCHKEY0000000000' } });
    assert.equal(r2.code, 77);
    // RGW with STS enabled answers an unknown key with AccessDenied; AWS says InvalidAccessKeyId
    assert.match(r2.stderr, /^ERROR: S3 error: 403 \((InvalidAccessKeyId|AccessDenied)\)/);
  });

  it('unknown command and missing parameters: 64', async () => {
    let r = await s3k(['frob'], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'ERROR: Invalid command: frob\n');
    r = await s3k(['put', 'onlyone'], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, "ERROR: Not enough parameters for command 'put'\n");
  });

  it("unknown option or bad option value: optparse's usage line, exit 2 (as s3cmd)", async () => {
    let r = await s3k(['ls', '--frobnicate'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'Usage: s3k [options] COMMAND [parameters]\n\ns3k: error: no such option: --frobnicate\n');
    r = await s3k(['--parallel=x', 'ls'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "Usage: s3k [options] COMMAND [parameters]\n\ns3k: error: option --parallel: invalid integer value: 'x'\n");
    r = await s3k(['sync', '--shard=3/3', 'a/', `s3://${bucket}/`], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\ns3k: error: option --shard: invalid value: '3\/3' \(must be K\/N with 0 <= K < N, e\.g\. 0\/4\)\n$/);
    r = await s3k(['ls', '--limit'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\ns3k: error: --limit option requires 1 argument\n$/);
  });

  it("--add-header without a colon: s3cmd's Parameter problem, 64", async () => {
    const r = await s3k(['--add-header=foo', 'ls', `s3://${bucket}`], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Invalid header format: foo$/);
  });

  it('an option s3k does not implement: one line saying so, 64', async () => {
    const r = await s3k(['sync', '--delete-after-fetch', `s3://${bucket}/c/`, tempDir('c') + '/'], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: s3k does not support --delete-after-fetch yet; /);
    for (const opt of ['--keep-dirs', '--cache-file=/tmp/s3k-cache']) {
      const rp = await s3k(['put', opt, '/etc/hostname', `s3://${bucket}/c/`], { env });
      assert.equal(rp.code, 64, opt);
      oneLine(rp.stderr, /^ERROR: s3k supports --(keep-dirs|cache-file) with sync only, not put/);
    }
  });

  it('connection refused (wrong port): 111', async () => {
    const port = await closedPort();
    const r = await s3k(['ls'], { env: { ...env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` } });
    assert.equal(r.code, 111);
    oneLine(r.stderr, /^ERROR: \[Errno 111\] Connection refused/);
    const cfg = writeS3cfg({ extra: { host_base: `127.0.0.1:${port}`, host_bucket: `127.0.0.1:${port}` } });
    const r2 = await s3k(['-c', cfg, 'ls']);
    assert.equal(r2.code, 111);
  });

  it("'s3://' with no bucket for put, and a directory without -r: 64", async () => {
    const f = path.join(tempDir('nb'), 'f.txt');
    fs.writeFileSync(f, 'x');
    let r = await s3k(['put', f, 's3://'], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Expecting S3 URI with a bucket name/);
    r = await s3k(['put', path.dirname(f), `s3://${bucket}/`], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Use --recursive to upload a directory: /);
    r = await s3k(['put', '/no/such/file.txt', `s3://${bucket}/`], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: No such file or directory: '\/no\/such\/file.txt'/);
  });

  it('an unreadable file: a clear line and a non-zero code, nothing uploaded', async () => {
    const dir = tempDir('unreadable');
    fs.chmodSync(dir, 0o755);
    const f = path.join(dir, 'secret.txt');
    fs.writeFileSync(f, 'x');
    fs.chmodSync(f, 0o000);
    // root reads anything: as root, s3k runs as nobody
    const r = await s3kAsNobody(['put', f, `s3://${bucket}/secret.txt`], { env, cwd: dir });
    assert.notEqual(r.code, 0);
    // Permission denied on the file itself, or on a parent directory when stat already fails
    oneLine(r.stderr, /^ERROR: (Upload of '.*secret.txt' is not possible \(Reason: Permission denied\)|Parameter problem: Permission denied: '.*secret.txt'\. Check the path; nothing was uploaded from it\.)$/);
  });

  it('malformed .s3cfg: 78 with the file and the bad value named', async () => {
    const cfg = writeS3cfg({ extra: { use_https: 'maybe' } });
    const r = await s3k(['-c', cfg, 'ls']);
    assert.equal(r.code, 78);
    oneLine(r.stderr, /^ERROR: .*s3cfg: value of option use_https must be Yes or No, not 'maybe'$/);
    const cfg2 = writeS3cfg({ extra: { multipart_chunk_size_mb: 'lots' } });
    const r2 = await s3k(['-c', cfg2, 'ls']);
    assert.equal(r2.code, 78);
    oneLine(r2.stderr, /multipart_chunk_size_mb must be a whole number, not 'lots'/);
  });

  it('a .s3cfg line that is not key = value is warned about and ignored', async () => {
    const cfg = writeS3cfg();
    fs.appendFileSync(cfg, 'this line is garbage\n');
    const r = await s3k(['-c', cfg, 'ls', `s3://${bucket}`]);
    assert.equal(r.code, 0, r.stderr);
    oneLine(r.stderr, /^WARNING: Ignoring invalid line in '.*s3cfg' \(line \d+\): this line is garbage$/);
  });

  it('a missing -c config file: 78', async () => {
    const r = await s3k(['-c', '/no/such/s3cfg', 'ls']);
    assert.equal(r.code, 78);
    oneLine(r.stderr, /^ERROR: \/no\/such\/s3cfg: config file not found/);
  });

  it('no credentials anywhere: 78 with what to set', async () => {
    const r = await s3k(['ls'], { env: { AWS_ENDPOINT_URL: labEnv().LAB_ENDPOINT } });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /^ERROR: .*credentials/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('invalid values: --multipart-chunk-size-mb, --region, bucket name', async () => {
    let r = await s3k(['put', '--multipart-chunk-size-mb=2', '/etc/hostname', `s3://${bucket}/`], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Chunk size 2 MB is too small, must be >= 5 MB\. Please adjust --multipart-chunk-size-mb$/);
    r = await s3k(['ls', '--region', 'Not A Region'], { env });
    assert.equal(r.code, 78);
    oneLine(r.stderr, /invalid region 'Not A Region'/);
    // s3cmd's check_bucket_name: DNS rules for a bucket outside US, its words
    r = await s3k(['mb', '--bucket-location=EU', 's3://Bad_Bucket'], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Bucket name 'Bad_Bucket' contains disallowed character 'B'\. The only supported ones are: lowercase us-ascii letters \(a-z\), digits \(0-9\), dot \(\.\) and hyphen \(-\)\.$/);
    r = await s3k(['mb', 's3://ab'], { env });
    assert.equal(r.code, 64);
    oneLine(r.stderr, /^ERROR: Parameter problem: Bucket name 'ab' is too short \(min 3 characters\)$/);
  });

  it('--version, --help and no arguments', async () => {
    let r = await s3k(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^s3k version \d+\.\d+\.\d+/);
    r = await s3k(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: s3k \[options\] COMMAND/);
    assert.match(r.stdout, /s3k put FILE \[FILE\.\.\.\] s3:\/\/BUCKET\[\/PREFIX\]/);
    r = await s3k([]);
    assert.equal(r.code, 64);
    // s3k's own options these modes do not read are refused, as for a command that does not read them
    for (const mode of ['--version', '--dump-config']) {
      r = await s3k([mode, '--json']);
      assert.equal(r.code, 64, r.stderr);
      assert.equal(r.stdout, '');
      oneLine(r.stderr, new RegExp(`^ERROR: --json does nothing with ${mode}; leave it out\\.$`));
    }
    r = await s3k(['--help', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: s3k \[options\] COMMAND/);
  });

  it('-d output never shows the secret key or session token; works with .s3cfg keys too', async () => {
    const secret = labEnv().LAB_ADMIN_SECRET_KEY;
    const r = await s3k(['-d', 'ls', `s3://${bucket}`], { env: { ...env, AWS_SESSION_TOKEN: undefined } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /DEBUG: /);
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
    const cfg = writeS3cfg();
    const r2 = await s3k(['-d', '-c', cfg, 'ls', `s3://${bucket}`]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(!r2.stderr.includes(secret));
    const r3 = await s3k(['-d', '--access_key', labEnv().LAB_ADMIN_ACCESS_KEY, '--secret_key', secret, '--host', labHostPort(), '--no-ssl', 'ls', `s3://${bucket}`]);
    assert.equal(r3.code, 0, r3.stderr);
    assert.ok(!r3.stderr.includes(secret));
    assert.match(r3.stderr, /WARNING: credentials given on the command line are visible/);
  });

  it('works from an unrelated working directory with .s3cfg in HOME', async () => {
    const home = tempDir('home');
    writeS3cfg({ dir: home });
    fs.renameSync(path.join(home, 's3cfg'), path.join(home, '.s3cfg'));
    const r = await s3k(['ls', `s3://${bucket}`], { env: { HOME: home }, cwd: '/' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`s3://${bucket}/k.txt`));
    void execFileSync;
  });
});
