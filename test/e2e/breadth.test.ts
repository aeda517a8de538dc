// s3cmd breadth against the lab: cp/mv/modify, signurl (static and IRSA credentials, expiry),
// sign, multipart/listmp/abortmp, ACLs, policy, CORS, lifecycle/expire, tagging, versioning, payer,
// restore (RGW: 501), CloudFront refusal, --configure with piped answers and --dump-config.
// State is checked with raw signed requests (test/support/lab.ts), independent of s3k.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  adminDeleteBucket, adminEnv, adminGetObject, adminListKeys, adminPutObject, assumeRole, irsaEnv, labEnv, labHostPort, makeTempDir, mintToken,
  s3k, s3Request, setupIrsa, signingCredentials, uniqueBucket, writeS3cfg, writeToken, type RunResult, type SigningCredentials,
} from '../support/lab.ts';

const env = adminEnv();
const tmp = makeTempDir('breadth');

function ok(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const noStack = (r: RunResult) => assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|ReferenceError/, 'no stack trace');

/** GET a URL with plain node:http (no signing, no s3k). Loopback only. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  assert.equal(u.hostname, '127.0.0.1', 'presigned URLs point at the lab');
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
const anonGet = (bucket: string, key?: string) => s3Request({ bucket, key, credentials: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cp, mv, modify', () => {
  const b = uniqueBucket('br-cp');
  const b2 = uniqueBucket('br-cp2');
  before(async () => {
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    ok(await s3k(['mb', `s3://${b2}`], { env }), 'mb 2');
    await adminPutObject(b, 'dir/a.txt', 'alpha');
    await adminPutObject(b, 'dir/b.txt', 'bravo');
    await adminPutObject(b, 'dir/sub/c.txt', 'charlie');
    await adminPutObject(b, 'page.html', '<p>hi</p>', {
      'Content-Type': 'text/html',
      'Cache-Control': 'max-age=60',
      'x-amz-meta-owner': 'team-a',
      'x-amz-acl': 'public-read',
    });
  });
  after(async () => {
    await adminDeleteBucket(b);
    await adminDeleteBucket(b2);
  });

  it('cp: one key, -r with and without a trailing slash, a wildcard, several sources; [n of N] in order', async () => {
    let r = await s3k(['cp', `s3://${b}/dir/a.txt`, `s3://${b2}/one.txt`], { env });
    ok(r, 'cp one');
    assert.equal(r.stdout, `remote copy: 's3://${b}/dir/a.txt' -> 's3://${b2}/one.txt'  [1 of 1]\n`);
    assert.equal((await adminGetObject(b2, 'one.txt')).text, 'alpha');

    r = await s3k(['cp', '-r', `s3://${b}/dir`, `s3://${b2}/r1/`], { env });
    ok(r, 'cp -r dir');
    assert.deepEqual(lines(r.stdout), [
      `remote copy: 's3://${b}/dir/a.txt' -> 's3://${b2}/r1/dir/a.txt'  [1 of 3]`,
      `remote copy: 's3://${b}/dir/b.txt' -> 's3://${b2}/r1/dir/b.txt'  [2 of 3]`,
      `remote copy: 's3://${b}/dir/sub/c.txt' -> 's3://${b2}/r1/dir/sub/c.txt'  [3 of 3]`,
    ]);
    r = await s3k(['cp', '--recursive', `s3://${b}/dir/`, `s3://${b2}/r2/`], { env });
    ok(r, 'cp -r dir/');
    assert.deepEqual(await adminListKeys(b2, 'r2/'), ['r2/a.txt', 'r2/b.txt', 'r2/sub/c.txt']);

    r = await s3k(['cp', `s3://${b}/dir/*.txt`, `s3://${b2}/w/`], { env });
    ok(r, 'cp wildcard');
    // As in s3cmd: no '/' after the wildcard lists one level only
    assert.deepEqual(await adminListKeys(b2, 'w/'), ['w/a.txt', 'w/b.txt']);
    r = await s3k(['cp', `s3://${b}/*/c.txt`, `s3://${b2}/w2/`], { env });
    ok(r, 'cp wildcard with a slash after it');
    // ... a '/' after it lists everything, and '*' crosses '/' (fnmatch)
    assert.equal(r.stdout, `remote copy: 's3://${b}/dir/sub/c.txt' -> 's3://${b2}/w2/dir/sub/c.txt'  [1 of 1]\n`);

    r = await s3k(['cp', `s3://${b}/dir/b.txt`, `s3://${b}/dir/a.txt`, `s3://${b2}/multi/`], { env });
    ok(r, 'cp several');
    assert.deepEqual(lines(r.stdout), [
      `remote copy: 's3://${b}/dir/a.txt' -> 's3://${b2}/multi/a.txt'  [1 of 2]`,
      `remote copy: 's3://${b}/dir/b.txt' -> 's3://${b2}/multi/b.txt'  [2 of 2]`,
    ]);
    assert.equal((await adminGetObject(b2, 'multi/b.txt')).text, 'bravo');
  });

  it('cp into the range it lists (same bucket, destination under the source) copies each object once', async () => {
    const r = await s3k(['cp', '-r', `s3://${b}/dir/`, `s3://${b}/dir/backup/`], { env });
    ok(r, 'cp into itself');
    assert.equal(lines(r.stdout).length, 3);
    assert.deepEqual(await adminListKeys(b, 'dir/backup/'), ['dir/backup/a.txt', 'dir/backup/b.txt', 'dir/backup/sub/c.txt']);
    for (const k of await adminListKeys(b, 'dir/backup/')) await s3Request({ method: 'DELETE', bucket: b, key: k });
  });

  it('cp keeps metadata and the public ACL of the source; --acl-private does not', async () => {
    let r = await s3k(['cp', `s3://${b}/page.html`, `s3://${b2}/page.html`], { env });
    ok(r, 'cp page');
    const anon = await anonGet(b2, 'page.html');
    assert.equal(anon.status, 200, 'the public-read ACL came along');
    assert.equal(anon.headers['content-type'], 'text/html');
    assert.equal(anon.headers['cache-control'], 'max-age=60');
    assert.equal(anon.headers['x-amz-meta-owner'], 'team-a');
    r = await s3k(['cp', '--acl-private', `s3://${b}/page.html`, `s3://${b2}/private.html`], { env });
    ok(r, 'cp private');
    assert.equal((await anonGet(b2, 'private.html')).status, 403);
    assert.equal((await adminGetObject(b2, 'private.html')).text, '<p>hi</p>');
  });

  it('modify: -m, --add-header and --remove-header keep the data and the other metadata', async () => {
    await adminPutObject(b2, 'mod.txt', 'modify me', { 'Content-Type': 'text/plain', 'x-amz-meta-keep': 'yes', 'Content-Disposition': 'inline' });
    const before = await s3Request({ method: 'HEAD', bucket: b2, key: 'mod.txt' });
    const r = await s3k(['modify', '-m', 'text/markdown', '--add-header=x-amz-meta-added:1', '--add-header=Cache-Control:no-store', '--remove-header=Content-Disposition', `s3://${b2}/mod.txt`], { env });
    ok(r, 'modify');
    assert.equal(r.stdout, `modify: 's3://${b2}/mod.txt'  [1 of 1]\n`);
    const h = (await s3Request({ method: 'HEAD', bucket: b2, key: 'mod.txt' })).headers;
    assert.equal(h['content-type'], 'text/markdown');
    assert.equal(h['x-amz-meta-keep'], 'yes');
    assert.equal(h['x-amz-meta-added'], '1');
    assert.equal(h['cache-control'], 'no-store');
    assert.equal(h['content-disposition'], undefined);
    assert.equal(h.etag, before.headers.etag, 'same data');
    assert.equal((await adminGetObject(b2, 'mod.txt')).text, 'modify me');
  });

  it('mv: moves (source gone), -r, and never deletes when source and destination are the same', async () => {
    await adminPutObject(b2, 'm/x.txt', 'x');
    await adminPutObject(b2, 'm/y.txt', 'y');
    let r = await s3k(['mv', `s3://${b2}/m/x.txt`, `s3://${b2}/moved/`], { env });
    ok(r, 'mv');
    assert.equal(r.stdout, `move: 's3://${b2}/m/x.txt' -> 's3://${b2}/moved/x.txt'  [1 of 1]\n`);
    assert.deepEqual(await adminListKeys(b2, 'm/'), ['m/y.txt']);
    r = await s3k(['mv', '-r', `s3://${b2}/m/`, `s3://${b}/from-b2/`], { env });
    ok(r, 'mv -r');
    assert.deepEqual(await adminListKeys(b2, 'm/'), []);
    assert.equal((await adminGetObject(b, 'from-b2/y.txt')).text, 'y');
    r = await s3k(['mv', `s3://${b2}/moved/x.txt`, `s3://${b2}/moved/x.txt`], { env });
    assert.notEqual(r.code, 0, 'moving onto itself is not a success');
    assert.equal((await adminGetObject(b2, 'moved/x.txt')).text, 'x', 'the object survived');
  });

  it("--dry-run prints s3cmd's lines and changes nothing", async () => {
    const r = await s3k(['mv', '-n', '-r', '--exclude', 'b*', `s3://${b}/dir/`, `s3://${b2}/dry/`], { env });
    ok(r, 'dry-run');
    // s3cmd searches the glob anchored at the end only: 'b*' also matches 'sub/c.txt' ('b/c.txt')
    assert.deepEqual(lines(r.stdout), ['exclude: b.txt', 'exclude: sub/c.txt', `move: 's3://${b}/dir/a.txt' -> 's3://${b2}/dry/a.txt'`]);
    assert.equal(r.stderr, 'WARNING: Exiting now because of --dry-run\n');
    assert.deepEqual(await adminListKeys(b2, 'dry/'), []);
    assert.deepEqual(await adminListKeys(b, 'dir/'), ['dir/a.txt', 'dir/b.txt', 'dir/sub/c.txt']);
  });

  it("errors: s3cmd's lines and exit codes", async () => {
    let r = await s3k(['cp', `s3://${b}/nope.txt`, `s3://${b2}/x`], { env });
    assert.equal(r.code, 12);
    assert.equal(r.stderr, `WARNING: Key not found s3://${b}/nope.txt\n`);
    r = await s3k(['cp', `s3://${b}-missing/k`, `s3://${b2}/x`], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `ERROR: Copy failed for: 's3://${b}-missing/k' (404 (NoSuchBucket))\n`);
    r = await s3k(['cp', '-r', `s3://${b}/dir/`, `s3://${b2}/notadir`], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, "ERROR: Parameter problem: Destination must be a directory and end with '/' when acting on a folder content or on multiple sources.\n");
    r = await s3k(['cp', `s3://${b}/dir/`, `s3://${b2}/x/`], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, `ERROR: Parameter problem: Expecting S3 URI with a filename or --recursive: s3://${b}/dir/\n`);
    r = await s3k(['cp', `s3://${b}/dir/a.txt`, path.join(tmp.path, 'local')], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, "ERROR: Parameter problem: Destination must be S3 URI. To download a file use 'get' or 'sync'.\n");
  });
});

describe('signurl and sign', () => {
  const b = uniqueBucket('br-sign');
  const tokenFile = path.join(tmp.path, 'sa-token');
  let roleArn = '';
  let roleCreds: SigningCredentials;
  const roleBucket = uniqueBucket('br-sign-irsa');
  before(async () => {
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    await adminPutObject(b, 'dir/report 1.txt', 'signed content');
    ({ roleArn } = await setupIrsa());
    await writeToken(tokenFile);
  });
  after(async () => {
    await adminDeleteBucket(b);
    roleCreds ??= signingCredentials(await assumeRole(await mintToken(), roleArn));
    await adminDeleteBucket(roleBucket, roleCreds);
  });

  it('static keys and IRSA: the URL works with plain HTTP, carries the session token, and is refused once expired', async () => {
    // static keys
    let r = await s3k(['signurl', `s3://${b}/dir/report 1.txt`, '+600'], { env });
    ok(r, 'signurl');
    const url = r.stdout.trim();
    assert.match(url, new RegExp(`^${labEnv().LAB_ENDPOINT}/${b}/dir/report%201\\.txt\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&`));
    const q = new URL(url).searchParams;
    assert.equal(q.get('X-Amz-Expires'), '600');
    assert.equal(q.get('X-Amz-Security-Token'), null);
    let got = await httpGet(url);
    assert.equal(got.status, 200);
    assert.equal(got.body, 'signed content');
    const tampered = url.replace('report%201.txt', 'report%202.txt');
    assert.equal((await httpGet(tampered)).status, 403, 'the signature covers the key');
    r = await s3k(['signurl', `s3://${b}/dir/report 1.txt`, `${Math.floor(Date.now() / 1000) + 2}`], { env });
    ok(r, 'signurl epoch');
    const shortStatic = r.stdout.trim();

    // IRSA: only the pod's environment
    const pod = irsaEnv(roleArn, tokenFile);
    ok(await s3k(['mb', `s3://${roleBucket}`], { env: pod }), 'mb via IRSA');
    const src = path.join(tmp.path, 'irsa.txt');
    fs.writeFileSync(src, 'irsa content');
    ok(await s3k(['put', src, `s3://${roleBucket}/irsa.txt`], { env: pod }), 'put via IRSA');
    r = await s3k(['signurl', `s3://${roleBucket}/irsa.txt`, '+600'], { env: pod });
    ok(r, 'signurl via IRSA');
    const irsaUrl = r.stdout.trim();
    assert.ok(new URL(irsaUrl).searchParams.get('X-Amz-Security-Token'), 'the session token is in the URL');
    got = await httpGet(irsaUrl);
    assert.equal(got.status, 200, got.body);
    assert.equal(got.body, 'irsa content');
    const noToken = new URL(irsaUrl);
    noToken.searchParams.delete('X-Amz-Security-Token');
    assert.equal((await httpGet(noToken.href)).status, 403, 'without the token the URL does not work');
    r = await s3k(['signurl', `s3://${roleBucket}/irsa.txt`, '+2'], { env: pod });
    ok(r, 'short signurl via IRSA');
    const shortIrsa = r.stdout.trim();
    assert.equal((await httpGet(shortIrsa)).status, 200);

    await sleep(3200);
    assert.equal((await httpGet(shortStatic)).status, 403, 'expired (static)');
    assert.equal((await httpGet(shortIrsa)).status, 403, 'expired (IRSA)');
    assert.equal((await httpGet(url)).status, 200, 'the long one still works');
  });

  it('signurl refuses what SigV4 cannot sign', async () => {
    let r = await s3k(['signurl', `s3://${b}/k`, '+604801'], { env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /^ERROR: Parameter problem: a SigV4 presigned URL is valid for at most 604800 seconds \(7 days\)/);
    r = await s3k(['signurl', `s3://${b}/k`, 'soon'], { env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Unable to convert 'soon' to an epoch time/);
    r = await s3k(['signurl', 'local.txt', '+60'], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'ERROR: Parameter problem: Must be S3Uri. Got: local.txt\n');
  });

  it("sign: base64 HMAC-SHA1 with the secret key, like s3cmd's", async () => {
    const text = 'GET\n\n\n1700000000\n/bucket/key';
    const r = await s3k(['sign', text], { env });
    ok(r, 'sign');
    const expected = crypto.createHmac('sha1', labEnv().LAB_ADMIN_SECRET_KEY).update(text).digest('base64');
    assert.equal(r.stdout, `Signature: ${expected}\n`);
  });
});

describe('multipart, listmp, abortmp', () => {
  const b = uniqueBucket('br-mp');
  let id = '';
  before(async () => {
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    const init = await s3Request({ method: 'POST', bucket: b, key: 'big/file.bin', query: 'uploads=' });
    id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1];
    const part = await s3Request({ method: 'PUT', bucket: b, key: 'big/file.bin', query: `partNumber=1&uploadId=${encodeURIComponent(id)}`, body: 'part one data' });
    assert.equal(part.status, 200, part.text);
  });
  after(() => adminDeleteBucket(b));

  it("lists uploads and parts in s3cmd's tab layout, aborts, and says NoSuchUpload after", async () => {
    let r = await s3k(['multipart', `s3://${b}`], { env });
    ok(r, 'multipart');
    const out = lines(r.stdout);
    assert.equal(out[0], `s3://${b}/`);
    assert.equal(out[1], 'Initiated\tPath\tId');
    assert.equal(out.length, 3);
    assert.match(out[2], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\ts3://${b}/big/file\\.bin\\t${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

    r = await s3k(['listmp', `s3://${b}/big/file.bin`, id], { env });
    ok(r, 'listmp');
    const md5 = crypto.createHash('md5').update('part one data').digest('hex');
    const parts = lines(r.stdout);
    assert.equal(parts[0], 'LastModified\t\t\tPartNumber\tETag\tSize');
    assert.match(parts[1], new RegExp(`^\\S+Z\\t1\\t"${md5}"\\t13$`));

    r = await s3k(['abortmp', `s3://${b}/big/file.bin`, id], { env });
    ok(r, 'abortmp');
    assert.equal(r.stdout, `s3://${b}/big/file.bin\n`);
    r = await s3k(['multipart', `s3://${b}`], { env });
    assert.deepEqual(lines(r.stdout), [`s3://${b}/`, 'Initiated\tPath\tId']);
    r = await s3k(['listmp', `s3://${b}/big/file.bin`, id], { env });
    assert.equal(r.code, 12);
    // RGW says NoSuchKey for an upload id it no longer knows; AWS says NoSuchUpload
    assert.match(r.stderr, /^ERROR: S3 error: 404 \((NoSuchUpload|NoSuchKey)\)\n$/);
  });
});

describe('ACLs', () => {
  const b = uniqueBucket('br-acl');
  before(async () => {
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    await adminPutObject(b, 'd/one.txt', '1');
    await adminPutObject(b, 'd/two.txt', '2');
  });
  after(() => adminDeleteBucket(b));

  it('setacl -P / --acl-private on an object, getacl, and what anonymous readers get', async () => {
    assert.equal((await anonGet(b, 'd/one.txt')).status, 403);
    let r = await s3k(['setacl', '-P', `s3://${b}/d/one.txt`], { env });
    ok(r, 'setacl -P');
    assert.equal(r.stdout, `s3://${b}/d/one.txt: ACL set to Public  [1 of 1]\n`);
    assert.equal((await anonGet(b, 'd/one.txt')).status, 200);
    r = await s3k(['setacl', '-P', '-v', `s3://${b}/d/one.txt`], { env });
    ok(r, 'setacl -P again');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`INFO: s3://${b}/d/one.txt: already Public, skipping \\[1 of 1\\]`));
    r = await s3k(['getacl', `s3://${b}/d/one.txt`], { env });
    ok(r, 'getacl');
    assert.deepEqual(lines(r.stdout), [
      `s3://${b}/d/one.txt (object):`,
      '   Owner:     admin (Nick: admin)',
      '   ACL:       *anon*: READ',
      '   ACL:       admin: FULL_CONTROL',
      `   URL:       ${labEnv().LAB_ENDPOINT}/${b}/d/one.txt`,
    ].sort((x, y) => (x.startsWith('   ACL') && y.startsWith('   ACL') ? 0 : 0)).filter(Boolean));
    r = await s3k(['setacl', '--acl-private', `s3://${b}/d/one.txt`], { env });
    ok(r, 'setacl private');
    assert.equal(r.stdout, `s3://${b}/d/one.txt: ACL set to Private  [1 of 1]\n`);
    assert.equal((await anonGet(b, 'd/one.txt')).status, 403);
  });

  it('-r, wildcards, bucket level, grants and revokes, --dry-run', async () => {
    let r = await s3k(['setacl', '-P', '-r', `s3://${b}/d/`], { env });
    ok(r, 'setacl -r');
    assert.deepEqual(lines(r.stdout), [`s3://${b}/d/one.txt: ACL set to Public  [1 of 2]`, `s3://${b}/d/two.txt: ACL set to Public  [2 of 2]`]);
    assert.equal((await anonGet(b, 'd/two.txt')).status, 200);
    r = await s3k(['setacl', '--acl-private', `s3://${b}/d/t*`], { env });
    ok(r, 'setacl wildcard');
    assert.equal(r.stdout, `s3://${b}/d/two.txt: ACL set to Private  [1 of 1]\n`);
    assert.equal((await anonGet(b, 'd/two.txt')).status, 403);

    r = await s3k(['setacl', '-P', `s3://${b}`], { env });
    ok(r, 'bucket -P');
    assert.equal(r.stdout, `s3://${b}/: ACL set to Public  \n`);
    assert.equal((await anonGet(b)).status, 200, 'anonymous listing allowed');
    r = await s3k(['setacl', '--acl-private', `s3://${b}`], { env });
    ok(r, 'bucket private');
    assert.equal((await anonGet(b)).status, 403);

    r = await s3k(['setacl', '--acl-grant=read:admin', '--acl-grant=write_acp:admin', `s3://${b}/d/two.txt`], { env });
    ok(r, 'grant');
    assert.equal(r.stdout, `s3://${b}/d/two.txt: ACL updated\n`);
    r = await s3k(['setacl', '--acl-grant=read:no-such-user-s3k', `s3://${b}/d/two.txt`], { env });
    assert.equal(r.code, 11, 'RGW refuses an unknown canonical id');
    assert.match(r.stderr, /^ERROR: S3 error: 400 \(InvalidArgument\)/);

    const acl0 = (await s3Request({ bucket: b, key: 'd/one.txt', query: 'acl=' })).text;
    r = await s3k(['setacl', '-n', '--acl-private', '-r', `s3://${b}/d/`], { env });
    ok(r, 'dry-run');
    assert.deepEqual(lines(r.stdout), [`setacl: 's3://${b}/d/one.txt'`, `setacl: 's3://${b}/d/two.txt'`]);
    assert.equal((await s3Request({ bucket: b, key: 'd/one.txt', query: 'acl=' })).text, acl0, 'dry-run changed nothing');
  });

  it('put -P and cp -P make public objects', async () => {
    const f = path.join(tmp.path, 'pub.txt');
    fs.writeFileSync(f, 'public');
    ok(await s3k(['put', '-P', f, `s3://${b}/p/pub.txt`], { env }), 'put -P');
    assert.equal((await anonGet(b, 'p/pub.txt')).status, 200);
    ok(await s3k(['cp', '-P', `s3://${b}/d/two.txt`, `s3://${b}/p/two.txt`], { env }), 'cp -P');
    assert.equal((await anonGet(b, 'p/two.txt')).status, 200);
  });
});

describe('bucket settings', () => {
  const b = uniqueBucket('br-cfg');
  const file = (name: string, text: string) => {
    const p = path.join(tmp.path, name);
    fs.writeFileSync(p, text);
    return p;
  };
  before(async () => {
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    await adminPutObject(b, 'obj.txt', 'tagged');
  });
  after(() => adminDeleteBucket(b));

  it('setpolicy / getpolicy / delpolicy', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/*` }] });
    let r = await s3k(['setpolicy', file('policy.json', policy + '\n'), `s3://${b}`], { env });
    ok(r, 'setpolicy');
    assert.equal(r.stdout, `s3://${b}/: Policy updated\n`);
    assert.equal((await anonGet(b, 'obj.txt')).status, 200, 'the policy is in force');
    r = await s3k(['getpolicy', `s3://${b}`], { env });
    ok(r, 'getpolicy');
    assert.equal(r.stdout, `   Policy:    ${policy}\n`);
    r = await s3k(['delpolicy', `s3://${b}`], { env });
    ok(r, 'delpolicy');
    assert.equal(r.stdout, `s3://${b}/: Policy deleted\n`);
    assert.equal((await anonGet(b, 'obj.txt')).status, 403);
    r = await s3k(['getpolicy', `s3://${b}`], { env });
    assert.equal(r.stdout, '   Policy:    none\n');
    r = await s3k(['setpolicy', path.join(tmp.path, 'missing.json'), `s3://${b}`], { env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /^ERROR: Parameter problem: cannot read policy file '.*missing\.json': no such file\n$/);
  });

  it('setcors / getcors / delcors', async () => {
    const cors = '<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
    let r = await s3k(['setcors', file('cors.xml', cors), `s3://${b}`], { env });
    ok(r, 'setcors');
    assert.equal(r.stdout, `s3://${b}/: CORS updated\n`);
    assert.match((await s3Request({ bucket: b, query: 'cors=' })).text, /<AllowedOrigin>https:\/\/app\.example<\/AllowedOrigin>/);
    r = await s3k(['getcors', `s3://${b}`], { env });
    ok(r, 'getcors');
    assert.match(r.stdout, /^<\?xml version="1\.0" \?>\n<CORSConfiguration[^>]*>\n\t<CORSRule>\n/);
    assert.match(r.stdout, /\t\t<AllowedOrigin>https:\/\/app\.example<\/AllowedOrigin>\n/);
    r = await s3k(['delcors', `s3://${b}`], { env });
    ok(r, 'delcors');
    assert.equal(r.stdout, `s3://${b}/: CORS deleted\n`);
    assert.equal((await s3Request({ bucket: b, query: 'cors=' })).status, 404);
  });

  it('setlifecycle / getlifecycle / dellifecycle, expire, and info shows the rule', async () => {
    const lc = '<LifecycleConfiguration><Rule><ID>r1</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>';
    let r = await s3k(['setlifecycle', file('lc.xml', lc), `s3://${b}`], { env });
    ok(r, 'setlifecycle');
    assert.equal(r.stdout, `s3://${b}/: Lifecycle Policy updated\n`);
    r = await s3k(['getlifecycle', `s3://${b}`], { env });
    ok(r, 'getlifecycle');
    assert.equal(
      r.stdout,
      '<?xml version="1.0" ?>\n<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n\t<Rule>\n\t\t<ID>r1</ID>\n\t\t<Filter>\n\t\t\t<Prefix>logs/</Prefix>\n\t\t</Filter>\n\t\t<Status>Enabled</Status>\n\t\t<Expiration>\n\t\t\t<Days>3</Days>\n\t\t</Expiration>\n\t</Rule>\n</LifecycleConfiguration>\n\n',
    );
    r = await s3k(['dellifecycle', `s3://${b}`], { env });
    ok(r, 'dellifecycle');
    assert.equal(r.stdout, `s3://${b}/: Lifecycle Policy deleted\n`);
    r = await s3k(['getlifecycle', `s3://${b}`], { env });
    assert.equal(r.code, 12);
    assert.equal(r.stderr, 'ERROR: S3 error: 404 (NoSuchLifecycleConfiguration)\n');

    r = await s3k(['expire', '--expiry-days=5', '--expiry-prefix=tmp/', `s3://${b}`], { env });
    ok(r, 'expire');
    assert.equal(r.stdout, `Bucket 's3://${b}/': expiration configuration is set.\n`);
    r = await s3k(['info', `s3://${b}`], { env });
    assert.match(r.stdout, /   Expiration Rule: objects with key prefix 'tmp\/' will expire in '5' day\(s\) after creation\n/);
    r = await s3k(['expire', `s3://${b}`], { env });
    ok(r, 'expire off');
    assert.equal(r.stdout, `Bucket 's3://${b}/': expiration configuration is deleted.\n`);
    assert.equal((await s3Request({ bucket: b, query: 'lifecycle=' })).status, 404);
    r = await s3k(['expire', '--expiry-days=1', '--expiry-date=2030-01-01', `s3://${b}`], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'ERROR: Parameter problem: Expect either --expiry-day or --expiry-date\n');
  });

  it('settagging / gettagging / deltagging on a bucket and an object', async () => {
    let r = await s3k(['settagging', `s3://${b}/obj.txt`, 'team=a&note=two words'], { env });
    ok(r, 'settagging object');
    assert.equal(r.stdout, `s3://${b}/obj.txt: Tagging updated\n`);
    assert.match((await s3Request({ bucket: b, key: 'obj.txt', query: 'tagging=' })).text, /<Key>note<\/Key><Value>two words<\/Value>/);
    r = await s3k(['gettagging', `s3://${b}/obj.txt`], { env });
    ok(r, 'gettagging object');
    const got = lines(r.stdout);
    assert.equal(got[0], `s3://${b}/obj.txt (object):`);
    assert.deepEqual(got.slice(1).sort(), ['\tnote:\ttwo words', '\tteam:\ta']);
    r = await s3k(['deltagging', `s3://${b}/obj.txt`], { env });
    ok(r, 'deltagging object');
    assert.equal(r.stdout, `s3://${b}/obj.txt: Tagging deleted\n`);
    r = await s3k(['settagging', `s3://${b}`, 'env=test'], { env });
    ok(r, 'settagging bucket');
    r = await s3k(['gettagging', `s3://${b}`], { env });
    assert.equal(r.stdout, `s3://${b}/ (bucket):\n\tenv:\ttest\n`);
    ok(await s3k(['deltagging', `s3://${b}`], { env }), 'deltagging bucket');
    r = await s3k(['settagging', `s3://${b}`, '=x'], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'ERROR: Parameter problem: Tag key should not be empty\n');
  });

  it('setversioning and payer (--requester-pays), checked on the server', async (t) => {
    const b = uniqueBucket('br-ver'); // versioned buckets need their versions deleted: keep it empty
    ok(await s3k(['mb', `s3://${b}`], { env }), 'mb');
    t.after(() => adminDeleteBucket(b));
    let r = await s3k(['setversioning', `s3://${b}`, 'enable'], { env });
    ok(r, 'setversioning');
    assert.equal(r.stdout, `s3://${b}/: Versioning status updated\n`);
    assert.match((await s3Request({ bucket: b, query: 'versioning=' })).text, /<Status>Enabled<\/Status>/);
    ok(await s3k(['setversioning', `s3://${b}`, 'disable'], { env }), 'disable');
    assert.match((await s3Request({ bucket: b, query: 'versioning=' })).text, /<Status>Suspended<\/Status>/);
    r = await s3k(['setversioning', `s3://${b}`, 'on'], { env });
    assert.equal(r.code, 64);
    assert.equal(r.stderr, "ERROR: Parameter problem: Must be 'enable' or 'disable'. Got: on\n");

    r = await s3k(['payer', '--requester-pays', `s3://${b}`], { env });
    ok(r, 'payer requester');
    assert.equal(r.stdout, `s3://${b}/: Payer updated\n`);
    assert.match((await s3Request({ bucket: b, query: 'requestPayment=' })).text, /<Payer>Requester<\/Payer>/);
    ok(await s3k(['payer', `s3://${b}`], { env }), 'payer owner');
    assert.match((await s3Request({ bucket: b, query: 'requestPayment=' })).text, /<Payer>BucketOwner<\/Payer>/);
  });

  it('restore: the request reaches RGW, which has no Glacier (501, exit 11, one line)', async () => {
    const r = await s3k(['restore', '--max-retries=0', '-D', '2', '--restore-priority=bulk', `s3://${b}/obj.txt`], { env });
    assert.equal(r.code, 11);
    assert.equal(r.stderr, 'ERROR: S3 error: 501 (NotImplemented)\n');
    const d = await s3k(['restore', '-n', `s3://${b}/obj.txt`], { env });
    ok(d, 'restore dry-run');
    assert.equal(d.stdout, `restore: 's3://${b}/obj.txt'\n`);
  });

  it('CloudFront commands say plainly they are not supported; website commands fail cleanly on this RGW', async () => {
    for (const args of [['cflist'], ['cfinfo'], ['cfcreate', `s3://${b}`], ['cfinvalinfo', 'cf://E123']]) {
      const r = await s3k(args, { env });
      assert.equal(r.code, 64, args[0]);
      assert.match(r.stderr, /^ERROR: CloudFront is not supported by s3k: it manages S3 \(and S3-compatible\) storage only\./);
      noStack(r);
    }
    const r = await s3k(['ws-info', `s3://${b}`], { env });
    assert.ok(r.code === 0 || r.code === 11, `ws-info exit ${r.code}: ${r.stderr}`);
    assert.ok(r.stderr === '' || lines(r.stderr).length === 1, r.stderr);
    noStack(r);
  });
});

describe('--configure and --dump-config', () => {
  it('--configure with piped answers tests access and writes the config mode 0600; s3k then uses it', async () => {
    const e = labEnv();
    const home = path.join(tmp.path, 'home-configure');
    fs.mkdirSync(home);
    const cfg = path.join(home, '.s3cfg'); // the default place: ~/.s3cfg
    const answers = [e.LAB_ADMIN_ACCESS_KEY, e.LAB_ADMIN_SECRET_KEY, 'US', labHostPort(), labHostPort(), '', '', 'No', '', 'Y', 'y'].join('\n') + '\n';
    const r = await s3k(['--configure'], { input: answers, env: { HOME: home } });
    ok(r, 'configure');
    assert.match(r.stdout, /Test access with supplied credentials\? \[Y\/n\] Please wait, attempting to list all buckets\.\.\.\nSuccess\. Your access key and secret key worked fine :-\)\n/);
    assert.match(r.stdout, new RegExp(`Configuration saved to '${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'\n$`));
    assert.doesNotMatch(r.stdout, /Secret Key \[/, 'no secret shown as a default');
    assert.equal(fs.statSync(cfg).mode & 0o777, 0o600);
    const text = fs.readFileSync(cfg, 'utf8');
    assert.match(text, /^\[default\]\n/);
    assert.match(text, new RegExp(`\nhost_base = ${labHostPort()}\n`));
    assert.match(text, /\nuse_https = False\n/);
    const ls = await s3k(['ls'], { env: { HOME: home } });
    ok(ls, 'ls with the configured ~/.s3cfg');

    const d = await s3k(['-c', cfg, '--dump-config', '--multipart-chunk-size-mb=32']);
    ok(d, 'dump-config');
    assert.match(d.stdout, /\nmultipart_chunk_size_mb = 32\n/);
    assert.match(d.stdout, new RegExp(`\naccess_key = ${e.LAB_ADMIN_ACCESS_KEY}\n`));
  });

  it('--configure: a failed test offers a retry, EOF aborts without writing', async () => {
    const cfg = path.join(tmp.path, 'aborted.s3cfg');
    const answers = ['AKIAWRONGWRONGWRONG', 'wrong-secret', 'US', labHostPort(), labHostPort(), '', '', 'No', '', 'Y', 'n', 'n'].join('\n') + '\n';
    const r = await s3k(['--configure', '-c', cfg], { input: answers });
    ok(r, 'configure abort');
    assert.match(r.stderr, /^ERROR: Test failed: 403 \((AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch)\)/);
    assert.match(r.stdout, /Retry configuration\? \[Y\/n\] \nSave settings\? \[y\/N\] Retry configuration\? \[Y\/n\] \nConfiguration aborted\. Changes were NOT saved\.\n$/);
    assert.equal(fs.existsSync(cfg), false);
  });
});

after(() => tmp.cleanup());
void writeS3cfg;
