// Side by side with the real s3cmd (Debian package): the same command lines, run by s3cmd and by
// s3k against the lab with the same .s3cfg, must print the same lines and exit with the same codes.
// Timings, speeds, dates, bucket names and temp paths are normalised; nothing else is.
// s3cmd missing: `lab/install-deps.sh --with-s3cmd` is tried once, else the suite is skipped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, adminDeleteBucket, makeTempDir, run, s3k, uniqueBucket, writeS3cfg, type RunResult } from '../support/lab.ts';

function s3cmdAvailable(): string | undefined {
  const probe = () => spawnSync('s3cmd', ['--version'], { encoding: 'utf8' });
  let p = probe();
  if (p.status === 0) return undefined;
  const inst = spawnSync('bash', [path.join(REPO_ROOT, 'lab/install-deps.sh'), '--with-s3cmd'], { encoding: 'utf8', timeout: 300_000 });
  p = probe();
  if (p.status === 0) return undefined;
  return `s3cmd is not installed and could not be installed (lab/install-deps.sh --with-s3cmd: exit ${inst.status}); skipping the side-by-side comparison`;
}

interface Step {
  /** Arguments; {B} is the tool's bucket, {D} its temp dir. */
  args: string[];
  /** The directory the command runs in ({D} is the tool's temp dir); the checkout by default. */
  cwd?: string;
  /** Lines whose order depends on parallel transfers: compared as sorted lists. */
  unordered?: boolean;
  /** A difference that is known and reported; the s3k stderr it is allowed to print instead. */
  known?: { reason: string; stderr: string[] };
}

const STEPS: Step[] = [
  { args: ['mb', 's3://{B}'] },
  { args: ['mb', 's3://{B}'] },
  { args: ['mb', '--bucket-location=EU', 's3://{B}-EU'] },
  { args: ['mb', 's3://ab'] },
  { args: ['put', '{D}/a.txt', 's3://{B}/dir/a.txt'] },
  { args: ['put', '-r', '{D}/tree', 's3://{B}/'], unordered: true },
  { args: ['put', '--acl-public', '{D}/a.txt', 's3://{B}/pub/a.txt'] },
  {
    args: ['put', '{D}/missing.txt', 's3://{B}/x'],
    known: {
      reason: "s3k names the missing file where s3cmd says only 'Nothing to upload.' (same exit code)",
      stderr: ["ERROR: Parameter problem: No such file or directory: '{D}/missing.txt'. Check the path; nothing was uploaded from it."],
    },
  },
  // a link to a file is skipped with a warning (64 when nothing else is left), so is a fifo
  { args: ['put', '{D}/links/ln.txt', 's3://{B}/l/'] },
  { args: ['put', '-r', '{D}/links', 's3://{B}/l/'] },
  { args: ['sync', '--dry-run', '{D}/links/', 's3://{B}/ls/'] },
  { args: ['put', '--follow-symlinks', '{D}/links/ln.txt', 's3://{B}/lf/'] },
  { args: ['ls', 's3://{B}'] },
  { args: ['ls', '-r', 's3://{B}'] },
  { args: ['ls', '-l', '-r', 's3://{B}'] },
  { args: ['ls', '--list-md5', '-r', 's3://{B}'] },
  { args: ['ls', '-H', 's3://{B}/dir/'] },
  // --secret_key alone overrides only the secret of the config file: a wrong one is refused (77)
  {
    args: ['--secret_key=not-the-secret', 'ls', 's3://{B}'],
    known: {
      reason: 's3k warns that keys on the command line are visible in the process list (same lines and exit code otherwise)',
      stderr: [
        'WARNING: credentials given on the command line are visible to other users in the process list; prefer ~/.s3cfg, environment variables or IRSA.',
        "ERROR: Access to bucket '{B}' was denied",
        'ERROR: S3 error: 403 (AccessDenied)',
      ],
    },
  },
  { args: ['ls', 's3://{B}/tree/o*'] }, // s3cmd takes only a trailing '*' (s3k also matches inner wildcards)
  { args: ['du', 's3://{B}'] },
  { args: ['du', '-H', 's3://{B}/tree/'] },
  { args: ['info', 's3://{B}/dir/a.txt'] },
  { args: ['info', 's3://{B}'] },
  // a directory where a downloaded file would go: that download fails, the rest goes on (exit 2)
  { args: ['sync', 's3://{B}/tree', '{D}/sod'], unordered: true },
  // a file whose content the bucket already holds is copied server-side ('remote copy', numbered apart)
  { args: ['sync', '{D}/dup/', 's3://{B}/dup/'], unordered: true },
  // S3 -> S3: the 'Summary:' line before the copies, then the copies
  { args: ['sync', 's3://{B}/dup/', 's3://{B}/dup2/'], unordered: true },
  { args: ['sync', '--delete-removed', 's3://{B}/tree/', 's3://{B}/dup2/'], unordered: true },
  { args: ['sync', '--dry-run', '--delete-removed', 's3://{B}/dup/', 's3://{B}/dup2/'], unordered: true },
  // a failed download holds back only the deletions it could explain: extra.txt is deleted (exit 2)
  { args: ['sync', '--delete-removed', 's3://{B}/tree', '{D}/sod2'], unordered: true },
  // several objects into a directory that does not exist, also with -r: 64
  { args: ['get', '-r', 's3://{B}/tree/', '{D}/nodir/'] },
  // into the current directory: -> './a.txt'
  { args: ['get', 's3://{B}/dir/a.txt'], cwd: '{D}/gets' },
  // SigV2, as s3cmd signs it
  { args: ['--signature-v2', 'ls', 's3://{B}/dir/'] },
  { args: ['--signature-v2', 'get', 's3://{B}/dir/a.txt', '{D}/v2.txt'] },
  { args: ['get', 's3://{B}/dir/a.txt', '{D}/got.txt'] },
  { args: ['get', 's3://{B}/dir/a.txt', '{D}/got.txt'] },
  { args: ['get', '--force', 's3://{B}/dir/a.txt', '{D}/got.txt'] },
  { args: ['get', '-r', 's3://{B}/tree', '{D}/gets/'], unordered: true },
  // a prefix without -r, a bucket without -r, several objects into a directory that does not exist
  { args: ['get', 's3://{B}/tree/', '{D}/gets/'] },
  { args: ['get', 's3://{B}', '{D}/gets/'] },
  { args: ['get', 's3://{B}/tree/one.txt', 's3://{B}/dir/a.txt', '{D}/nodir/'] },
  { args: ['get', 's3://{B}/tree/*', 's3://{B}/dir/a.txt', '{D}/nodir/'] },
  { args: ['cp', 's3://{B}/dir/a.txt', 's3://{B}/copy.txt'] },
  { args: ['cp', '-r', 's3://{B}/tree/', 's3://{B}/t2/'] },
  { args: ['cp', '-r', 's3://{B}/tree', 's3://{B}/t3/'] },
  { args: ['cp', 's3://{B}/tree/*', 's3://{B}/t4/'] },
  { args: ['cp', 's3://{B}/tree/one.txt', 's3://{B}/dir/a.txt', 's3://{B}/t5/'] },
  { args: ['cp', '-n', '-r', '--exclude', 'sub/*', 's3://{B}/tree/', 's3://{B}/dry/'] },
  { args: ['cp', '-r', 's3://{B}/tree/', 's3://{B}/notadir'] },
  { args: ['cp', 's3://{B}/tree/', 's3://{B}/x/'] },
  { args: ['cp', 's3://{B}/nope.txt', 's3://{B}/x'] },
  { args: ['cp', 's3://{B}-missing/nope.txt', 's3://{B}/x'] },
  { args: ['mv', 's3://{B}/copy.txt', 's3://{B}/moved.txt'] },
  { args: ['mv', '-r', 's3://{B}/t3/', 's3://{B}/t6/'] },
  { args: ['modify', '-m', 'text/plain', '--add-header=x-amz-meta-x:y', 's3://{B}/moved.txt'] },
  { args: ['info', 's3://{B}/moved.txt'] },
  { args: ['setacl', '-P', 's3://{B}/moved.txt'] },
  { args: ['setacl', '-P', '-r', 's3://{B}/t6/'] },
  { args: ['setacl', '--acl-private', 's3://{B}'] },
  { args: ['setpolicy', '{D}/policy.json', 's3://{B}'] },
  { args: ['delpolicy', 's3://{B}'] },
  { args: ['setlifecycle', '{D}/lifecycle.xml', 's3://{B}'] },
  { args: ['getlifecycle', 's3://{B}'] },
  { args: ['dellifecycle', 's3://{B}'] },
  { args: ['expire', '--expiry-days=7', '--expiry-prefix=logs/', 's3://{B}'] },
  { args: ['expire', 's3://{B}'] },
  { args: ['payer', 's3://{B}'] },
  { args: ['del', 's3://{B}/moved.txt'] },
  { args: ['del', 's3://{B}/nope.txt'] },
  { args: ['del', '--stats', '-r', 's3://{B}/t4/'] },
  { args: ['del', '--stats', '-r', '--exclude', 'nothing', 's3://{B}/t5/'] },
  { args: ['ls', 's3://{B}-missing'] },
  { args: ['get', 's3://{B}/nope.txt', '{D}/nope'] },
  {
    args: ['info', 's3://{B}/nope.txt'],
  },
  { args: ['rb', 's3://{B}'] },
  { args: ['del', '-r', '--force', 's3://{B}/t2/'] },
  { args: ['rb', '-r', '-f', 's3://{B}'] },
  {
    args: ['rb', 's3://{B}'],
  },
  { args: ['frobnicate'] },
];

function prepare(dir: string, bucket: string): void {
  fs.mkdirSync(path.join(dir, 'tree', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'gets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
  fs.writeFileSync(path.join(dir, 'tree', 'one.txt'), 'one\n');
  fs.writeFileSync(path.join(dir, 'tree', 'sub', 'two.txt'), 'two!\n');
  fs.mkdirSync(path.join(dir, 'sod', 'tree', 'sub', 'two.txt'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'sod2', 'tree', 'sub', 'two.txt'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'sod2', 'tree', 'extra.txt'), 'extra\n');
  fs.mkdirSync(path.join(dir, 'dup'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dup', 'a.txt'), 'dup\n');
  fs.writeFileSync(path.join(dir, 'dup', 'b.txt'), 'dup\n');
  fs.writeFileSync(path.join(dir, 'dup', 'c.txt'), 'other\n');
  fs.mkdirSync(path.join(dir, 'links'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'links', 'real.txt'), 'real\n');
  fs.symlinkSync('real.txt', path.join(dir, 'links', 'ln.txt'));
  fs.symlinkSync('..', path.join(dir, 'links', 'up'));
  fs.symlinkSync('nowhere', path.join(dir, 'links', 'dangling'));
  spawnSync('mkfifo', [path.join(dir, 'links', 'fifo')]);
  fs.writeFileSync(
    path.join(dir, 'policy.json'),
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] }),
  );
  fs.writeFileSync(
    path.join(dir, 'lifecycle.xml'),
    '<LifecycleConfiguration><Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>',
  );
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Only what may differ between two runs: timings, speeds, dates, bucket name, temp dir. */
function normalise(text: string, bucket: string, dir: string): string[] {
  return text
    .replace(new RegExp(esc(dir), 'g'), '{D}')
    .replace(new RegExp(esc(bucket), 'g'), '{B}')
    .replace(/\((\d+) bytes in [\d.]+ seconds, [\d.]+ [KMGT]?B\/s\)/g, '($1 bytes in T seconds, S B/s)')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d/g, 'YYYY-MM-DD HH:MM')
    .replace(/(Last mod:\s+)\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/g, '$1DATE')
    .replace(/\b([acm]time):\d+/g, '$1:N')
    .split('\n')
    .filter((l) => l !== '');
}

interface Outcome {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

async function scenario(tool: 's3cmd' | 's3k', cfg: string, bucket: string, dir: string): Promise<Outcome[]> {
  prepare(dir, bucket);
  const out: Outcome[] = [];
  for (const step of STEPS) {
    const args = ['-c', cfg, ...step.args.map((a) => a.replace(/\{B\}/g, bucket).replace(/\{D\}/g, dir))];
    const cwd = step.cwd?.replace(/\{D\}/g, dir);
    const r: RunResult = tool === 's3k' ? await s3k(args, { cwd }) : await run('s3cmd', args, { cwd });
    out.push({ code: r.code, stdout: normalise(r.stdout, bucket, dir), stderr: normalise(r.stderr, bucket, dir) });
  }
  return out;
}

describe('s3k and s3cmd print the same lines', () => {
  const skip = s3cmdAvailable();
  const tmp = makeTempDir('compat');
  // Same length, so nothing in a column moves when the names are normalised.
  const bRef = uniqueBucket('compat-ref');
  const bK = uniqueBucket('compat-s3k');
  let ref: Outcome[] = [];
  let mine: Outcome[] = [];

  before(async () => {
    if (skip) return;
    const cfg = writeS3cfg({ dir: tmp.path });
    const dRef = path.join(tmp.path, 's3cmd');
    const dK = path.join(tmp.path, 's3kdir');
    ref = await scenario('s3cmd', cfg, bRef, dRef);
    mine = await scenario('s3k', cfg, bK, dK);
  });
  after(async () => {
    await adminDeleteBucket(bRef);
    await adminDeleteBucket(bK);
    tmp.cleanup();
  });

  STEPS.forEach((step, i) => {
    it(`${step.args.join(' ')}`, { skip }, (t) => {
      const a = ref[i];
      const b = mine[i];
      assert.ok(a && b, 'both tools ran the step');
      const ord = (l: string[]) => (step.unordered ? [...l].sort() : l);
      assert.equal(b.code, a.code, `exit code (s3cmd ${a.code}, s3k ${b.code})\ns3cmd stderr: ${a.stderr.join('\n')}\ns3k stderr: ${b.stderr.join('\n')}`);
      assert.deepEqual(ord(b.stdout), ord(a.stdout), 'stdout');
      if (step.known && JSON.stringify(b.stderr) !== JSON.stringify(a.stderr)) {
        t.diagnostic(`known difference: ${step.known.reason}`);
        assert.deepEqual(b.stderr, step.known.stderr, 'stderr (the known difference, nothing else)');
      } else assert.deepEqual(ord(b.stderr), ord(a.stderr), 'stderr');
    });
  });
});

// One listing of more than 1,000 entries (two pages) with prefixes among the keys: s3cmd prints every
// DIR line first, then the objects; s3k must print the same lines in the same order.
describe('s3k and s3cmd list more than one page the same way', () => {
  const skip = s3cmdAvailable();
  const tmp = makeTempDir('compat-ls');
  const bucket = uniqueBucket('compat-ls');
  let cfg = '';

  before(async () => {
    if (skip) return;
    cfg = writeS3cfg({ dir: tmp.path });
    const src = path.join(tmp.path, 'many');
    for (const d of ['a-dir', 'm-dir', 'z-dir']) fs.mkdirSync(path.join(src, d), { recursive: true });
    for (let i = 0; i < 1003; i++) fs.writeFileSync(path.join(src, `k${String(i).padStart(4, '0')}.txt`), `${i}\n`);
    for (const d of ['a-dir', 'm-dir', 'z-dir']) fs.writeFileSync(path.join(src, d, 'f.txt'), d);
    assert.equal((await s3k(['-c', cfg, 'mb', `s3://${bucket}`])).code, 0);
    const r = await s3k(['-c', cfg, 'put', '-r', '--quiet', src + '/', `s3://${bucket}/p/`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('ls s3://B/p/ (1,003 objects and 3 prefixes)', { skip }, async () => {
    const args = ['-c', cfg, 'ls', `s3://${bucket}/p/`];
    const a = await run('s3cmd', args);
    const b = await s3k(args);
    assert.equal(b.code, a.code);
    const ours = normalise(b.stdout, bucket, tmp.path);
    assert.equal(ours.length, 1006);
    assert.match(ours[2], /DIR +s3:\/\/\{B\}\/p\/z-dir\/$/);
    assert.deepEqual(ours, normalise(a.stdout, bucket, tmp.path));
  });
});
