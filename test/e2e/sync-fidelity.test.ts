// sync details s3cmd users rely on: --cache-file, deletions after a failure, remote copies of
// content the destination already holds, directory markers (--keep-dirs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminEnv, adminGetObject, adminListKeys, adminPutObject, bucketFixture, s3k, s3kAsNobody, tempDir } from '../support/lab.ts';

const env = adminEnv();
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('sync fidelity', () => {
  const { bucket } = bucketFixture('sfid', { env });

  it('--cache-file: the cached MD5 of an unchanged (dev, inode, mtime, size) file is used, and the cache is written', async () => {
    const src = tempDir('cache');
    const cache = path.join(tempDir('cachedir'), 'md5.cache');
    fs.writeFileSync(path.join(src, 'a.txt'), 'hello');
    fs.writeFileSync(path.join(src, 'b.txt'), 'world');
    const when = new Date('2024-05-01T12:00:00Z');
    for (const f of ['a.txt', 'b.txt']) fs.utimesSync(path.join(src, f), when, when);
    const dst = `s3://${bucket}/cache/`;
    let r = await s3k(['sync', src + '/', dst, '--cache-file', cache], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lines(r.stdout).filter((l) => l.startsWith('upload: ')).length, 2);
    // second run compares MD5s (same sizes) and fills the cache
    r = await s3k(['sync', src + '/', dst, '--cache-file', cache], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(cache), 'the cache file is created');
    const j = JSON.parse(fs.readFileSync(cache, 'utf8'));
    assert.equal(Object.keys(j.entries).length, 2);
    // same size, same mtime, different content: the cache says unchanged (as s3cmd's does)
    const a = path.join(src, 'a.txt');
    fs.writeFileSync(a, 'HELLO');
    fs.utimesSync(a, when, when);
    r = await s3k(['sync', src + '/', dst, '--cache-file', cache], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('upload:'), r.stdout);
    // without the cache the content is hashed and the change found
    r = await s3k(['sync', src + '/', dst], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upload: '.*a\.txt' -> /);
  });

  it('--cache-file: a foreign file at the path is ignored and overwritten', async () => {
    const src = tempDir('cache2');
    const cache = path.join(tempDir('cachedir2'), 'md5.cache');
    fs.writeFileSync(cache, Buffer.from([0x80, 0x04, 0x95, 0x00, 0x01]));
    fs.writeFileSync(path.join(src, 'a.txt'), 'x');
    let r = await s3k(['sync', src + '/', `s3://${bucket}/cache2/`, '--cache-file', cache], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['sync', '-v', src + '/', `s3://${bucket}/cache2/`, '--cache-file', cache], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(fs.readFileSync(cache, 'utf8')).format, 's3k-md5-cache');
  });

  it('an unreadable directory holds only the deletions under it: other removed files are deleted, exit 2', async () => {
    const src = tempDir('narrow');
    fs.chmodSync(src, 0o755);
    for (const d of ['ok', 'locked']) {
      fs.mkdirSync(path.join(src, d));
      fs.writeFileSync(path.join(src, d, 'f.txt'), d);
      fs.chmodSync(path.join(src, d, 'f.txt'), 0o644);
      fs.chmodSync(path.join(src, d), 0o755);
    }
    const pre = `narrow/`;
    await adminPutObject(bucket, pre + 'locked/f.txt', 'locked');
    await adminPutObject(bucket, pre + 'locked/old.txt', 'removed, but under the unreadable directory');
    await adminPutObject(bucket, pre + 'lockedX/gone.txt', 'a sibling whose name starts the same');
    await adminPutObject(bucket, pre + 'gone.txt', 'removed locally');
    fs.chmodSync(path.join(src, 'locked'), 0o000);
    const r = await s3kAsNobody(['sync', '--delete-removed', src + '/', `s3://${bucket}/${pre}`], { env, cwd: src });
    fs.chmodSync(path.join(src, 'locked'), 0o755);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^delete: 's3://${bucket}/narrow/gone\\.txt'$`, 'm'));
    assert.match(r.stdout, new RegExp(`^delete: 's3://${bucket}/narrow/lockedX/gone\\.txt'$`, 'm'));
    assert.match(r.stderr, /not deleting 2 files/);
    assert.deepEqual((await adminListKeys(bucket, pre)).sort(), [pre + 'locked/f.txt', pre + 'locked/old.txt', pre + 'ok/f.txt']);
  });

  it('remote copy: content the destination already holds is copied server-side, with relative names', async () => {
    const src = tempDir('rc');
    fs.writeFileSync(path.join(src, 'a.txt'), 'shared content');
    fs.writeFileSync(path.join(src, 'dup.txt'), 'shared content');
    fs.writeFileSync(path.join(src, 'other.txt'), 'something else');
    fs.writeFileSync(path.join(src, 'empty1'), '');
    fs.writeFileSync(path.join(src, 'empty2'), '');
    const dst = `s3://${bucket}/rc/`;
    let r = await s3k(['sync', src + '/', dst], { env });
    assert.equal(r.code, 0, r.stderr);
    // empty files are uploaded, never copied (as s3cmd: a copy saves nothing)
    assert.match(r.stdout, /^upload: '.*empty1' -> /m);
    assert.match(r.stdout, /^upload: '.*empty2' -> /m);
    assert.match(r.stdout, /^upload: '.*a\.txt' -> /m);
    assert.match(r.stdout, /^remote copy: 'a\.txt' -> 'dup\.txt'  \[1 of 1\]$/m);
    assert.doesNotMatch(r.stdout, /upload: '.*dup\.txt'/);
    assert.equal((await adminGetObject(bucket, 'rc/dup.txt')).body.toString(), 'shared content');
    // a rename: copied from a key that stays (or is deleted only afterwards), not uploaded again
    fs.renameSync(path.join(src, 'other.txt'), path.join(src, 'renamed.txt'));
    r = await s3k(['sync', '--delete-removed', src + '/', dst], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^remote copy: 'other\.txt' -> 'renamed\.txt'  \[1 of 1\]$/m);
    assert.match(r.stdout, new RegExp(`^delete: 's3://${bucket}/rc/other\\.txt'$`, 'm'));
    assert.doesNotMatch(r.stdout, /upload:/);
    assert.equal((await adminGetObject(bucket, 'rc/renamed.txt')).body.toString(), 'something else');
    assert.deepEqual((await adminListKeys(bucket, 'rc/')).sort(), ['rc/a.txt', 'rc/dup.txt', 'rc/empty1', 'rc/empty2', 'rc/renamed.txt']);
  });

  it('remote copy finds content among more destination objects than are kept in memory (the rest are noted in a file)', async () => {
    // sync notes unchanged destination objects in a list that keeps 2,000 in memory and spills the
    // rest to a temporary file; a new file matching object 2,401 must still be copied from it
    const src = tempDir('rcmany');
    const n = 2500;
    const name = (i: number) => `f${String(i).padStart(4, '0')}.txt`;
    for (let i = 0; i < n; i++) fs.writeFileSync(path.join(src, name(i)), `content of file number ${String(i).padStart(4, '0')}`);
    const dst = `s3://${bucket}/rcmany/`;
    let r = await s3k(['sync', '--parallel=32', src + '/', dst], { env, timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr);
    fs.writeFileSync(path.join(src, 'zz-new.txt'), `content of file number 2400`);
    r = await s3k(['sync', src + '/', dst], { env, timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `remote copy: '${name(2400)}' -> 'zz-new.txt'  [1 of 1]\n`);
    assert.equal((await adminGetObject(bucket, 'rcmany/zz-new.txt')).body.toString(), 'content of file number 2400');
  });

  it('remote copy never reads a key this sync overwrites (S3 -> S3)', async () => {
    await adminPutObject(bucket, 'rcs/a.txt', 'NEW!');
    await adminPutObject(bucket, 'rcs/b.html', 'OLD.');
    await adminPutObject(bucket, 'rcd/a.txt', 'OLD.');
    const r = await s3k(['sync', `s3://${bucket}/rcs/`, `s3://${bucket}/rcd/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await adminGetObject(bucket, 'rcd/a.txt')).body.toString(), 'NEW!');
    assert.equal((await adminGetObject(bucket, 'rcd/b.html')).body.toString(), 'OLD.', 'b.html has its own content, not the overwritten a.txt');
  });

  it('--keep-dirs: directories become dir/ markers; sync and get -r re-create them as directories, never as files', async () => {
    const src = tempDir('kd');
    fs.mkdirSync(path.join(src, 'empty'));
    fs.mkdirSync(path.join(src, 'd'));
    fs.writeFileSync(path.join(src, 'd', 'f.txt'), 'f');
    let r = await s3k(['sync', src + '/', `s3://${bucket}/nokd/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await adminListKeys(bucket, 'nokd/')).sort(), ['nokd/d/f.txt'], 'without --keep-dirs: no markers');
    r = await s3k(['sync', '--keep-dirs', src + '/', `s3://${bucket}/kd/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^upload: '${src}/empty' -> 's3://${bucket}/kd/empty/'`, 'm'));
    assert.deepEqual((await adminListKeys(bucket, 'kd/')).sort(), ['kd/d/', 'kd/d/f.txt', 'kd/empty/']);
    r = await s3k(['sync', '--keep-dirs', src + '/', `s3://${bucket}/kd/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /upload:/, 'markers are not uploaded again');

    const down = tempDir('kddown');
    r = await s3k(['sync', `s3://${bucket}/kd/`, down + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^mkdir: 's3://${bucket}/kd/empty/' -> '${down}/empty/' \\[\\d of 3\\]$`, 'm'));
    assert.ok(fs.statSync(path.join(down, 'empty')).isDirectory());
    assert.equal(fs.readFileSync(path.join(down, 'd', 'f.txt'), 'utf8'), 'f');
    r = await s3k(['sync', `s3://${bucket}/kd/`, down + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /mkdir:|download:/);

    const got = tempDir('kdget');
    r = await s3k(['get', '-r', `s3://${bucket}/kd/`, got + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.statSync(path.join(got, 'empty')).isDirectory(), 'a marker is a directory, not a 0-byte file');
    assert.equal(fs.readFileSync(path.join(got, 'd', 'f.txt'), 'utf8'), 'f');
  });
});

describe("control characters in local names become '^A'..'^Z' in keys, as s3cmd does", () => {
  const { bucket } = bucketFixture('nonprint', { env });

  it('sync and put -r store s3cmd\'s key names, warn once per file, and a second sync sends nothing', async () => {
    const src = tempDir('nonprint');
    fs.mkdirSync(path.join(src, 'd\x01x'));
    fs.writeFileSync(path.join(src, 'd\x01x', 'f\x02\x7fg'), 'a');
    fs.writeFileSync(path.join(src, 'plain'), 'b');
    let r = await s3k(['sync', src + '/', `s3://${bucket}/s/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'WARNING: 3 non-printable characters replaced in: d^Ax/f^B^?g\n');
    assert.deepEqual((await adminListKeys(bucket, 's/')).sort(), ['s/d^Ax/f^B^?g', 's/plain']);
    r = await s3k(['sync', src + '/', `s3://${bucket}/s/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/upload:/.test(r.stdout), r.stdout);
    r = await s3k(['put', '-r', src + '/', `s3://${bucket}/p/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await adminListKeys(bucket, 'p/')).sort(), ['p/d^Ax/f^B^?g', 'p/plain']);
  });
});
