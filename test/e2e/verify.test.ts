// Every download verified: objects uploaded in parts by the real aws cli, rclone, s3cmd and s3k come
// back from the lab verified, and -v names the check. Then corruption: a loopback fault proxy in
// front of the lab flips a byte of GET bodies, or plays what Ceph RGW 16 cannot (AWS's answer to
// HEAD ?partNumber=1, x-amz-checksum-* headers), and s3k must notice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { adminDeleteBucket, adminEnv, labEndpoint, labEnv, run, s3k, tempDir, uniqueBucket, writeS3cfg, REGION } from '../support/lab.ts';
import { startFaultProxy, type FaultProxy, type SeenRequest } from '../support/faults.ts';
import { digestOf } from '../../src/transfer/checksums.ts';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['aws', 'rclone', 's3cmd'].filter((t) => !has(t));
const isObj = (key: string) => (r: SeenRequest) => r.url.split('?')[0].endsWith('/' + key);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('every download verified', { skip: missing.length ? `${missing.join(', ')} not installed (lab/install-deps.sh --with-test-tools)` : false }, () => {
  const bucket = uniqueBucket('verify');
  const env = adminEnv();
  const work = tempDir('verify');
  const f20 = path.join(work, 'f20.bin');
  const f40 = path.join(work, 'f40.bin');
  const d20 = crypto.randomBytes(20 * MiB);
  const d40 = crypto.randomBytes(40 * MiB + 3);
  const small = crypto.randomBytes(300_000);
  let proxy: FaultProxy;
  let penv: Record<string, string>;
  const sums: Record<string, string> = {};
  const uri = (k: string) => `s3://${bucket}/${k}`;

  const lab = () => labEnv();
  const awsEnv = (chunkMb: number) => {
    const cfg = path.join(work, `aws-${chunkMb}.cfg`);
    fs.writeFileSync(cfg, `[default]\nregion = ${REGION}\ns3 =\n    multipart_threshold = 5MB\n    multipart_chunksize = ${chunkMb}MB\n    addressing_style = path\n`);
    return { AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_ACCESS_KEY_ID: lab().LAB_ADMIN_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: lab().LAB_ADMIN_SECRET_KEY, AWS_PAGER: '' };
  };
  const aws = (chunkMb: number, args: string[]) => run('aws', ['--endpoint-url', labEndpoint(), ...args], { env: awsEnv(chunkMb), timeoutMs: 120_000 });
  const rclone = (args: string[]) => {
    const conf = path.join(work, 'rclone.conf');
    fs.writeFileSync(conf, `[lab]\ntype = s3\nprovider = Ceph\nenv_auth = false\naccess_key_id = ${lab().LAB_ADMIN_ACCESS_KEY}\nsecret_access_key = ${lab().LAB_ADMIN_SECRET_KEY}\nendpoint = ${labEndpoint()}\nregion = ${REGION}\nforce_path_style = true\n`);
    return run('rclone', ['--config', conf, ...args], { timeoutMs: 120_000 });
  };
  let s3cfg: string;
  const s3cmd = (args: string[]) => run('s3cmd', ['-c', s3cfg, ...args], { timeoutMs: 120_000 });
  const ok = (r: { code: number | null; stderr: string; stdout: string }, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);

  /** s3k -v get KEY into a fresh file; assert the -v line names `check` and the bytes are exact. */
  async function getVerified(key: string, check: RegExp, extra: string[] = [], e = env) {
    const dest = path.join(work, 'out', key);
    fs.rmSync(dest, { force: true });
    const r = await s3k(['-v', 'get', ...extra, uri(key), dest], { env: e });
    ok(r, `get ${key}`);
    assert.match(r.stderr, new RegExp(`INFO: verified '${esc(uri(key))}': ${check.source}`, 'm'), r.stderr);
    assert.equal(md5(fs.readFileSync(dest)), sums[key], key);
    return r;
  }

  before(async () => {
    fs.writeFileSync(f20, d20);
    fs.writeFileSync(f40, d40);
    fs.writeFileSync(path.join(work, 'small.bin'), small);
    fs.mkdirSync(path.join(work, 'out'));
    s3cfg = writeS3cfg();
    ok(await s3k(['mb', uri('')], { env }), 'mb');
    proxy = await startFaultProxy(labEndpoint());
    penv = { ...env, AWS_ENDPOINT_URL: proxy.url };
    const uploads: [string, Buffer, () => ReturnType<typeof run>][] = [
      ['aws-8m.bin', d20, () => aws(8, ['s3', 'cp', '--only-show-errors', f20, uri('aws-8m.bin')])],
      ['aws-crc32.bin', d20, () => aws(8, ['s3', 'cp', '--only-show-errors', '--checksum-algorithm', 'CRC32', f20, uri('aws-crc32.bin')])],
      ['aws-40m.bin', d40, () => aws(8, ['s3', 'cp', '--only-show-errors', f40, uri('aws-40m.bin')])],
      ['rclone.bin', d20, () => rclone(['copyto', '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M', f20, `lab:${bucket}/rclone.bin`])],
      ['rclone-nosum.bin', d20, () => rclone(['copyto', '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M', '--s3-disable-checksum', f20, `lab:${bucket}/rclone-nosum.bin`])],
      ['s3cmd.bin', d20, () => s3cmd(['put', '-q', '--multipart-chunk-size-mb=5', f20, uri('s3cmd.bin')])],
      ['s3k.bin', d20, () => s3k(['put', '-q', '--multipart-chunk-size-mb=5', f20, uri('s3k.bin')], { env })],
      ['s3k-11m.bin', d20, () => s3k(['put', '-q', '--no-preserve', '--multipart-chunk-size-mb=11', f20, uri('s3k-11m.bin')], { env })],
      ['small.bin', small, () => s3k(['put', '-q', path.join(work, 'small.bin'), uri('small.bin')], { env })],
    ];
    for (const [key, data, up] of uploads) {
      ok(await up(), `upload ${key}`);
      sums[key] = md5(data);
    }
  });
  after(async () => {
    await proxy?.close();
    await adminDeleteBucket(bucket);
  });

  it('multipart uploads by aws cli, rclone, s3cmd and s3k come back verified; -v names the check', async () => {
    await getVerified('aws-8m.bin', /composite MD5 of 3 parts of 8 MiB \(part size guessed\)/);
    // RGW 16 takes the CRC32 upload but keeps no checksum: the composite ETag is what is checked
    await getVerified('aws-crc32.bin', /composite MD5 of 3 parts of 8 MiB/);
    // 40 MiB: parallel ranged GETs cut at the upload's 8 MiB parts
    await getVerified('aws-40m.bin', /composite MD5 of 6 parts of 8 MiB \(part size guessed\)/);
    await getVerified('rclone.bin', /md5 \(rclone md5chksum\)/);
    await getVerified('rclone-nosum.bin', /composite MD5 of 4 parts of 5 MiB \(part size guessed\)/);
    await getVerified('s3cmd.bin', /md5 \(s3cmd-attrs\)/);
    await getVerified('s3k.bin', /md5 \(s3cmd-attrs\)/);
    await getVerified('small.bin', /md5$/m);
  });

  it('a part size no guess reaches: not verified, and -v says why; --multipart-chunk-size-mb names it', async () => {
    const dest = path.join(work, 'out', 'unknown.bin');
    const r = await s3k(['-v', 'get', uri('s3k-11m.bin'), dest], { env });
    ok(r, 'get');
    assert.match(r.stderr, /INFO: not verified '.*s3k-11m\.bin': its ETag is a composite of 2 parts and none of the part sizes tried \(15 MiB, 16 MiB, 10 MiB\) gives it; .*\(the server ignores partNumber on HEAD\)/);
    assert.equal(md5(fs.readFileSync(dest)), sums['s3k-11m.bin']);
    await getVerified('s3k-11m.bin', /composite MD5 of 2 parts of 11 MiB/, ['--multipart-chunk-size-mb=11']);
  });

  it('get to stdout and sync downloads are verified too', async () => {
    const r = await s3k(['-v', 'get', uri('rclone-nosum.bin'), '-'], { env });
    ok(r, 'get -');
    assert.equal(md5(r.stdoutBuffer), sums['rclone-nosum.bin']);
    assert.match(r.stderr, /INFO: verified '.*rclone-nosum\.bin': composite MD5 of 4 parts of 5 MiB/);
    const dest = path.join(work, 'synced');
    const s = await s3k(['-v', 'sync', uri(''), dest + '/'], { env });
    ok(s, 'sync');
    for (const key of Object.keys(sums)) if (key !== 's3k-11m.bin') assert.match(s.stderr, new RegExp(`INFO: verified '${esc(uri(key))}': `), key);
  });

  it('the lab is never sent x-amz-checksum-mode (only AWS endpoints are)', async () => {
    const sent: string[] = [];
    proxy.rule = (r, h) => {
      if (h['x-amz-checksum-mode']) sent.push(`${r.method} ${r.url}`);
      return undefined;
    };
    await getVerified('aws-40m.bin', /composite MD5/, [], penv);
    await getVerified('small.bin', /md5/, [], penv);
    assert.deepEqual(sent, []);
  });

  /** Plays AWS's answer to HEAD ?partNumber=1: part 1's length and the parts count. */
  const partHead = (key: string, partSize: number, parts: number) => (r: SeenRequest) =>
    r.method === 'HEAD' && isObj(key)(r) && r.url.includes('partNumber=1') ? { kind: 'rewrite' as const, headers: { 'content-length': String(partSize), 'x-amz-mp-parts-count': String(parts) } } : undefined;

  it('with the part size from HEAD ?partNumber=1 (as AWS answers), a flipped byte is a mismatch: exit 75, no file', async () => {
    proxy.rule = partHead('aws-8m.bin', 8 * MiB, 3);
    await getVerified('aws-8m.bin', /composite MD5 of 3 parts of 8 MiB \(part size from HEAD \?partNumber=1\)/, [], penv);
    for (const key of ['aws-8m.bin', 'aws-40m.bin']) {
      const head = partHead(key, 8 * MiB, key === 'aws-8m.bin' ? 3 : 6);
      proxy.rule = (r) => head(r) ?? (r.method === 'GET' && isObj(key)(r) ? { kind: 'flip-response' } : undefined);
      const dest = path.join(work, 'out', `flipped-${key}`);
      const r = await s3k(['get', '--max-retries=1', uri(key), dest], { env: penv });
      assert.equal(r.code, 75, r.stderr);
      assert.match(r.stderr, new RegExp(`composite MD5 of ${key === 'aws-8m.bin' ? 3 : 6} parts of 8 MiB mismatch for '${esc(uri(key))}'`), r.stderr);
      assert.ok(!fs.existsSync(dest), 'no file');
      assert.deepEqual(fs.readdirSync(path.join(work, 'out')).filter((f) => f.startsWith('.flipped')), [], 'no partial');
    }
  });

  it('whole-object MD5 (s3cmd-attrs) and plain ETag: a flipped byte is the MD5 mismatch it always was', async () => {
    for (const key of ['s3k.bin', 'rclone.bin', 'small.bin']) {
      proxy.rule = (r) => (r.method === 'GET' && isObj(key)(r) ? { kind: 'flip-response' } : undefined);
      const dest = path.join(work, 'out', `flipped-${key}`);
      const r = await s3k(['get', '--max-retries=1', uri(key), dest], { env: penv });
      assert.equal(r.code, 75, r.stderr);
      assert.match(r.stderr, new RegExp(`^ERROR: S3 Temporary Error: .*MD5 mismatch for '${esc(uri(key))}'`, 'm'), r.stderr);
      assert.ok(!fs.existsSync(dest));
    }
  });

  it('x-amz-checksum-* (played by the proxy): a full-object CRC64NVME verifies; a CRC32C the bytes do not have is a mismatch', async () => {
    const crc64 = digestOf('crc64nvme', d20).toString('base64');
    proxy.rule = (r) => (r.method === 'GET' && isObj('rclone-nosum.bin')(r) ? { kind: 'rewrite', headers: { 'x-amz-checksum-crc64nvme': crc64, 'x-amz-checksum-type': 'FULL_OBJECT' } } : undefined);
    await getVerified('rclone-nosum.bin', /crc64nvme$/m, [], penv);
    const wrong = digestOf('crc32c', Buffer.from('other bytes')).toString('base64');
    proxy.rule = (r) => (r.method === 'GET' && isObj('rclone-nosum.bin')(r) ? { kind: 'rewrite', headers: { 'x-amz-checksum-crc32c': wrong } } : undefined);
    const dest = path.join(work, 'out', 'bad-crc.bin');
    const r = await s3k(['get', '--max-retries=1', uri('rclone-nosum.bin'), dest], { env: penv });
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /CRC32C mismatch for '.*rclone-nosum\.bin': got \S+, expected /);
    assert.ok(!fs.existsSync(dest));
  });

  it('a guessed part size proves nothing about a corrupt object: it is reported as not verified, never as verified', async () => {
    proxy.rule = (r) => (r.method === 'GET' && isObj('aws-8m.bin')(r) ? { kind: 'flip-response' } : undefined);
    const dest = path.join(work, 'out', 'flipped-guess.bin');
    const r = await s3k(['-v', 'get', uri('aws-8m.bin'), dest], { env: penv });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /INFO: verified/);
    assert.match(r.stderr, /INFO: not verified '.*aws-8m\.bin': its ETag is a composite of 3 parts and none of the part sizes tried \(8 MiB/);
  });
});
