// End to end: the standalone executable for hosts without Node. `npm run binary` (deploy/image/build.sh
// --binary-only) writes the single executable the container image ships, with its SHA-256; copied
// alone into an empty directory, it runs `s3k ls` against the lab with no node on PATH. The build
// shares the image build's download cache (node_modules/.cache/s3k-image), so a warm run takes seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, adminCreateBucket, adminDeleteBucket, adminEnv, makeTempDir, run, uniqueBucket, type RunResult } from '../support/lab.ts';

const VERSION = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const unsupported = process.platform !== 'linux' || process.arch !== 'x64' ? `builds a linux-x64 executable only (this is ${process.platform}/${process.arch})` : false;

const tmp = makeTempDir('binary');
const built = path.join(tmp.path, 'out', 's3k-linux-x64');
/** An empty directory that gets only the executable, as `s3k`: the whole PATH of the runs below. */
const host = path.join(tmp.path, 'host');
const exe = path.join(host, 's3k');

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.timedOut, false, `${what}: timed out`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** The executable run from `host` with PATH=host only: no node, no shell tools. */
const onHost = (args: string[], env: Record<string, string> = {}, input?: string) =>
  run(exe, args, { cwd: host, env: { PATH: host, HOME: host, ...env }, guard: false, timeoutMs: 60_000, input });

describe('standalone executable (npm run binary) against the lab', { timeout: 10 * 60_000, skip: unsupported }, () => {
  const bucket = uniqueBucket('bin');
  let buildOutput = '';

  before(async () => {
    const t0 = Date.now();
    const r = ok(await run('bash', [path.join(REPO_ROOT, 'deploy', 'image', 'build.sh'), '--binary-only', '--binary', built], {
      env: { S3K_IMAGE_CACHE: path.join(REPO_ROOT, 'node_modules', '.cache', 's3k-image') },
      timeoutMs: 600_000,
    }), 'deploy/image/build.sh --binary-only');
    buildOutput = r.stdout;
    process.stderr.write(`# binary build: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stdout.trimEnd().replace(/^/gm, '#   ')}\n`);
    fs.mkdirSync(host);
    fs.copyFileSync(built, exe);
    fs.chmodSync(exe, 0o755);
    await adminCreateBucket(bucket);
  });

  after(async () => {
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('writes the executable and its SHA-256 (sha256sum -c format)', () => {
    const sum = fs.readFileSync(`${built}.sha256`, 'utf8');
    const hash = crypto.createHash('sha256').update(fs.readFileSync(built)).digest('hex');
    assert.equal(sum, `${hash}  s3k-linux-x64\n`);
    assert.match(buildOutput, new RegExp(hash));
    assert.ok(fs.statSync(built).mode & 0o100, 'executable');
  });

  it('runs with no node on PATH: --version, ls, put and ls of the object', async () => {
    assert.deepEqual(fs.readdirSync(host), ['s3k'], 'PATH holds the executable and nothing else');
    const env = { ...adminEnv(), AWS_EC2_METADATA_DISABLED: 'true' };
    assert.equal(ok(await onHost(['--version'], env), '--version').stdout.trim(), `s3k version ${VERSION}`);
    const ls = ok(await onHost(['ls'], env), 's3k ls');
    assert.match(ls.stdout, new RegExp(`  s3://${bucket}$`, 'm'));
    ok(await onHost(['put', '-', `s3://${bucket}/from-stdin.txt`], env, 'hello from a host without node\n'), 'put -');
    const objects = ok(await onHost(['ls', `s3://${bucket}/`], env), 's3k ls s3://bucket/');
    assert.match(objects.stdout, new RegExp(`  s3://${bucket}/from-stdin.txt$`, 'm'));
  });

  it('--install-s3cmd-link links s3cmd to the executable itself', async () => {
    const r = ok(await onHost(['--install-s3cmd-link', host]), '--install-s3cmd-link');
    assert.equal(r.stdout.trim(), `${path.join(host, 's3cmd')} -> ${exe}`);
    const v = ok(await run(path.join(host, 's3cmd'), ['--version'], { cwd: host, env: { PATH: host }, guard: false }), 's3cmd --version');
    assert.equal(v.stdout.trim(), `s3k version ${VERSION}`);
  });
});
