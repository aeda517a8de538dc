// sync in every direction against the lab, with s3cmd's semantics, plus the safety rules:
// deletions only after every copy succeeded, --max-delete, shards that split a job exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adminEnv, adminListKeys, adminPutObject, adminGetObject, bucketFixture, s3k, tempDir, treeMd5 } from '../support/lab.ts';

const env = adminEnv();
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

function writeTree(root: string, files: Record<string, string | Buffer>) {
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  }
}
const readTree = (root: string): Record<string, string> => Object.fromEntries(treeMd5(root));
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('sync', () => {
  const { bucket } = bucketFixture('sync', { env });

  it('local -> S3: uploads new and changed files only, s3cmd lines, Done summary', async () => {
    const src = tempDir('up');
    const big = crypto.randomBytes(6 * 1024 * 1024 + 3);
    writeTree(src, { 'a.txt': 'a', 'dir/b.txt': 'bb', 'dir/sub/c d.txt': 'ccc', 'big.bin': big });
    let r = await s3k(['sync', '--multipart-chunk-size-mb=5', src + '/', `s3://${bucket}/up/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const ups = lines(r.stdout).filter((l) => l.startsWith('upload: '));
    assert.equal(ups.length, 4);
    // [n of N] as s3cmd numbers them: n in name order, N the number of transfers (known before the lines)
    for (const l of ups) assert.match(l, /^upload: '.*' -> 's3:\/\/.*' \(\d+ bytes in \d+\.\d seconds, [\d.]+ [KM]?B\/s\) \[\d of 4\]$/);
    const numbered = new Map(ups.map((l) => [l.match(/-> 's3:\/\/[^/]+\/up\/(.*)' \(/)![1], Number(l.match(/\[(\d) of 4\]$/)![1])]));
    assert.deepEqual(Object.fromEntries(numbered), { 'a.txt': 1, 'big.bin': 2, 'dir/b.txt': 3, 'dir/sub/c d.txt': 4 });
    assert.match(lines(r.stdout).at(-1)!, /^Done\. Uploaded 6291465 bytes in \d+\.\d seconds, [\d.]+ [KM]?B\/s\.$/);
    assert.deepEqual((await adminListKeys(bucket, 'up/')).sort(), ['up/a.txt', 'up/big.bin', 'up/dir/b.txt', 'up/dir/sub/c d.txt']);
    assert.equal(md5((await adminGetObject(bucket, 'up/big.bin')).body), md5(big));

    // no change: nothing transferred (the multipart object is compared by its s3cmd-attrs MD5)
    r = await s3k(['sync', src + '/', `s3://${bucket}/up/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');

    // same size, different content: caught by MD5; --no-check-md5 would skip it
    fs.writeFileSync(path.join(src, 'a.txt'), 'A');
    r = await s3k(['sync', '--no-check-md5', src + '/', `s3://${bucket}/up/`], { env });
    assert.equal(r.stdout, '');
    r = await s3k(['sync', src + '/', `s3://${bucket}/up/`], { env });
    assert.deepEqual(lines(r.stdout).filter((l) => l.startsWith('upload')).map((l) => l.split(' -> ')[1].split("'")[1]), [`s3://${bucket}/up/a.txt`]);
    assert.equal((await adminGetObject(bucket, 'up/a.txt')).text, 'A');

    // 'dir' without a trailing slash syncs as dir/...
    r = await s3k(['sync', path.join(src, 'dir'), `s3://${bucket}/named/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await adminListKeys(bucket, 'named/')).sort(), ['named/dir/b.txt', 'named/dir/sub/c d.txt']);
  });

  it('--delete-removed deletes after the copies; --dry-run and --max-delete change nothing', async () => {
    const src = tempDir('del');
    writeTree(src, { 'keep.txt': 'k', 'gone1.txt': 'g', 'gone2.txt': 'g' });
    let r = await s3k(['sync', src + '/', `s3://${bucket}/del/`], { env });
    assert.equal(r.code, 0, r.stderr);
    fs.rmSync(path.join(src, 'gone1.txt'));
    fs.rmSync(path.join(src, 'gone2.txt'));
    fs.writeFileSync(path.join(src, 'new.txt'), 'n');
    r = await s3k(['sync', '--dry-run', '--delete-removed', src + '/', `s3://${bucket}/del/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`delete: 's3://${bucket}/del/gone1.txt'`));
    assert.ok(r.stdout.includes(`upload: '${path.join(src, 'new.txt')}' -> 's3://${bucket}/del/new.txt'`));
    assert.equal((await adminListKeys(bucket, 'del/')).length, 3, 'dry run changed nothing');
    r = await s3k(['sync', '--delete-removed', '--max-delete=1', src + '/', `s3://${bucket}/del/`], { env });
    assert.match(r.stderr, /WARNING: delete: maximum requested number of deletes would be exceeded, none performed\./);
    assert.deepEqual((await adminListKeys(bucket, 'del/')).sort(), ['del/gone1.txt', 'del/gone2.txt', 'del/keep.txt', 'del/new.txt']);
    r = await s3k(['sync', '--delete-removed', src + '/', `s3://${bucket}/del/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.ok(out.indexOf(`delete: 's3://${bucket}/del/gone1.txt'`) >= 0);
    assert.deepEqual((await adminListKeys(bucket, 'del/')).sort(), ['del/keep.txt', 'del/new.txt']);
    // an empty source never wipes the destination without --force
    const empty = tempDir('empty');
    r = await s3k(['sync', '--delete-removed', empty + '/', `s3://${bucket}/del/`], { env });
    assert.match(r.stderr, /cowardly refusing to delete because no source files were found/);
    assert.equal((await adminListKeys(bucket, 'del/')).length, 2);
  });

  it('S3 -> local: downloads, restores mtime and mode, deletes local extras, refuses unsafe keys', async () => {
    const src = tempDir('srcdl');
    writeTree(src, { 'x.txt': 'x', 'd/y.sh': '#!/bin/sh\n' });
    fs.chmodSync(path.join(src, 'd/y.sh'), 0o750);
    const past = new Date('2020-01-02T03:04:05Z');
    fs.utimesSync(path.join(src, 'x.txt'), past, past);
    let r = await s3k(['sync', src + '/', `s3://${bucket}/dl/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const dest = tempDir('dl');
    fs.writeFileSync(path.join(dest, 'extra.txt'), 'local only');
    r = await s3k(['sync', '--delete-removed', `s3://${bucket}/dl/`, dest + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readTree(dest), readTree(src));
    assert.equal(fs.statSync(path.join(dest, 'x.txt')).mtime.getTime(), past.getTime(), 'mtime from s3cmd-attrs');
    assert.equal(fs.statSync(path.join(dest, 'd/y.sh')).mode & 0o777, 0o750, 'mode from s3cmd-attrs');
    assert.match(r.stdout, new RegExp(`delete: '${dest}/extra.txt'`));
    assert.match(lines(r.stdout).at(-1)!, /^Done\. Downloaded \d+ bytes in /);
    // again: nothing to do
    r = await s3k(['sync', `s3://${bucket}/dl/`, dest + '/'], { env });
    assert.equal(r.stdout, '');

    // a key with '..' is refused; the rest still lands; nothing outside dest
    await adminPutObject(bucket, 'dl/../../escape.txt', 'evil');
    const dest2root = tempDir('dl2');
    const dest2 = path.join(dest2root, 'in');
    r = await s3k(['sync', `s3://${bucket}/dl/`, dest2 + '/'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Refusing to download/);
    assert.deepEqual(fs.readdirSync(dest2root), ['in']);
    assert.ok(fs.existsSync(path.join(dest2, 'x.txt')));
  });

  it('a failed copy holds only the deletions it could explain (a download that cannot be written)', async () => {
    const src = tempDir('fail');
    writeTree(src, { 'conflict': 'object that collides with a local directory', 'ok.txt': 'ok' });
    let r = await s3k(['sync', src + '/', `s3://${bucket}/fail/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const dest = tempDir('faildest');
    writeTree(dest, { 'conflict/inner.txt': 'local dir where the object wants to go', 'stale.txt': 'only local' });
    r = await s3k(['sync', '--delete-removed', `s3://${bucket}/fail/`, dest + '/'], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /not deleting 1 files because 1 transfers failed/);
    assert.ok(!fs.existsSync(path.join(dest, 'stale.txt')), 'an unrelated removed file is deleted');
    assert.match(r.stdout, /^delete: '.*stale\.txt'$/m);
    assert.ok(fs.existsSync(path.join(dest, 'conflict/inner.txt')), 'what the failed name could explain is kept');
    assert.equal(fs.readFileSync(path.join(dest, 'ok.txt'), 'utf8'), 'ok');
  });

  it('S3 -> S3: server-side copy, then nothing to do', async () => {
    const src = tempDir('s2s');
    writeTree(src, { 'p.txt': 'p', 'q/r.txt': 'r' });
    await s3k(['sync', src + '/', `s3://${bucket}/s2s-src/`], { env });
    let r = await s3k(['sync', `s3://${bucket}/s2s-src/`, `s3://${bucket}/s2s-dst/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`remote copy: 's3://${bucket}/s2s-src/p.txt' -> 's3://${bucket}/s2s-dst/p.txt'  \\[\\d of 2\\]`));
    assert.match(lines(r.stdout).at(-1)!, /^Done\. Copied 2 files in \d+\.\d seconds, [\d.]+ files\/s\.$/);
    assert.deepEqual((await adminListKeys(bucket, 's2s-dst/')).sort(), ['s2s-dst/p.txt', 's2s-dst/q/r.txt']);
    assert.equal(lines(r.stdout)[0], 'Summary: 2 source files to copy, 0 files at destination to delete');
    r = await s3k(['sync', `s3://${bucket}/s2s-src/`, `s3://${bucket}/s2s-dst/`], { env });
    // s3cmd prints its S3 -> S3 summary even when there is nothing to do
    assert.equal(r.stdout, 'Summary: 0 source files to copy, 0 files at destination to delete\n');
  });

  it('--exclude/--include with fnmatch semantics; --stats lines', async () => {
    const src = tempDir('filt');
    writeTree(src, { 'a.log': '1', 'b.txt': '2', 'keep.log': '3', 'sub/c.log': '4' });
    const r = await s3k(['sync', '--stats', '--exclude', '*.log', '--include', 'keep.*', src + '/', `s3://${bucket}/filt/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await adminListKeys(bucket, 'filt/')).sort(), ['filt/b.txt', 'filt/keep.log']);
    assert.match(r.stdout, /Stats: Number of files: 2 \(2 bytes\) \nStats: Number of files transferred: 2 \(2 bytes\) \n$/);
  });

  it('--shard K/N splits one job with no overlap and no gap', async () => {
    const src = tempDir('shard');
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`f${i}.txt`] = String(i);
    writeTree(src, files);
    const seen: string[] = [];
    for (const k of [0, 1, 2]) {
      const r = await s3k(['sync', `--shard=${k}/3`, src + '/', `s3://${bucket}/shard/`], { env });
      assert.equal(r.code, 0, r.stderr);
      const mine = lines(r.stdout).filter((l) => l.startsWith('upload')).map((l) => l.split("' -> '")[1].split("'")[0]);
      assert.ok(mine.length > 5 && mine.length < 40, `shard ${k} got ${mine.length}`);
      seen.push(...mine);
    }
    assert.equal(new Set(seen).size, seen.length, 'no overlap');
    assert.equal(seen.length, 60, 'no gap');
    assert.equal((await adminListKeys(bucket, 'shard/')).length, 60);
    // del of one named key: exactly one of the N shards deletes it, as with -r
    const deleters: number[] = [];
    for (const k of [0, 1, 2]) {
      const r = await s3k(['del', `--shard=${k}/3`, `s3://${bucket}/shard/f7.txt`], { env });
      assert.equal(r.code, 0, r.stderr);
      if (r.stdout.includes(`delete: 's3://${bucket}/shard/f7.txt'`)) deleters.push(k);
      else assert.equal(r.stdout, '', `shard ${k} prints nothing`);
    }
    assert.equal(deleters.length, 1, `deleted by shards ${deleters.join(',')}`);
    assert.equal((await adminListKeys(bucket, 'shard/')).length, 59);
  });

  it('bad input: stdin, missing source, destination without a slash', async () => {
    let r = await s3k(['sync', '-', `s3://${bucket}/x/`], { env });
    assert.equal(r.code, 64);
    r = await s3k(['sync', '/no/such/dir', `s3://${bucket}/x/`], { env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Invalid source: '\/no\/such\/dir' is not an existing file or directory/);
    r = await s3k(['sync', tempDir('x'), `s3://${bucket}/noslash`], { env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Destination S3 URI must end with '\/'/);
  });
});
