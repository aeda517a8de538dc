// Interop with real s3cmd (Debian's package) on the lab: objects either tool wrote, multipart
// ones included, are understood by the other's sync (nothing re-sent) and download intact.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { adminDeleteBucket, adminEnv, run, s3k, tempDir, uniqueBucket, writeS3cfg } from '../support/lab.ts';

const hasS3cmd = spawnSync('sh', ['-c', 'command -v s3cmd']).status === 0;
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

describe('interop with s3cmd', { skip: hasS3cmd ? false : 's3cmd is not installed (lab/install-deps.sh --with-test-tools)' }, () => {
  const bucket = uniqueBucket('interop');
  const env = adminEnv();
  let cfg: string;
  const src = tempDir('interop-src');
  const files: Record<string, Buffer> = {
    'small.txt': Buffer.from('small file\n'),
    'dir/multipart.bin': crypto.randomBytes(20 * 1024 * 1024 + 11), // 2 parts with s3cmd's 15 MiB chunks
    'dir/sub/space name.txt': Buffer.from('spaces'),
  };
  const s3cmd = (args: string[]) => run('s3cmd', ['-c', cfg, ...args], { timeoutMs: 120_000 });

  before(async () => {
    cfg = writeS3cfg();
    for (const [rel, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), data);
    }
    const r = await s3k(['mb', `s3://${bucket}`], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await adminDeleteBucket(bucket);
  });

  it("s3k's sync sees s3cmd's upload (multipart included) as up to date, and downloads it intact", async () => {
    let r = await s3cmd(['sync', src + '/', `s3://${bucket}/by-s3cmd/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upload: .*multipart\.bin/);
    r = await s3k(['sync', src + '/', `s3://${bucket}/by-s3cmd/`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '', 'nothing re-sent');
    const dest = tempDir('interop-down');
    r = await s3k(['sync', `s3://${bucket}/by-s3cmd/`, dest + '/'], { env });
    assert.equal(r.code, 0, r.stderr);
    for (const [rel, data] of Object.entries(files)) {
      assert.equal(md5(fs.readFileSync(path.join(dest, rel))), md5(data), rel);
      assert.equal(Math.floor(fs.statSync(path.join(dest, rel)).mtimeMs / 1000), Math.floor(fs.statSync(path.join(src, rel)).mtimeMs / 1000), `mtime of ${rel} from s3cmd-attrs`);
    }
    // ls --list-md5 shows the whole-file MD5 of s3cmd's multipart object, as s3cmd does
    r = await s3k(['ls', '--list-md5', `s3://${bucket}/by-s3cmd/dir/multipart.bin`], { env });
    assert.match(r.stdout, new RegExp(`  ${md5(files['dir/multipart.bin'])}  `));
  });

  it("s3cmd's sync sees s3k's upload (multipart included) as up to date, and s3cmd get verifies it", async () => {
    let r = await s3k(['sync', '--multipart-chunk-size-mb=5', src + '/', `s3://${bucket}/by-s3k/`], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await s3cmd(['sync', src + '/', `s3://${bucket}/by-s3k/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /upload:/, 'nothing re-sent by s3cmd');
    const out = path.join(tempDir('interop-get'), 'mp.bin');
    r = await s3cmd(['get', `s3://${bucket}/by-s3k/dir/multipart.bin`, out]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /MD5 signatures do not match/);
    assert.equal(md5(fs.readFileSync(out)), md5(files['dir/multipart.bin']));
  });
});
