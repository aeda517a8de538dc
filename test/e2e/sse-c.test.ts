// SSE-C (customer-provided keys, s3k's own --sse-customer-key) against the lab's https endpoint, where
// RGW accepts it: round trips (small, single large, multipart), sync both ways and again with nothing
// to do, info, the errors for a missing or wrong key, and that -d never shows the key.
// RGW 16 does not copy SSE-C objects server-side (501): the cp case checks s3k's line for that.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminHttpsEnv, s3k, s3Request, tempDir, uniqueBucket } from '../support/lab.ts';

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const KEY = crypto.randomBytes(32).toString('base64');
const KEY2 = crypto.randomBytes(16).toString('hex'); // 32 characters of text: the aws cli's form

describe('SSE-C over the lab https endpoint', () => {
  const env = adminHttpsEnv();
  const bucket = uniqueBucket('ssec');
  const work = tempDir('ssec');
  const k = `--sse-customer-key=${KEY}`;
  before(async () => {
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await adminDeleteBucket(bucket).catch(() => undefined);
  });

  it('put (small, single large, multipart) and get round trips are byte-identical; the data is stored encrypted', async () => {
    const files: Record<string, Buffer> = { 'small.txt': Buffer.from('secret text\n'), 'mid.bin': crypto.randomBytes(6_000_000), 'big.bin': crypto.randomBytes(11 * 1024 * 1024 + 3) };
    for (const [n, d] of Object.entries(files)) fs.writeFileSync(path.join(work, n), d);
    let r = await s3k(['put', k, path.join(work, 'small.txt'), path.join(work, 'mid.bin'), `s3://${bucket}/`], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['put', k, '--multipart-chunk-size-mb=5', path.join(work, 'big.bin'), `s3://${bucket}/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const head = await s3Request({ tls: true, method: 'HEAD', bucket, key: 'big.bin' });
    assert.equal(head.status, 400, 'a HEAD without the key is refused: the object is SSE-C');
    for (const [n, d] of Object.entries(files)) {
      const out = path.join(work, `got-${n}`);
      r = await s3k(['get', k, `s3://${bucket}/${n}`, out], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(md5(fs.readFileSync(out)), md5(d), n);
    }
    r = await s3k(['info', k, `s3://${bucket}/big.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    const keyMd5 = crypto.createHash('md5').update(Buffer.from(KEY, 'base64')).digest('base64');
    assert.ok(r.stdout.includes(`   SSE:       SSE-C (AES256, key MD5 ${keyMd5})\n`), r.stdout);
    assert.ok(r.stdout.includes(`   MD5 sum:   ${md5(files['big.bin']!)}\n`), 'MD5 from s3cmd-attrs');
  });

  it('a missing or wrong key: one line saying so, s3cmd exit code for 400, no data written', async () => {
    fs.writeFileSync(path.join(work, 'k.txt'), 'k');
    let r = await s3k(['put', k, path.join(work, 'k.txt'), `s3://${bucket}/k.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = path.join(work, 'nokey.txt');
    r = await s3k(['get', `s3://${bucket}/k.txt`, out], { env });
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /^ERROR: S3 error: 400 \(.*\) - the object is stored with a customer-provided key \(SSE-C\): give that key with --sse-customer-key\n$/);
    assert.equal(fs.existsSync(out), false);
    r = await s3k(['get', `--sse-customer-key=${KEY2}`, `s3://${bucket}/k.txt`, out], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ERROR: S3 error: 40[03] \(.*\) - the SSE-C key given \(--sse-customer-key .*\) is not the key the object was stored with/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!r.stderr.includes(KEY2));
    r = await s3k(['get', '--sse-customer-key=tooshort', `s3://${bucket}/k.txt`, out], { env });
    assert.equal(r.code, 64, r.stderr);
    assert.equal(r.stderr, 'ERROR: Parameter problem: --sse-customer-key must be a 256-bit key: 32 bytes of text, or 32 bytes in base64 (44 characters); the value given is 8 bytes\n');
  });

  it('sync up and down with the key; a second sync finds nothing to do (compares use s3cmd-attrs, not the ETag)', async () => {
    const src = path.join(work, 'tree');
    fs.mkdirSync(path.join(src, 'd'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(src, 'd', 'b.bin'), crypto.randomBytes(300_000));
    let r = await s3k(['sync', k, `${src}/`, `s3://${bucket}/tree/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/^upload:/gm) ?? []).length, 2, r.stdout);
    r = await s3k(['sync', k, `${src}/`, `s3://${bucket}/tree/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /upload:/);
    const down = path.join(work, 'down');
    r = await s3k(['sync', k, `s3://${bucket}/tree/`, `${down}/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(down, 'd', 'b.bin')).equals(fs.readFileSync(path.join(src, 'd', 'b.bin'))), true);
    r = await s3k(['sync', k, `s3://${bucket}/tree/`, `${down}/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /download:/);
  });

  it('-d output never shows the key (text or base64), on put, get and a failing get', async () => {
    const f = path.join(work, 'dbg.txt');
    fs.writeFileSync(f, 'debug me');
    const runs = [
      await s3k(['-d', 'put', `--sse-customer-key=${KEY2}`, f, `s3://${bucket}/dbg.txt`], { env }),
      await s3k(['-d', 'get', '--force', `--sse-customer-key=${KEY2}`, `s3://${bucket}/dbg.txt`, path.join(work, 'dbg.out')], { env }),
      await s3k(['-d', 'get', '--force', `--sse-customer-key=${KEY}`, `s3://${bucket}/dbg.txt`, path.join(work, 'dbg.out')], { env }),
    ];
    assert.equal(runs[0]!.code, 0, runs[0]!.stderr);
    assert.equal(runs[1]!.code, 0, runs[1]!.stderr);
    assert.notEqual(runs[2]!.code, 0);
    for (const r of runs) {
      assert.match(r.stderr, /DEBUG:/);
      for (const secret of [KEY, KEY2, Buffer.from(KEY2).toString('base64')]) assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), 'key printed');
    }
  });

  it('server-side copy sends the copy-source key; RGW 16 answers 501, and s3k says to use get and put', async () => {
    const r = await s3k(['cp', k, `s3://${bucket}/k.txt`, `s3://${bucket}/k2.txt`], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /501 \(NotImplemented\).* - this server cannot copy SSE-C objects server-side .*'get' and 'put'/);
  });
});
