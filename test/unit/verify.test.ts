// Which check a download gets from the object's headers, the part sizes guessed for a composite
// ETag, and the streaming verifier's composite math (whatever the chunking of the stream).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { planFromHeaders, partSizeGuesses, resolvePlan, StreamVerifier, verifyBuffer, type ResolvedPlan } from '../../src/transfer/verify.ts';
import { digestOf } from '../../src/transfer/checksums.ts';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest();
/** The ETag S3 gives an upload of `body` in parts of `part` bytes. */
function multipartEtag(body: Buffer, part: number): string {
  const ds: Buffer[] = [];
  for (let o = 0; o < body.length; o += part) ds.push(md5(body.subarray(o, o + part)));
  return `"${md5(Buffer.concat(ds)).toString('hex')}-${ds.length}"`;
}
function compositeChecksum(algo: 'crc32' | 'crc32c' | 'sha256', body: Buffer, part: number): string {
  const ds: Buffer[] = [];
  for (let o = 0; o < body.length; o += part) ds.push(digestOf(algo, body.subarray(o, o + part)));
  return `${digestOf(algo, Buffer.concat(ds)).toString('base64')}-${ds.length}`;
}
/** Feed `body` in random-sized chunks. */
function streamed(plan: ResolvedPlan, body: Buffer) {
  const v = new StreamVerifier(plan);
  for (let o = 0; o < body.length; ) {
    const n = 1 + Math.floor(Math.random() * 300_000);
    v.update(body.subarray(o, o + n));
    o += n;
  }
  return v.finish();
}

describe('planFromHeaders', () => {
  const hexMd5 = 'd41d8cd98f00b204e9800998ecf8427e';
  it('a plain-MD5 ETag comes first; SSE-KMS ETags are not MD5s', () => {
    assert.deepEqual(planFromHeaders({ etag: `"${hexMd5}"`, 'x-amz-checksum-crc32': 'AAAAAA==' }).kind, 'whole');
    assert.equal((planFromHeaders({ etag: `"${hexMd5}"` }) as { label: string }).label, 'md5');
    const kms = planFromHeaders({ etag: `"${hexMd5}"`, 'x-amz-server-side-encryption': 'aws:kms' });
    assert.equal(kms.kind, 'none');
  });
  it('a full-object checksum beats metadata and composite ETags', () => {
    const p = planFromHeaders({ etag: '"0123456789abcdef0123456789abcdef-3"', 'x-amz-checksum-crc64nvme': 'SoXXbx67KpE=', 'x-amz-checksum-type': 'FULL_OBJECT', 'x-amz-meta-md5chksum': md5(Buffer.from('x')).toString('base64') });
    assert.equal(p.kind, 'whole');
    assert.equal((p as { algo: string }).algo, 'crc64nvme');
  });
  it("s3cmd's attrs md5 and rclone's md5chksum give the whole MD5 of a multipart object", () => {
    const mp = '"0123456789abcdef0123456789abcdef-3"';
    const s = planFromHeaders({ etag: mp, 'x-amz-meta-s3cmd-attrs': `atime:1/md5:${hexMd5}/mode:33188` });
    assert.equal((s as { label: string }).label, 'md5 (s3cmd-attrs)');
    const r = planFromHeaders({ etag: mp, 'x-amz-meta-md5chksum': Buffer.from(hexMd5, 'hex').toString('base64') });
    assert.equal((r as { label: string }).label, 'md5 (rclone md5chksum)');
    assert.equal((r as { expected: Buffer }).expected.toString('hex'), hexMd5);
  });
  it('a composite ETag, then a composite checksum; bad values are ignored', () => {
    const e = planFromHeaders({ etag: '"0123456789abcdef0123456789abcdef-3"', 'x-amz-checksum-crc32': 'not base64!' });
    assert.deepEqual([e.kind, (e as { parts: number }).parts, (e as { source: string }).source], ['composite', 3, 'ETag']);
    const c = planFromHeaders({ etag: '"abc"', 'x-amz-checksum-crc32c': 'AAAAAA==-4', 'x-amz-checksum-type': 'COMPOSITE' });
    assert.deepEqual([c.kind, (c as { algo: string }).algo, (c as { parts: number }).parts], ['composite', 'crc32c', 4]);
    assert.equal(planFromHeaders({ etag: '"abc"', 'x-amz-checksum-crc32': 'AAAA' }).kind, 'none', 'a CRC32 is 4 bytes');
    assert.match((planFromHeaders({}) as { reason: string }).reason, /no ETag/);
  });
});

describe('part size guesses', () => {
  it('only sizes that cut the object into exactly N parts, the common ones first', () => {
    const g = partSizeGuesses(20 * MiB, 3);
    assert.equal(g[0], 8 * MiB);
    for (const p of g) assert.equal(Math.ceil((20 * MiB) / p), 3);
    assert.deepEqual(partSizeGuesses(20 * MiB + 11, 2, [15 * MiB]).slice(0, 2), [15 * MiB, 16 * MiB]);
    assert.ok(partSizeGuesses(20 * MiB, 4).includes(5 * MiB), 'rclone 5 MiB');
    assert.ok(partSizeGuesses(41 * MiB, 3).includes(15 * MiB), 's3cmd 15 MiB');
    assert.deepEqual(partSizeGuesses(123, 1), [123]);
    assert.ok(partSizeGuesses(1000 * MiB, 7).length <= 6);
  });
  it('N = 1 and a probed size are certain; otherwise guessed, with the reason kept', () => {
    const p = planFromHeaders({ etag: '"0123456789abcdef0123456789abcdef-3"' });
    assert.equal((resolvePlan(p, 20 * MiB, { partSize: 8 * MiB }) as { how: string }).how, 'HEAD ?partNumber=1');
    const g = resolvePlan(p, 20 * MiB, { partSize: 20 * MiB, note: 'ignored' }) as { how: string; note: string };
    assert.deepEqual([g.how, g.note], ['guessed', 'ignored'], 'a part 1 as large as the object does not fit 3 parts');
  });
});

describe('StreamVerifier', () => {
  const body = crypto.randomBytes(20 * MiB + 5);
  it('a composite ETag of 8 MiB parts verifies whatever the chunking', () => {
    const plan = resolvePlan(planFromHeaders({ etag: multipartEtag(body, 8 * MiB) }), body.length);
    const out = streamed(plan, body);
    assert.deepEqual(out, { ok: true, how: 'composite MD5 of 3 parts of 8 MiB (part size guessed)' });
  });
  it('a guessed part size that matches nothing is "not verified", never a mismatch', () => {
    const plan = resolvePlan(planFromHeaders({ etag: multipartEtag(body, 7 * MiB + 1) }), body.length, { note: 'the server ignores partNumber' });
    const out = streamed(plan, body);
    assert.equal(out.ok, undefined);
    assert.match((out as { why: string }).why, /composite of 3 parts and none of the part sizes tried \(8 MiB, .*\) gives it.*ignores partNumber/);
  });
  it('a corrupt byte at a certain part size is a mismatch', () => {
    const plan = resolvePlan(planFromHeaders({ etag: multipartEtag(body, 8 * MiB) }), body.length, { partSize: 8 * MiB });
    const bad = Buffer.from(body);
    bad[9 * MiB] ^= 1;
    const out = streamed(plan, bad);
    assert.equal(out.ok, false);
    assert.match((out as { what: string }).what, /composite MD5 of 3 parts of 8 MiB/);
    assert.deepEqual(streamed(plan, body), { ok: true, how: 'composite MD5 of 3 parts of 8 MiB (part size from HEAD ?partNumber=1)' });
  });
  it('composite checksums (CRC32C of part CRC32Cs) and full-object checksums', () => {
    const c = resolvePlan(planFromHeaders({ etag: '"x"', 'x-amz-checksum-crc32c': compositeChecksum('crc32c', body, 5 * MiB) }), body.length, { partSize: 5 * MiB });
    assert.deepEqual(streamed(c, body), { ok: true, how: 'composite crc32c of 5 parts of 5 MiB (part size from HEAD ?partNumber=1)' });
    const w = planFromHeaders({ etag: '"x-5"', 'x-amz-checksum-crc32': digestOf('crc32', body).toString('base64'), 'x-amz-checksum-type': 'FULL_OBJECT' });
    assert.deepEqual(streamed(w as ResolvedPlan, body), { ok: true, how: 'crc32' });
    const bad = Buffer.from(body);
    bad[0] ^= 0x80;
    const out = verifyBuffer(w as ResolvedPlan, bad);
    assert.equal(out.ok, false);
    assert.equal((out as { what: string }).what, 'CRC32');
  });
  it('one part: the part size is the object size', () => {
    const small = crypto.randomBytes(1000);
    const plan = resolvePlan(planFromHeaders({ etag: multipartEtag(small, 5 * MiB) }), small.length);
    assert.deepEqual(verifyBuffer(plan, small), { ok: true, how: 'composite MD5 of 1 part of 1000 bytes' });
  });
});

describe('x-amz-checksum-mode', () => {
  it('is asked of AWS endpoints only', async () => {
    const { wantsChecksumMode } = await import('../../src/s3/ops.ts');
    for (const h of ['s3.amazonaws.com', 's3.eu-west-1.amazonaws.com', 'bucket.s3.us-east-2.amazonaws.com', 's3.cn-north-1.amazonaws.com.cn', 's3.amazonaws.com:443']) assert.equal(wantsChecksumMode(h), true, h);
    for (const h of ['127.0.0.1:7480', 'minio.local:9000', 'amazonaws.com.evil.example', 'notamazonaws.com']) assert.equal(wantsChecksumMode(h), false, h);
  });
});
