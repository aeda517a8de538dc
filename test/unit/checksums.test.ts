// CRC32, CRC32C and CRC64NVME against published test vectors (the CRC catalogue's "123456789" check
// values, RFC 3720 appendix B.4 for CRC32C, the NVM Command Set specification's 64b CRC test cases
// for CRC64NVME), and composite (checksum-of-checksums) values as S3 computes them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { crc32, crc32js, crc32c, crc64nvme, newDigest, digestOf, compositeOf } from '../../src/transfer/checksums.ts';

const ascii = (s: string) => Buffer.from(s, 'latin1');
const hex64 = (c: [number, number]) => c[0].toString(16).padStart(8, '0') + c[1].toString(16).padStart(8, '0');
const fill = (n: number, f: (i: number) => number) => Buffer.from(Array.from({ length: n }, (_, i) => f(i)));

describe('CRC32', () => {
  it('check value and empty input', () => {
    assert.equal(crc32(ascii('123456789')), 0xcbf43926);
    assert.equal(crc32js(ascii('123456789')), 0xcbf43926);
    assert.equal(crc32js(Buffer.alloc(0)), 0);
    assert.equal(crc32js(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  });
  it('the pure-JS table agrees with zlib on random data, in any split', () => {
    const b = crypto.randomBytes(100_003);
    const whole = crc32js(b);
    assert.equal(crc32js(b.subarray(37), crc32js(b.subarray(0, 37))), whole);
    assert.equal(crc32(b), whole);
  });
});

describe('CRC32C', () => {
  it('check value and RFC 3720 B.4 vectors', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(fill(32, (i) => i)), 0x46dd794e);
    assert.equal(crc32c(fill(32, (i) => 31 - i)), 0x113fdb5c);
    assert.equal(crc32c(ascii('Hello world!')), 0x7b98e751);
  });
  it('continues across any split (slicing-by-8 and the byte tail agree)', () => {
    const b = crypto.randomBytes(4099);
    const whole = crc32c(b);
    for (const cut of [0, 1, 7, 8, 9, 2048, 4098]) assert.equal(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut))), whole, `cut ${cut}`);
    let bytewise = 0;
    for (const x of b) bytewise = crc32c(Buffer.of(x), bytewise);
    assert.equal(bytewise, whole);
  });
});

describe('CRC64NVME', () => {
  it('check value and the NVM Command Set 64b CRC test cases (4 KiB buffers)', () => {
    assert.equal(hex64(crc64nvme(ascii('123456789'))), 'ae8b14860a799888');
    assert.equal(hex64(crc64nvme(Buffer.alloc(4096))), '6482d367eb22b64e');
    assert.equal(hex64(crc64nvme(Buffer.alloc(4096, 0xff))), 'c0ddba7302eca3ac');
    assert.equal(hex64(crc64nvme(fill(4096, (i) => i & 0xff))), '3e729f5f6750449c');
    assert.equal(hex64(crc64nvme(fill(4096, (i) => 255 - (i & 0xff)))), '9a2df64b8e9e517e');
    // aws-checksums' known value for 32 zero bytes
    assert.equal(hex64(crc64nvme(Buffer.alloc(32))), 'cf3473434d4ecf3b');
  });
  it("as S3 shows it: base64 of the big-endian bytes ('Hello, World!\\n' -> SoXXbx67KpE=)", () => {
    assert.equal(digestOf('crc64nvme', ascii('Hello, World!\n')).toString('base64'), 'SoXXbx67KpE=');
  });
  it('continues across any split', () => {
    const b = crypto.randomBytes(10_007);
    const whole = hex64(crc64nvme(b));
    for (const cut of [1, 5, 8, 13, 5000]) assert.equal(hex64(crc64nvme(b.subarray(cut), crc64nvme(b.subarray(0, cut)))), whole, `cut ${cut}`);
    const d = newDigest('crc64nvme');
    for (let i = 0; i < b.length; i += 333) d.update(b.subarray(i, i + 333));
    assert.equal(d.digest().toString('hex'), whole);
  });
});

describe('digests and composites', () => {
  it('crc32/crc32c digests are 4 big-endian bytes; sha/md5 are node:crypto', () => {
    assert.equal(digestOf('crc32', ascii('123456789')).toString('hex'), 'cbf43926');
    assert.equal(digestOf('crc32c', ascii('123456789')).toString('hex'), 'e3069283');
    assert.equal(digestOf('sha256', ascii('abc')).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(digestOf('sha1', ascii('abc')).toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  });
  it('a multipart ETag is the MD5 of the parts\' binary MD5s', () => {
    const a = Buffer.alloc(5 * 1024 * 1024, 1);
    const b = Buffer.alloc(1000, 2);
    const md5 = (x: Buffer) => crypto.createHash('md5').update(x).digest();
    const expected = crypto.createHash('md5').update(Buffer.concat([md5(a), md5(b)])).digest('hex');
    assert.equal(compositeOf('md5', [md5(a), md5(b)]).toString('hex'), expected);
    assert.notEqual(compositeOf('md5', [md5(b), md5(a)]).toString('hex'), expected, 'order matters');
  });
});
