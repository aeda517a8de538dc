// storage/: an s3:// argument parsed once (S3Url) and listed once (expand, listView, S3Tree), over
// an in-memory bucket that answers ListObjectsV2 and HEAD as S3 does (prefix, delimiter, pages).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { S3Client, S3Request } from '../../src/s3/client.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { ParameterError } from '../../src/cli/exit-codes.ts';
import { parseArg, s3Arg, s3Url } from '../../src/storage/url.ts';
import { expand, listView, S3Tree, bucketProblem, type ExpandOptions } from '../../src/storage/s3.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A bucket of keys (all size 1 but markers ending in '/', size 0); pages of `pageSize` keys. */
function fakeClient(keys: string[], pageSize = 1000): S3Client & { requests: S3Request[] } {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const requests: S3Request[] = [];
  const send = async (req: S3Request) => {
    requests.push(req);
    if (req.bucket !== 'b') throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'HEAD') {
      if (!sorted.includes(req.key!)) throw new S3Error(404, 'NotFound', '');
      return { status: 200, headers: { 'content-length': '1', etag: '"0cc175b9c0f1b6a831c399e269772661"', 'last-modified': 'Mon, 02 Jan 2026 03:04:05 GMT' }, body: Buffer.alloc(0) };
    }
    const q = req.query ?? {};
    const prefix = q.prefix ?? '';
    const delim = q.delimiter;
    const start = q['continuation-token'] ?? '';
    const contents: string[] = [];
    const prefixes: string[] = [];
    let next: string | undefined;
    for (const k of sorted) {
      if (!k.startsWith(prefix) || (start && k <= start)) continue;
      if (contents.length + prefixes.length >= pageSize) {
        next = contents.at(-1) ?? prefixes.at(-1);
        break;
      }
      const rest = k.slice(prefix.length);
      const cut = delim ? rest.indexOf(delim) : -1;
      if (cut >= 0) {
        const p = prefix + rest.slice(0, cut + 1);
        if (!prefixes.includes(p)) prefixes.push(p);
        continue;
      }
      contents.push(k);
    }
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name>' +
      `<IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextContinuationToken>${esc(next)}</NextContinuationToken>` : ''}` +
      contents.map((k) => `<Contents><Key>${esc(k)}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"e"</ETag><Size>${k.endsWith('/') ? 0 : 1}</Size></Contents>`).join('') +
      prefixes.map((p) => `<CommonPrefixes><Prefix>${esc(p)}</Prefix></CommonPrefixes>`).join('') +
      '</ListBucketResult>';
    return { status: 200, headers: {}, body: Buffer.from(body) };
  };
  return { send, requests } as unknown as S3Client & { requests: S3Request[] };
}

const KEYS = ['dir/', 'dir/a.txt', 'dir/b.log', 'dir/sub/c.txt', 'dir/sub/deep/d.txt', 'dir2/x.txt', 'dir.txt', 'top.txt'];

async function names(arg: string, o: Partial<ExpandOptions> = {}, keys = KEYS): Promise<string[]> {
  const out: string[] = [];
  for await (const it of expand(fakeClient(keys), s3Arg(arg), { recursive: false, ...o })) out.push(`${it.key}=${it.relative}`);
  return out;
}

describe('S3Url', () => {
  it('keeps the literal prefix, the base of relative names and the last name', () => {
    assert.deepEqual(s3Url('b', 'abc/def'), { type: 's3', bucket: 'b', key: 'abc/def', wildcard: false, prefix: 'abc/def', base: 'abc/', name: 'def', uri: 's3://b/abc/def' });
    assert.deepEqual(s3Url('b', 'abc/def/'), { type: 's3', bucket: 'b', key: 'abc/def/', wildcard: false, prefix: 'abc/def/', base: 'abc/def/', name: '', uri: 's3://b/abc/def/' });
    const w = s3Url('b', 'a/b*c/d?.txt');
    assert.equal(w.wildcard, true);
    assert.equal(w.prefix, 'a/b');
    assert.equal(w.base, 'a/');
    assert.equal(s3Url('b', 'x[1].txt').wildcard, false, "'[' is not a wildcard in s3:// arguments");
    assert.deepEqual(s3Url('b'), { type: 's3', bucket: 'b', key: '', wildcard: false, prefix: '', base: '', name: '', uri: 's3://b/' });
  });
  it('parses arguments: s3:// (any case) or a local path; s3Arg insists on a bucket', () => {
    assert.equal(parseArg('S3://b/k').type, 's3');
    assert.deepEqual(parseArg('./f'), { type: 'file', path: './f' });
    assert.throws(() => s3Arg('./f'), (e: unknown) => e instanceof ParameterError && e.message === "Expecting S3 URI instead of './f'");
    assert.throws(() => s3Arg('s3://'), ParameterError);
  });
});

describe('expand (s3cmd fetch_remote_list)', () => {
  it('a single named key, without listing; a name ending in / needs -r', async () => {
    const c = fakeClient(KEYS);
    const got = [];
    for await (const it of expand(c, s3Arg('s3://b/dir/a.txt'), { recursive: false })) got.push(it);
    assert.deepEqual(got, [{ bucket: 'b', key: 'dir/a.txt', relative: 'a.txt' }]);
    assert.equal(c.requests.length, 0);
    await assert.rejects(names('s3://b/dir/'), /Expecting S3 URI with a filename or --recursive: s3:\/\/b\/dir\//);
  });
  it('requireAttribs HEADs the key; a missing key is a parameter problem, a missing bucket an S3 error', async () => {
    const got = [];
    for await (const it of expand(fakeClient(KEYS), s3Arg('s3://b/dir/a.txt'), { recursive: false, requireAttribs: true })) got.push(it);
    assert.equal(got[0].size, 1);
    assert.equal(got[0].etag, '0cc175b9c0f1b6a831c399e269772661');
    await assert.rejects(names('s3://b/nope', { requireAttribs: true }), /Source object 's3:\/\/b\/nope' does not exist\./);
    await assert.rejects(names('s3://other/k', { requireAttribs: true }), (e: unknown) => e instanceof S3Error && e.code === 'NoSuchBucket');
  });
  it('-r: every key under the argument, named from its last /', async () => {
    assert.deepEqual(await names('s3://b/dir/sub/', { recursive: true }), ['dir/sub/c.txt=c.txt', 'dir/sub/deep/d.txt=deep/d.txt']);
    // 'dir' is a prefix: dir/..., dir2/... and dir.txt, named with their own first segment
    assert.deepEqual(await names('s3://b/dir', { recursive: true }), [
      'dir.txt=dir.txt',
      'dir/=dir/',
      'dir/a.txt=dir/a.txt',
      'dir/b.log=dir/b.log',
      'dir/sub/c.txt=dir/sub/c.txt',
      'dir/sub/deep/d.txt=dir/sub/deep/d.txt',
      'dir2/x.txt=dir2/x.txt',
    ]);
  });
  it('-r on a prefix with a directory marker: the marker has no name of its own', async () => {
    const empty: string[] = [];
    assert.deepEqual(await names('s3://b/dir/sub/', { recursive: true, onEmptyName: (k) => empty.push(k) }, ['dir/sub/', 'dir/sub/c.txt']), ['dir/sub/c.txt=c.txt']);
    assert.deepEqual(empty, ['dir/sub/']);
  });
  it('-r with exactObject: a key naming an object stands for it alone', async () => {
    const keys = ['d/f.txt', 'd/f.txt.bak', 'd/f.txtz/x'];
    assert.deepEqual(await names('s3://b/d/f.txt', { recursive: true, exactObject: true }, keys), ['d/f.txt=f.txt']);
    assert.equal((await names('s3://b/d/f.txt', { recursive: true }, keys)).length, 3);
  });
  it('a wildcard stays at its level unless a / follows it; names start after the last / before it', async () => {
    assert.deepEqual(await names('s3://b/dir/*.txt'), ['dir/a.txt=a.txt']);
    assert.deepEqual(await names('s3://b/dir/*/c.txt'), ['dir/sub/c.txt=sub/c.txt']);
    assert.deepEqual(await names('s3://b/dir/*.txt', { recursive: true }), ['dir/a.txt=a.txt', 'dir/sub/c.txt=sub/c.txt', 'dir/sub/deep/d.txt=sub/deep/d.txt']);
    assert.deepEqual(await names('s3://b/d?r/a*'), ['dir/a.txt=dir/a.txt']);
  });
  it('keep sees the relative name and the key', async () => {
    const seen: string[] = [];
    const got = await names('s3://b/dir/', { recursive: true, keep: (rel, key) => (seen.push(`${rel}|${key}`), !rel.endsWith('.log')) });
    assert.deepEqual(got, ['dir/a.txt=a.txt', 'dir/sub/c.txt=sub/c.txt', 'dir/sub/deep/d.txt=sub/deep/d.txt']);
    assert.ok(seen.includes('b.log|dir/b.log'));
  });
  it('follows continuation pages', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `p/k${String(i).padStart(2, '0')}`);
    const out: string[] = [];
    for await (const it of expand(fakeClient(many, 10), s3Arg('s3://b/p/'), { recursive: true })) out.push(it.relative);
    assert.equal(out.length, 25);
    assert.equal(out[24], 'k24');
  });
  it("a failed listing names its bucket (bucketProblem); the error stays the server's", async () => {
    await assert.rejects(names('s3://gone/x', { recursive: true }), (e: unknown) => {
      assert.ok(e instanceof S3Error);
      assert.equal((e as S3Error).message, '404 (NoSuchBucket): The specified bucket does not exist');
      assert.equal(bucketProblem(e), "Bucket 'gone' does not exist");
      return true;
    });
    assert.equal(bucketProblem(new S3Error(403, 'AccessDenied', ''), 'b'), "Access to bucket 'b' was denied");
    assert.equal(bucketProblem(new S3Error(403, 'AccessDenied', '')), undefined, 'not from a listing, no bucket given');
    assert.equal(bucketProblem(new S3Error(404, 'NoSuchKey', ''), 'b'), undefined);
  });
});

describe('listView (ls)', () => {
  async function view(arg: string, recursive = false): Promise<string[]> {
    const out: string[] = [];
    for await (const p of listView(fakeClient(KEYS), s3Arg(arg), { recursive })) out.push(...p.prefixes.map((d) => `DIR ${d}`), ...p.objects.map((o) => o.key));
    return out;
  }
  it('one level with directories, or everything with -r', async () => {
    assert.deepEqual(await view('s3://b/dir/'), ['DIR dir/sub/', 'dir/', 'dir/a.txt', 'dir/b.log']);
    assert.equal((await view('s3://b/', true)).length, KEYS.length);
  });
  it("a trailing '*' is a prefix; other wildcards match keys and directories", async () => {
    assert.deepEqual(await view('s3://b/dir*'), ['DIR dir/', 'DIR dir2/', 'dir.txt']);
    assert.deepEqual(await view('s3://b/dir/*.txt'), ['dir/a.txt']);
    assert.deepEqual(await view('s3://b/d?r/'), ['DIR dir/']);
  });
});

describe('S3Tree (one side of a sync)', () => {
  it('lists under a literal prefix, without directory markers, filtered by relative name', async () => {
    const t = new S3Tree(fakeClient(KEYS), 'b', 'dir/', { keep: (rel) => !rel.startsWith('sub/deep/') });
    const out: string[] = [];
    for await (const e of t.list()) out.push(`${e.relative}@${e.key}`);
    assert.deepEqual(out, ['a.txt@dir/a.txt', 'b.log@dir/b.log', 'sub/c.txt@dir/sub/c.txt']);
    assert.deepEqual(t.target('x/y.txt'), { name: 's3://b/dir/x/y.txt', key: 'dir/x/y.txt', problem: undefined });
    assert.match(t.target('k'.repeat(1100)).problem!, /at most 1024 bytes/);
  });
  it('one key under a name of its own', async () => {
    const t = new S3Tree(fakeClient(KEYS), 'b', 'dir/', { keep: () => true, only: { key: 'dir/a.txt', relative: 'renamed.txt' } });
    const out: string[] = [];
    for await (const e of t.list()) out.push(`${e.relative}@${e.key}`);
    assert.deepEqual(out, ['renamed.txt@dir/a.txt']);
    assert.equal(t.target('renamed.txt').key, 'dir/a.txt');
  });
});
