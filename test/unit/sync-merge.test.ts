// The sync engine's pure parts: the merge-join of two sorted listings, what s3cmd decides for
// each pair, and the deferred-deletion list that spills to a temporary file past 10,000 entries.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeJoin, decide, compareRelative, UnsortedListingError, type Pair } from '../../src/sync/merge.ts';
import { DeferredList } from '../../src/sync/deferred.ts';
import { contentId } from '../../src/sync/engine.ts';
import type { Entry } from '../../src/storage/location.ts';

const entry = (relative: string, size = 1, extra: Partial<Entry> = {}): Entry => ({ relative, size, ...extra });

async function* listing(names: (string | Entry)[]): AsyncGenerator<Entry> {
  for (const n of names) yield typeof n === 'string' ? entry(n) : n;
}

async function pairs(src: (string | Entry)[], dst: (string | Entry)[]): Promise<Pair[]> {
  const out: Pair[] = [];
  for await (const p of mergeJoin(listing(src), listing(dst))) out.push(p);
  return out;
}

/** Each pair as 'name:<sides>' (s = source only, d = destination only, sd = both). */
const shape = (ps: Pair[]) => ps.map((p) => `${(p.src ?? p.dst)!.relative}:${p.src ? 's' : ''}${p.dst ? 'd' : ''}`);

describe('mergeJoin', () => {
  it('pairs equal names and keeps one-sided names in order', async () => {
    assert.deepEqual(shape(await pairs(['a', 'c', 'd', 'f'], ['b', 'c', 'e', 'f', 'g'])), ['a:s', 'b:d', 'c:sd', 'd:s', 'e:d', 'f:sd', 'g:d']);
  });

  it('either side may be empty', async () => {
    assert.deepEqual(shape(await pairs([], ['x', 'y'])), ['x:d', 'y:d']);
    assert.deepEqual(shape(await pairs(['x', 'y'], [])), ['x:s', 'y:s']);
    assert.deepEqual(await pairs([], []), []);
  });

  it('carries both entries of a pair', async () => {
    const [p] = await pairs([entry('k', 3, { path: '/tmp/k' })], [entry('k', 4, { key: 'pre/k', etag: 'e' })]);
    assert.equal(p.src!.path, '/tmp/k');
    assert.equal(p.dst!.key, 'pre/k');
    assert.equal(p.dst!.etag, 'e');
  });

  it('orders by UTF-8 bytes (S3 order), a directory "a" sorting as "a/"', async () => {
    // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a walk lists 'a-b', 'a/x', 'a0' and so does S3
    assert.deepEqual(shape(await pairs(['a-b', 'a/x', 'a0'], ['a-b', 'a/x', 'a0'])), ['a-b:sd', 'a/x:sd', 'a0:sd']);
    // U+FF61 is 3 bytes (EF BD A1), U+1F600 is 4 (F0 9F 98 80): UTF-8 puts the emoji last,
    // while UTF-16 code units (JavaScript's own '<') would put it first
    const halfwidth = '\uFF61';
    const emoji = '\u{1F600}';
    assert.ok(emoji < halfwidth, 'UTF-16 order differs');
    assert.ok(compareRelative(halfwidth, emoji) < 0);
    assert.deepEqual(shape(await pairs([halfwidth, emoji], [emoji])), [`${halfwidth}:s`, `${emoji}:sd`]);
  });

  it('a duplicate name on one side is dropped (the first wins)', async () => {
    const ps = await pairs([entry('a', 1), entry('a', 2), entry('b')], [entry('a', 1), entry('a', 9)]);
    assert.deepEqual(shape(ps), ['a:sd', 'b:s']);
    assert.equal(ps[0].src!.size, 1);
    assert.equal(ps[0].dst!.size, 1);
  });

  it('an unsorted listing stops the merge with UnsortedListingError, naming the side and the names', async () => {
    await assert.rejects(pairs(['a', 'c', 'b'], ['a']), (e: unknown) => {
      assert.ok(e instanceof UnsortedListingError);
      assert.match((e as Error).message, /the source listing is not in sorted order \('b' came after 'c'\)/);
      return true;
    });
    await assert.rejects(pairs(['a'], ['z', 'y']), (e: unknown) => e instanceof UnsortedListingError && /destination listing/.test((e as Error).message));
  });

  it('pairs come out before the listings end (streamed, not collected)', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Entry> {
      for (let i = 0; ; i++) {
        produced++;
        yield entry(`k${String(i).padStart(9, '0')}`);
      }
    }
    let seen = 0;
    for await (const p of mergeJoin(endless(), listing([]))) {
      void p;
      if (++seen === 5) break;
    }
    assert.ok(produced <= 6, `read ${produced} entries for 5 pairs`);
  });
});

describe('decide (s3cmd compare_filelists)', () => {
  const both = (a: number, b: number): Pair => ({ src: entry('f', a), dst: entry('f', b) });
  const o = { checkMd5: true, skipExisting: false, deleteRemoved: false };

  it('source only: transfer', () => {
    assert.equal(decide({ src: entry('f') }, o), 'transfer');
  });
  it('destination only: delete with --delete-removed, else skip', () => {
    assert.equal(decide({ dst: entry('f') }, o), 'skip');
    assert.equal(decide({ dst: entry('f') }, { ...o, deleteRemoved: true }), 'delete');
  });
  it('both, sizes differ: transfer', () => {
    assert.equal(decide(both(1, 2), o), 'transfer');
  });
  it('both, same size: compare MD5s, or skip with --no-check-md5', () => {
    assert.equal(decide(both(5, 5), o), 'check-md5');
    assert.equal(decide(both(5, 5), { ...o, checkMd5: false }), 'skip');
  });
  it('--skip-existing skips any pair, even of different sizes', () => {
    assert.equal(decide(both(1, 2), { ...o, skipExisting: true }), 'skip');
    assert.equal(decide({ src: entry('f') }, { ...o, skipExisting: true }), 'transfer');
  });
});

describe('DeferredList', () => {
  let tmp: string;
  let savedTmpdir: string | undefined;
  beforeEach(() => {
    // os.tmpdir() follows TMPDIR: the spill file is made where this test can look for it
    savedTmpdir = process.env.TMPDIR;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-deferred-test-'));
    process.env.TMPDIR = tmp;
  });
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const spillDirs = () => fs.readdirSync(tmp).filter((n) => n.startsWith('s3k-sync-'));

  async function all<T>(d: DeferredList<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const x of d.items()) out.push(x);
    return out;
  }

  it('up to 10,000 entries stay in memory: no file', async () => {
    const d = new DeferredList<Entry>();
    for (let i = 0; i < 10_000; i++) d.push(entry(`k${i}`, i));
    assert.equal(d.count, 10_000);
    assert.deepEqual(spillDirs(), []);
    const got = await all(d);
    assert.equal(got.length, 10_000);
    assert.deepEqual(got[9_999], entry('k9999', 9_999));
    d.dispose();
  });

  it('past 10,000 entries the rest go to a private temporary file; all come back in order; dispose removes it', async () => {
    const d = new DeferredList<Entry>();
    const n = 12_345;
    for (let i = 0; i < n; i++) d.push(entry(`dir/k${String(i).padStart(6, '0')}`, i, { key: `pre/dir/k${i}`, etag: 'x'.repeat(32) }));
    assert.equal(d.count, n);
    const dirs = spillDirs();
    assert.equal(dirs.length, 1, 'one spill directory');
    const file = path.join(tmp, dirs[0], 'deferred.jsonl');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
    const got = await all(d);
    assert.equal(got.length, n);
    for (let i = 0; i < n; i++) assert.equal(got[i].size, i);
    assert.deepEqual(got[n - 1], entry(`dir/k${String(n - 1).padStart(6, '0')}`, n - 1, { key: `pre/dir/k${n - 1}`, etag: 'x'.repeat(32) }));
    // entries still buffered when items() starts are written before the file is read
    assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, n - 10_000);
    d.dispose();
    assert.deepEqual(spillDirs(), []);
  });

  it('a small limit spills early, and items() can be read twice', async () => {
    const d = new DeferredList<string>(2);
    for (const s of ['a', 'b', 'c', 'd']) d.push(s);
    assert.equal(spillDirs().length, 1);
    assert.deepEqual(await all(d), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await all(d), ['a', 'b', 'c', 'd']);
    d.dispose();
    assert.deepEqual(spillDirs(), []);
  });
});

describe('contentId (the compact size + MD5 key of the remote-copy maps)', () => {
  const m1 = '3f57e5d34480c01288b7a716dc340609';
  const m2 = '3f57e5d34480c01288b7a716dc34060a';
  it('is one 24-character Latin-1 string, equal for equal size and MD5 (either case of hex)', () => {
    assert.equal(contentId(4096, m1).length, 24);
    assert.equal(contentId(4096, m1), contentId(4096, m1.toUpperCase()));
  });
  it('differs when the size or one MD5 nibble differs, also for sizes past 2^32', () => {
    const ids = [contentId(4096, m1), contentId(4097, m1), contentId(4096, m2), contentId(2 ** 40 + 1, m1), contentId(2 ** 40, m1)];
    assert.equal(new Set(ids).size, ids.length);
  });
  it('keeps a value that is not an MD5 as it is, apart from every packed id', () => {
    assert.equal(contentId(5, 'not-an-md5'), '\u20225:not-an-md5');
    assert.notEqual(contentId(5, 'abc'), contentId(5, 'ABC'));
  });
});
