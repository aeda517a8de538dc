// --exclude/--include/--rexclude on every command that works on many keys or files: the keys and
// files a pattern excludes are never uploaded, downloaded, copied, moved, changed or deleted.
// Patterns match as s3cmd matches them (Python's fnmatch.translate, then re.search: anchored at the
// end only, so 'Atomic*' matches 'etc/AtomicClockRadio.ttf'); the second part runs the same command
// lines through the real s3cmd and compares what each tool left behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminDeleteBucket, adminEnv, adminListKeys, adminPutObject, makeTempDir, run, s3k, s3Request, uniqueBucket, writeS3cfg, type RunResult } from '../support/lab.ts';

const env = adminEnv();

const TREE = ['etc/AtomicClockRadio.ttf', 'etc/Atomic.txt', 'etc/logo.png', 'etc/more/Atomic-deep.txt', 'etc/readme.txt', 'sub/keep.db', 'sub/other.db', 'top.txt'].sort();
const EXCLUDED = TREE.filter((k) => k.includes('Atomic'));
const KEPT = TREE.filter((k) => !k.includes('Atomic'));

function writeTree(root: string, rels: string[], content = (r: string) => `content of ${r}\n`) {
  for (const rel of rels) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content(rel));
  }
}
function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}
const ok = (r: RunResult) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
const under = (keys: string[], prefix: string) => keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();

describe('--exclude leaves excluded keys and files untouched, for every multi-key command', () => {
  const bucket = uniqueBucket('excl');
  const tmp = makeTempDir('excl');
  const seed = async (prefix: string) => {
    for (const k of TREE) await adminPutObject(bucket, prefix + k, `seed ${k}\n`);
  };
  before(async () => ok(await s3k(['mb', `s3://${bucket}`], { env })));
  after(async () => {
    await adminDeleteBucket(bucket);
    tmp.cleanup();
  });

  it('put -r: the pattern matches below the top directory, not only at its start', async () => {
    const src = path.join(tmp.path, 'put-src');
    writeTree(src, TREE);
    ok(await s3k(['put', '-r', '--exclude', 'Atomic*', src + '/', `s3://${bucket}/put/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'put/'), 'put/'), KEPT);
    // a single named file is filtered too
    ok(await s3k(['put', '--exclude', '*.txt', '--exclude', 'Atomic*', path.join(src, 'top.txt'), path.join(src, 'sub/keep.db'), `s3://${bucket}/single/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'single/'), 'single/'), ['keep.db']);
  });

  it('get -r downloads nothing that is excluded', async () => {
    await seed('get/');
    const dst = path.join(tmp.path, 'get-dst');
    fs.mkdirSync(dst);
    ok(await s3k(['get', '-r', '--exclude', 'Atomic*', `s3://${bucket}/get/`, dst + '/'], { env }));
    assert.deepEqual(listTree(dst), KEPT);
  });

  it('del -r keeps the excluded keys (s3cmd: the Atomic files in etc/ stay)', async () => {
    await seed('del/');
    const r = await s3k(['del', '-r', '--exclude', 'Atomic*', `s3://${bucket}/del/etc`], { env });
    ok(r);
    assert.deepEqual(under(await adminListKeys(bucket, 'del/'), 'del/'), [...EXCLUDED, 'sub/keep.db', 'sub/other.db', 'top.txt'].sort());
    assert.ok(!/Atomic/.test(r.stdout), r.stdout);
    // a single named key that is excluded is not deleted
    ok(await s3k(['del', '--exclude', '*.txt', `s3://${bucket}/del/top.txt`], { env }));
    assert.ok((await adminListKeys(bucket, 'del/')).includes('del/top.txt'));
  });

  it('cp -r and mv -r leave excluded keys where they are', async () => {
    await seed('cp/');
    ok(await s3k(['cp', '-r', '--exclude', 'Atomic*', `s3://${bucket}/cp/`, `s3://${bucket}/cp2/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'cp2/'), 'cp2/'), KEPT);
    ok(await s3k(['mv', '-r', '--exclude', 'Atomic*', `s3://${bucket}/cp/`, `s3://${bucket}/mv/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'mv/'), 'mv/'), KEPT);
    assert.deepEqual(under(await adminListKeys(bucket, 'cp/'), 'cp/'), EXCLUDED.sort(), 'the excluded keys were not moved');
  });

  it('modify -r and setacl -r do not touch excluded keys', async () => {
    await seed('mod/');
    ok(await s3k(['modify', '-r', '--exclude', 'Atomic*', '--mime-type=text/x-changed', `s3://${bucket}/mod/`], { env }));
    for (const k of TREE) {
      const h = await s3Request({ method: 'HEAD', bucket, key: 'mod/' + k });
      assert.equal(h.headers['content-type'] === 'text/x-changed', !k.includes('Atomic'), `${k}: ${h.headers['content-type']}`);
    }
    ok(await s3k(['setacl', '-r', '-P', '--exclude', 'Atomic*', `s3://${bucket}/mod/`], { env }));
    for (const k of TREE) {
      const r = await s3k(['info', `s3://${bucket}/mod/${k}`], { env });
      ok(r);
      assert.equal(/ACL:\s+\*anon\*: READ/.test(r.stdout), !k.includes('Atomic'), `${k}:\n${r.stdout}`);
    }
  });

  it('sync local -> S3 uploads nothing excluded and, with --delete-removed, deletes no excluded key', async () => {
    const src = path.join(tmp.path, 'sync-src');
    writeTree(src, TREE);
    await adminPutObject(bucket, 'sup/etc/AtomicOnlyRemote.ttf', 'remote only\n');
    await adminPutObject(bucket, 'sup/gone.txt', 'remote only\n');
    ok(await s3k(['sync', '--delete-removed', '--exclude', 'Atomic*', '--exclude', 'logo*', src + '/', `s3://${bucket}/sup/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'sup/'), 'sup/'), ['etc/AtomicOnlyRemote.ttf', 'etc/readme.txt', 'sub/keep.db', 'sub/other.db', 'top.txt']);
    // without the trailing '/', the directory's own name is part of the matched path
    ok(await s3k(['sync', '--exclude', 'sync-src/etc/*', src, `s3://${bucket}/sup2/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'sup2/'), 'sup2/'), ['sync-src/sub/keep.db', 'sync-src/sub/other.db', 'sync-src/top.txt']);
  });

  it("sync S3 -> local with --delete-removed keeps the local files an exclude protects ('keep*' matches sub/keep.db)", async () => {
    for (const k of ['a.txt', 'sub/b.txt']) await adminPutObject(bucket, 'sdown/' + k, 'x\n');
    const dst = path.join(tmp.path, 'sync-dst');
    writeTree(dst, ['sub/keep.db', 'keepme.txt', 'stale.txt', 'sub/stale.txt']);
    ok(await s3k(['sync', '--delete-removed', '--exclude', 'keep*', `s3://${bucket}/sdown/`, dst + '/'], { env }));
    assert.deepEqual(listTree(dst), ['a.txt', 'keepme.txt', 'sub/b.txt', 'sub/keep.db']);
  });

  it('sync S3 -> S3 copies and deletes nothing excluded', async () => {
    await seed('scp/');
    await adminPutObject(bucket, 'scp2/etc/AtomicThere.ttf', 'dst only\n');
    await adminPutObject(bucket, 'scp2/old.txt', 'dst only\n');
    ok(await s3k(['sync', '--delete-removed', '--exclude', 'Atomic*', `s3://${bucket}/scp/`, `s3://${bucket}/scp2/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'scp2/'), 'scp2/'), [...KEPT, 'etc/AtomicThere.ttf'].sort());
  });

  it("--include rescues, --rexclude is a regular expression, --exclude 'dir/' prunes a directory, --exclude-from reads a file", async () => {
    const src = path.join(tmp.path, 'inc-src');
    writeTree(src, TREE);
    ok(await s3k(['put', '-r', '--exclude', '*', '--include', '*.txt', src + '/', `s3://${bucket}/inc/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'inc/'), 'inc/'), TREE.filter((k) => k.endsWith('.txt')));
    ok(await s3k(['put', '-r', '--rexclude', '^etc/', '--rinclude', 'deep', src + '/', `s3://${bucket}/rex/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'rex/'), 'rex/'), ['etc/more/Atomic-deep.txt', 'sub/keep.db', 'sub/other.db', 'top.txt']);
    ok(await s3k(['put', '-r', '--exclude', 'more/', src + '/', `s3://${bucket}/dir/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'dir/'), 'dir/'), TREE.filter((k) => !k.includes('more/')));
    const patterns = path.join(tmp.path, 'patterns');
    fs.writeFileSync(patterns, '# comment\n\n  *.db  \nlogo*\n');
    ok(await s3k(['sync', '--exclude-from', patterns, src + '/', `s3://${bucket}/from/`], { env }));
    assert.deepEqual(under(await adminListKeys(bucket, 'from/'), 'from/'), TREE.filter((k) => !k.endsWith('.db') && !k.includes('logo')));
  });
});

// ------------------------------------------------------------------------------ side by side
function s3cmdMissing(): string | undefined {
  return spawnSync('s3cmd', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 's3cmd is not installed (lab/install-deps.sh --with-s3cmd)';
}

interface Case {
  name: string;
  /** Objects put into the tool's bucket first (prefix p/). */
  remote?: string[];
  /** Files written into the tool's directory first (under D/). */
  local?: string[];
  /** {B} bucket, {D} directory. */
  args: string[];
}

const CASES: Case[] = [
  { name: 'del -r --exclude Atomic*', remote: TREE, args: ['del', '--recursive', '--exclude', 'Atomic*', 's3://{B}/p/etc'] },
  { name: 'sync down --delete-removed --exclude keep*', remote: ['p/a.txt'], local: ['dir/sub/keep.db', 'dir/stale.txt'], args: ['sync', '--delete-removed', '--exclude', 'keep*', 's3://{B}/p/', '{D}/dir/'] },
  { name: 'sync up --exclude Atomic* --exclude logo*', local: TREE.map((k) => 'src/' + k), args: ['sync', '--exclude', 'Atomic*', '--exclude', 'logo*', '{D}/src/', 's3://{B}/up/'] },
  { name: 'sync up without trailing slash, pattern with the directory name', local: TREE.map((k) => 'src/' + k), args: ['sync', '--exclude', 'src/sub/*', '{D}/src', 's3://{B}/up2/'] },
  { name: 'put -r --exclude dir/ --include', local: TREE.map((k) => 'src/' + k), args: ['put', '-r', '--exclude', 'more/', '--exclude', '*.db', '--include', 'keep*', '{D}/src', 's3://{B}/put/'] },
  { name: 'get -r --rexclude', remote: TREE, local: ['got/.keep'], args: ['get', '-r', '--rexclude', 'o[a-z]+\\.', 's3://{B}/p/', '{D}/got/'] },
  { name: 'cp -r --exclude [abc]*', remote: TREE, args: ['cp', '-r', '--exclude', '[r]*', '--exclude', '*?ther*', 's3://{B}/p/', 's3://{B}/cp/'] },
];

describe('exclusions match real s3cmd, command line by command line', () => {
  const skip = s3cmdMissing();
  const tmp = makeTempDir('excl-cmp');
  const buckets: string[] = [];
  after(async () => {
    for (const b of buckets) await adminDeleteBucket(b);
    tmp.cleanup();
  });

  async function outcome(tool: 's3cmd' | 's3k', c: Case, i: number) {
    const bucket = uniqueBucket(`xc-${tool}`);
    buckets.push(bucket);
    const dir = path.join(tmp.path, `${tool}-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const cfg = writeS3cfg({ dir });
    const mb = await s3k(['-c', cfg, 'mb', `s3://${bucket}`]);
    ok(mb);
    for (const k of c.remote ?? []) await adminPutObject(bucket, k.startsWith('p/') ? k : 'p/' + k, `r ${k}\n`);
    writeTree(dir, c.local ?? []);
    const args = ['-c', cfg, ...c.args.map((a) => a.replace('{B}', bucket).replace('{D}', dir))];
    const r = tool === 's3k' ? await s3k(args) : await run('s3cmd', args);
    const keys = await adminListKeys(bucket);
    const files = listTree(dir).filter((f) => f !== 's3cfg');
    const lines = r.stdout
      .split('\n')
      .filter((l) => /^(upload|download|delete|remote copy|copy):/.test(l))
      .map((l) => l.replaceAll(bucket, '{B}').replaceAll(dir, '{D}').replace(/ \(\d+ bytes in .*$/, '').replace(/ +\[\d+ of \d+\]$/, ''))
      .sort();
    return { code: r.code, keys, files, lines, stderr: r.stderr };
  }

  CASES.forEach((c, i) => {
    it(c.name, { skip }, async () => {
      const ref = await outcome('s3cmd', c, i);
      const mine = await outcome('s3k', c, i);
      assert.equal(mine.code, ref.code, `exit codes\ns3cmd: ${ref.stderr}\ns3k: ${mine.stderr}`);
      assert.deepEqual(mine.keys, ref.keys, 'keys left in the bucket');
      assert.deepEqual(mine.files, ref.files, 'files left in the directory');
      assert.deepEqual(mine.lines, ref.lines, 'what each tool said it did');
    });
  });
});
