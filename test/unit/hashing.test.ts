// Hashing on worker threads (src/storage/hashing.ts): the digests equal node:crypto's over the same
// bytes in the same order, buffers handed over come back whole, and a stream far ahead of its worker
// is told to wait.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashFile, StreamHash, OFF_THREAD_BYTES } from '../../src/storage/hashing.ts';

const md5 = (...bufs: Buffer[]) => {
  const h = crypto.createHash('md5');
  for (const b of bufs) h.update(b);
  return h.digest('hex');
};

describe('hashing off the main thread', () => {
  it('hashFile: a big file is read and hashed on a worker; a small one here; both equal node:crypto', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-hash-'));
    try {
      const big = crypto.randomBytes(OFF_THREAD_BYTES + 12345);
      const small = crypto.randomBytes(1000);
      fs.writeFileSync(path.join(dir, 'big'), big);
      fs.writeFileSync(path.join(dir, 'small'), small);
      const b = await hashFile(path.join(dir, 'big'), 'md5', big.length);
      assert.equal(b.digest.toString('hex'), md5(big));
      assert.equal(b.size, big.length);
      const s = await hashFile(path.join(dir, 'small'), 'sha256', small.length);
      assert.equal(s.digest.toString('hex'), crypto.createHash('sha256').update(small).digest('hex'));
      await assert.rejects(hashFile(path.join(dir, 'missing'), 'md5', OFF_THREAD_BYTES), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
      // a byte range (a part being uploaded), on the worker and here; past the end: fewer bytes
      const part = { start: 10_001, length: OFF_THREAD_BYTES };
      const r = await hashFile(path.join(dir, 'big'), 'md5', part.length, part);
      assert.deepEqual([r.digest.toString('hex'), r.size], [md5(big.subarray(part.start, part.start + part.length)), part.length]);
      const tail = await hashFile(path.join(dir, 'big'), 'md5', OFF_THREAD_BYTES, { start: OFF_THREAD_BYTES, length: OFF_THREAD_BYTES });
      assert.deepEqual([tail.digest.toString('hex'), tail.size], [md5(big.subarray(OFF_THREAD_BYTES)), 12345]);
      const here = await hashFile(path.join(dir, 'small'), 'md5', 10, { start: 10, length: 10 });
      assert.equal(here.digest.toString('hex'), md5(small.subarray(10, 20)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('StreamHash: copied and handed-over buffers are hashed in order; handed-over ones come back whole', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => crypto.randomBytes(256 * 1024 + i));
    const h = new StreamHash('md5', OFF_THREAD_BYTES * 4);
    const back: Buffer[] = [];
    for (let i = 0; i < chunks.length; i++) {
      if (i % 2) {
        // handed over: a view into a bigger buffer of its own, as the download's write batches are
        const whole = Buffer.allocUnsafeSlow(chunks[i].length + 100);
        chunks[i].copy(whole, 100);
        await h.update(whole.subarray(100), (b) => back.push(b));
        assert.equal(whole.length, 0, 'the memory moved to the worker');
      } else await h.update(Buffer.from(chunks[i]));
    }
    assert.equal((await h.digest()).toString('hex'), md5(...chunks));
    assert.equal(back.length, 20);
    for (const [k, b] of back.entries()) assert.equal(b.length, chunks[2 * k + 1].length + 100, 'returned whole, offset included');
  });

  it('StreamHash: update() returns a promise once the worker is more than 8 MiB behind, and it resolves', async () => {
    const h = new StreamHash('sha1', OFF_THREAD_BYTES * 10);
    const data: Buffer[] = [];
    let waited = 0;
    for (let i = 0; i < 24; i++) {
      const b = crypto.randomBytes(1024 * 1024);
      data.push(b);
      const p = h.update(b);
      if (p) {
        waited++;
        await p;
      }
    }
    assert.ok(waited > 0, 'a stream 24 MiB ahead was asked to wait at least once');
    assert.equal((await h.digest()).toString('hex'), crypto.createHash('sha1').update(Buffer.concat(data)).digest('hex'));
  });

  it('StreamHash: small streams are hashed here, and a buffer handed over is given straight back', async () => {
    const h = new StreamHash('md5', 1000);
    const b = Buffer.from('hello');
    let got: Buffer | undefined;
    assert.equal(h.update(b, (x) => (got = x)), undefined);
    assert.equal(got, b);
    assert.equal((await h.digest()).toString('hex'), md5(Buffer.from('hello')));
  });
});
