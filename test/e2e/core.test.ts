// The foundation commands, run as a user would: the built s3k binary against the lab's real RGW.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  adminCreateBucket, adminEnv, adminGetObject, adminListKeys, adminPutObject, bucketFixture, s3k, tempDir, treeMd5 as tree, uniqueBucket,
} from '../support/lab.ts';

const env = adminEnv();
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const LS_OBJECT = /^\d{4}-\d\d-\d\d \d\d:\d\d +(\d+)  (s3:\/\/.*)$/;

describe('core commands against the lab', () => {
  const { bucket, track } = bucketFixture('core', { env });
  const work = tempDir('core');

  it('ls lists the new bucket in s3cmd format', async () => {
    const r = await s3k(['ls'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.split('\n').some((l) => new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  s3://${bucket}$`).test(l)), r.stdout);
  });

  it('put/get round trip is byte-identical; ls shows DIR, -l, --list-md5 and -H lines', async () => {
    const file = path.join(work, 'hello.txt');
    fs.writeFileSync(file, 'hello\n');
    let r = await s3k(['put', file, `s3://${bucket}/dir/hello.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^upload: '${file}' -> 's3://${bucket}/dir/hello.txt' \\(6 bytes in \\d+\\.\\d seconds, [\\d.]+ K?B/s\\) \\[1 of 1\\]\\n$`));

    r = await s3k(['ls', `s3://${bucket}`], { env });
    assert.equal(r.stdout, `                          DIR  s3://${bucket}/dir/\n`);
    r = await s3k(['ls', `s3://${bucket}/dir/`], { env });
    assert.match(r.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d            6  s3://${bucket}/dir/hello.txt\\n$`));
    r = await s3k(['ls', '--list-md5', `s3://${bucket}/dir/`], { env });
    assert.match(r.stdout, new RegExp(` {12}6  b1946ac92492d2347c6235b4d2611184     s3://${bucket}/dir/hello.txt\\n$`));
    r = await s3k(['ls', '-l', `s3://${bucket}/dir/`], { env });
    assert.match(r.stdout, new RegExp(` {12}6  b1946ac92492d2347c6235b4d2611184     STANDARD     s3://${bucket}/dir/hello.txt\\n$`));
    r = await s3k(['ls', '-H', `s3://${bucket}/dir/`], { env });
    assert.match(r.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d     6   s3://${bucket}/dir/hello.txt\\n$`));

    const out = path.join(work, 'got.txt');
    r = await s3k(['get', `s3://${bucket}/dir/hello.txt`, out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^download: 's3://${bucket}/dir/hello.txt' -> '${out}' \\(6 bytes in `));
    assert.equal(fs.readFileSync(out, 'utf8'), 'hello\n');

    // existing local file: 64 and the s3cmd message; --force replaces it via temp+rename
    r = await s3k(['get', `s3://${bucket}/dir/hello.txt`, out], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, `ERROR: Parameter problem: File '${out}' already exists. Use either of --force / --continue / --skip-existing or give it a new name.\n`);
    fs.writeFileSync(out, 'old content that is longer');
    r = await s3k(['get', '--force', `s3://${bucket}/dir/hello.txt`, out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), 'hello\n');
    r = await s3k(['get', '--skip-existing', `s3://${bucket}/dir/hello.txt`, out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(fs.readdirSync(work).filter((n) => n.includes('.s3k-')), [], 'no temp files left');

    // info on the object
    r = await s3k(['info', `s3://${bucket}/dir/hello.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^s3://${bucket}/dir/hello.txt \\(object\\):\\n   File size: 6\\n   Last mod:  .* GMT\\n   MIME type: text/plain\\n   Storage:   STANDARD\\n   MD5 sum:   b1946ac92492d2347c6235b4d2611184\\n`));
    assert.match(r.stdout, /   x-amz-meta-s3cmd-attrs: .*md5:b1946ac92492d2347c6235b4d2611184/);
  });

  it('get --continue finishes a partial download', async () => {
    const data = crypto.randomBytes(300_000);
    await adminPutObject(bucket, 'partial.bin', data);
    const out = path.join(work, 'partial.bin');
    fs.writeFileSync(out, data.subarray(0, 123_456));
    const r = await s3k(['get', '--continue', `s3://${bucket}/partial.bin`, out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(fs.readFileSync(out)), md5(data));
  });

  it('multipart upload (3 parts) round trips and ls --list-md5 shows the real MD5', async () => {
    const data = crypto.randomBytes(12 * 1024 * 1024 + 4321);
    const file = path.join(work, 'big.bin');
    fs.writeFileSync(file, data);
    let r = await s3k(['put', '--multipart-chunk-size-mb=5', file, `s3://${bucket}/big.bin`], { env });
    assert.equal(r.code, 0, r.stderr);
    const head = await adminGetObject(bucket, 'big.bin');
    assert.match(String(head.headers.etag), /-3"$/, 'ETag of a 3-part upload');
    assert.equal(md5(head.body), md5(data));
    r = await s3k(['ls', '--list-md5', `s3://${bucket}/big.bin`], { env });
    assert.match(r.stdout, new RegExp(`  ${md5(data)}     s3://${bucket}/big.bin\\n$`));
    const out = path.join(work, 'big.out');
    r = await s3k(['get', `s3://${bucket}/big.bin`, out], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(fs.readFileSync(out)), md5(data));
  });

  it('stdin to stdout stream (multipart from a pipe) is byte-identical', async () => {
    const data = crypto.randomBytes(11 * 1024 * 1024 + 17);
    let r = await s3k(['put', '--multipart-chunk-size-mb=5', '-', `s3://${bucket}/stream.bin`], { env, input: data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^upload: '<stdin>' -> 's3://${bucket}/stream.bin' \\(${data.length} bytes in `));
    r = await s3k(['get', `s3://${bucket}/stream.bin`, '-'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdoutBuffer.length, data.length);
    assert.equal(md5(r.stdoutBuffer), md5(data));
    // small stdin: single PUT
    r = await s3k(['put', '-', `s3://${bucket}/small-stdin.txt`], { env, input: 'from stdin\n' });
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['get', `s3://${bucket}/small-stdin.txt`, '-'], { env });
    assert.equal(r.stdout, 'from stdin\n');
  });

  it('recursive put/get of a nested tree with unicode and spaces', async () => {
    const src = path.join(work, 'tree');
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('a'),
      'sub dir/b c.txt': Buffer.from('space name'),
      'sub dir/deeper/ünïcødé-日本.bin': crypto.randomBytes(5000),
      'sub dir/deeper/x+y=z&.txt': Buffer.from('odd chars'),
      'z/empty.txt': Buffer.alloc(0),
    };
    for (const [rel, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), data);
    }
    let r = await s3k(['put', '-r', src, `s3://${bucket}/trees/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 5);
    const keys = (await adminListKeys(bucket, 'trees/')).sort();
    assert.deepEqual(keys, Object.keys(files).map((k) => `trees/tree/${k}`).sort());

    // ls -r shows them; plain ls shows the DIR line for the prefix
    r = await s3k(['ls', '-r', `s3://${bucket}/trees/`], { env });
    const listed = r.stdout.trim().split('\n').map((l) => LS_OBJECT.exec(l)?.[2]);
    assert.deepEqual(listed.sort(), keys.map((k) => `s3://${bucket}/${k}`).sort());

    // get -r of the prefix with a trailing slash recreates the tree under dest
    const dest = path.join(work, 'restored');
    fs.mkdirSync(dest);
    r = await s3k(['get', '-r', `s3://${bucket}/trees/`, dest], { env });
    assert.equal(r.code, 0, r.stderr);
    const got = tree(path.join(dest, 'tree'));
    assert.deepEqual(new Map([...got].sort()), new Map(Object.entries(files).map(([k, v]) => [k, md5(v)] as [string, string]).sort()));

    // 'put -r dir/' uploads the contents (no 'tree/' level)
    r = await s3k(['put', '-r', src + '/', `s3://${bucket}/contents/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await adminListKeys(bucket, 'contents/')).includes('contents/sub dir/b c.txt'));
  });

  it('wildcards select keys for ls, get and del', async () => {
    for (const k of ['w/one.log', 'w/two.log', 'w/three.txt']) await adminPutObject(bucket, k, k);
    let r = await s3k(['ls', `s3://${bucket}/w/*.log`], { env });
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => LS_OBJECT.exec(l)?.[2]), [`s3://${bucket}/w/one.log`, `s3://${bucket}/w/two.log`]);
    const dest = tempDir('wild');
    r = await s3k(['get', `s3://${bucket}/w/t*`, dest + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(dest).sort(), ['three.txt', 'two.log']);
    r = await s3k(['del', `s3://${bucket}/w/*.log`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await adminListKeys(bucket, 'w/'), ['w/three.txt']);
  });

  it('lists 2,500 keys across pages, du counts them, del -r removes them in batches', async () => {
    const src = path.join(work, 'many');
    fs.mkdirSync(src);
    for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(src, `f${String(i).padStart(5, '0')}`), `${i}`);
    let r = await s3k(['put', '-r', '--no-preserve', src + '/', `s3://${bucket}/many/`], { env, timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    r = await s3k(['ls', '-r', `s3://${bucket}/many/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2500);
    assert.equal(LS_OBJECT.exec(lines[0])?.[2], `s3://${bucket}/many/f00000`);
    assert.equal(LS_OBJECT.exec(lines[2499])?.[2], `s3://${bucket}/many/f02499`);
    r = await s3k(['du', `s3://${bucket}/many/`], { env });
    const bytes = Array.from({ length: 2500 }, (_, i) => String(i).length).reduce((a, b) => a + b, 0);
    assert.equal(r.stdout, `${String(bytes).padStart(12)}    2500 objects s3://${bucket}/many/\n`);
    r = await s3k(['del', '-r', `s3://${bucket}/many/`], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 2500);
    assert.deepEqual(await adminListKeys(bucket, 'many/'), []);
  });

  it('--dry-run changes nothing; -q silences stdout', async () => {
    const file = path.join(work, 'dry.txt');
    fs.writeFileSync(file, 'dry');
    let r = await s3k(['put', '--dry-run', file, `s3://${bucket}/dry.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `upload: '${file}' -> 's3://${bucket}/dry.txt'\n`);
    assert.equal((await adminGetObject(bucket, 'dry.txt')).status, 404);
    r = await s3k(['put', '-q', file, `s3://${bucket}/dry.txt`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal((await adminGetObject(bucket, 'dry.txt')).status, 200);
    r = await s3k(['del', '--dry-run', `s3://${bucket}/dry.txt`], { env });
    assert.equal((await adminGetObject(bucket, 'dry.txt')).status, 200);
  });

  it('get -r never writes outside the target directory (keys with ../)', async () => {
    const b = track(uniqueBucket('escape'));
    await adminCreateBucket(b);
    await adminPutObject(b, 'ok/fine.txt', 'fine');
    await adminPutObject(b, 'ok/../../evil.txt', 'evil');
    await adminPutObject(b, 'ok/a/../../../evil2.txt', 'evil');
    const keys = await adminListKeys(b);
    assert.ok(keys.some((k) => k.includes('..')), `the server kept a '..' key: ${keys.join(', ')}`);
    const root = tempDir('escape');
    const dest = path.join(root, 'dest');
    fs.mkdirSync(dest);
    const r = await s3k(['get', '-r', `s3://${b}/ok/`, dest], { env });
    assert.equal(r.code, 2, 'partial: the unsafe keys were refused');
    assert.match(r.stderr, /ERROR: Refusing to download 's3:\/\/.*\.\.\/.*': it contains a '\.\.' path segment/);
    assert.equal(fs.readFileSync(path.join(dest, 'fine.txt'), 'utf8'), 'fine');
    assert.deepEqual(fs.readdirSync(root), ['dest'], 'nothing written beside the target');
    assert.ok(!fs.existsSync(path.join(root, '..', 'evil.txt')));
  });

  it('rb refuses a non-empty bucket (13) and rb -r -f empties and removes it', async () => {
    const b = track(uniqueBucket('rb'));
    let r = await s3k(['mb', `s3://${b}`], { env });
    assert.equal(r.code, 0, r.stderr);
    await adminPutObject(b, 'x/y', 'z');
    r = await s3k(['rb', `s3://${b}`], { env });
    assert.equal(r.code, 13);
    assert.equal(r.stderr, 'ERROR: S3 error: 409 (BucketNotEmpty)\n');
    r = await s3k(['rb', '-r', '-f', `s3://${b}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: Bucket is not empty. Removing all the objects from it first/);
    assert.match(r.stdout, new RegExp(`delete: 's3://${b}/x/y'\\nBucket 's3://${b}/' removed\\n$`));
    r = await s3k(['ls', `s3://${b}`], { env });
    assert.equal(r.code, 12);
  });

  it('--limit-rate caps the whole job (a lower bound on time: noise can only slow it down)', async () => {
    const src = path.join(work, 'rate');
    fs.mkdirSync(src);
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(src, `r${i}.bin`), crypto.randomBytes(512 * 1024));
    const t0 = Date.now();
    const r = await s3k(['put', '-r', '--limit-rate=1m', '--parallel=4', src + '/', `s3://${bucket}/rate/`], { env });
    const secs = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr);
    // 2 MiB at 1 MiB/s across all four parallel streams needs at least ~1 s after the first burst
    assert.ok(secs >= 1.2, `took ${secs.toFixed(2)} s; without a shared limit it takes a fraction of that`);
    assert.equal((await adminListKeys(bucket, 'rate/')).length, 4);
  });

  it('la lists every bucket followed by an empty line', async () => {
    const r = await s3k(['la'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`s3://${bucket}/dir/\\n`));
    assert.match(r.stdout, /\n\n/);
  });

  it('ls without -r over more than 1,000 entries prints every DIR line first, as s3cmd does', async () => {
    // 1,001 objects fill the first page; the prefix 'zdir/' only comes on the second
    const names = Array.from({ length: 1001 }, (_, i) => `many/a${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((k) => adminPutObject(bucket, k, 'x')));
    await adminPutObject(bucket, 'many/zdir/f', 'y');
    const r = await s3k(['ls', `s3://${bucket}/many/`], { env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1002);
    assert.equal(lines[0], `                          DIR  s3://${bucket}/many/zdir/`);
    assert.match(lines[1], new RegExp(`  s3://${bucket}/many/a0000$`));
    assert.match(lines[1001], new RegExp(`  s3://${bucket}/many/a1000$`));
  });
});
