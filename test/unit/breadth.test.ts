// Breadth commands, pure logic and wire formats: SigV4 presigning and s3cmd's sign (published AWS
// vectors), ACL parsing/editing, minidom-style pretty XML (checked against Python's minidom),
// option parsing, and request formats that the lab's RGW cannot exercise (Glacier restore, multipart
// copy above 5 GiB) against a recording server on 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { presignUrl, signStringV2, MAX_PRESIGN_SECONDS } from '../../src/s3/presign.ts';
import { parseAcl, aclToXml, grant, revoke, grantAnonRead, revokeAnon, isAnonRead, isAnonWrite, grantList, isOwnerOnly } from '../../src/s3/acl.ts';
import { prettyXml } from '../../src/s3/pretty-xml.ts';
import { restoreObject, rootElement, expirationXml, taggingXml, parseTagging } from '../../src/s3/subresources.ts';
import { s3acl } from '../../src/cli/options.ts';
import { parseExpiry } from '../../src/commands/signurl.ts';
import { parseTagSet } from '../../src/commands/bucket-config.ts';
import { restoreTier } from '../../src/commands/restore.ts';
import { copyOne, copyHeaders } from '../../src/commands/cp.ts';
import { configValues, formatConfig, S3CMD_DEFAULTS } from '../../src/commands/configure.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { createContext } from '../../src/commands/context.ts';
import { S3Client } from '../../src/s3/client.ts';
import { ParameterError } from '../../src/cli/exit-codes.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

const AWS_DOC_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('presigned URLs (SigV4) and sign (SigV2)', () => {
  it('matches the AWS documentation example (GET examplebucket/test.txt, 86400 s)', () => {
    const url = presignUrl({
      protocol: 'https:',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      region: 'us-east-1',
      ...AWS_DOC_KEY,
      expiresIn: 86400,
      now: new Date('2013-05-24T00:00:00Z'),
    });
    const u = new URL(url);
    assert.equal(u.origin + u.pathname, 'https://examplebucket.s3.amazonaws.com/test.txt');
    assert.equal(u.searchParams.get('X-Amz-Signature'), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    assert.equal(u.searchParams.get('X-Amz-Credential'), 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
    assert.equal(u.searchParams.get('X-Amz-Expires'), '86400');
    assert.equal(u.searchParams.get('X-Amz-SignedHeaders'), 'host');
    assert.equal(u.searchParams.get('X-Amz-Security-Token'), null);
  });

  it('carries the session token and signs it (a different token gives a different signature)', () => {
    const base = { protocol: 'http:', host: '127.0.0.1:7480', path: '/b/a%20b.txt', region: 'us-east-1', ...AWS_DOC_KEY, expiresIn: 60, now: new Date('2026-01-01T00:00:00Z') };
    const a = new URL(presignUrl({ ...base, sessionToken: 'token/with+chars=' }));
    const b = new URL(presignUrl({ ...base, sessionToken: 'another-token' }));
    assert.equal(a.searchParams.get('X-Amz-Security-Token'), 'token/with+chars=');
    assert.match(a.search, /X-Amz-Security-Token=token%2Fwith%2Bchars%3D/);
    assert.notEqual(a.searchParams.get('X-Amz-Signature'), b.searchParams.get('X-Amz-Signature'));
    assert.equal(a.pathname, '/b/a%20b.txt');
  });

  it('refuses expiries SigV4 cannot express', () => {
    const base = { protocol: 'http:', host: 'h', path: '/b/k', region: 'us-east-1', ...AWS_DOC_KEY };
    assert.throws(() => presignUrl({ ...base, expiresIn: MAX_PRESIGN_SECONDS + 1 }), RangeError);
    assert.throws(() => presignUrl({ ...base, expiresIn: 0 }), RangeError);
    assert.doesNotThrow(() => presignUrl({ ...base, expiresIn: MAX_PRESIGN_SECONDS }));
  });

  it('sign: the AWS SigV2 documentation example', () => {
    const sts = 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg';
    assert.equal(signStringV2(AWS_DOC_KEY.secretAccessKey, sts), 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  });

  it('expiry: +seconds, epoch, and a clear error otherwise', () => {
    assert.equal(parseExpiry('+60', 1_000_000_000_500), 1_000_000_060);
    assert.equal(parseExpiry('1800000000', 0), 1800000000);
    assert.throws(() => parseExpiry('tomorrow', 0), (e: Error) => e instanceof ParameterError && /Unable to convert 'tomorrow' to an epoch time/.test(e.message));
  });
});

const OWNER_ACL = `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>12345</ID><DisplayName>owner-nick</DisplayName></Owner>
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>12345</ID><DisplayName>owner-nick</DisplayName></Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>`;

describe('ACL', () => {
  it('parses leniently: namespace prefixes, no xsi:type, groups, e-mail grantees', () => {
    const xml = `<s3:AccessControlPolicy xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Owner><s3:ID>o1</s3:ID></s3:Owner><s3:AccessControlList>
      <s3:Grant><s3:Grantee><s3:ID>o1</s3:ID></s3:Grantee><s3:Permission>FULL_CONTROL</s3:Permission></s3:Grant>
      <s3:Grant><s3:Grantee><s3:URI>http://acs.amazonaws.com/groups/global/AllUsers</s3:URI></s3:Grantee><s3:Permission>read</s3:Permission></s3:Grant>
      <s3:Grant><s3:Grantee><s3:EmailAddress>a@b.example</s3:EmailAddress></s3:Grantee><s3:Permission>WRITE</s3:Permission></s3:Grant>
    </s3:AccessControlList></s3:AccessControlPolicy>`;
    const acl = parseAcl(xml);
    assert.equal(acl.ownerId, 'o1');
    assert.deepEqual(acl.grants.map((g) => [g.type, g.name, g.permission]), [
      ['CanonicalUser', 'o1', 'FULL_CONTROL'],
      ['Group', 'http://acs.amazonaws.com/groups/global/AllUsers', 'READ'],
      ['AmazonCustomerByEmail', 'a@b.example', 'WRITE'],
    ]);
    assert.ok(isAnonRead(acl));
    assert.ok(!isAnonWrite(acl));
    assert.ok(!isOwnerOnly(acl));
    assert.deepEqual(grantList(acl).map((g) => g.grantee), ['o1', '*anon*', 'a@b.example']);
  });

  it('-P / --acl-private / grants and revokes follow s3cmd (ALL = FULL_CONTROL, revoke wins)', () => {
    const acl = parseAcl(OWNER_ACL);
    assert.ok(isOwnerOnly(acl));
    assert.deepEqual(grantList(acl), [{ grantee: 'owner-nick', permission: 'FULL_CONTROL' }]);
    grantAnonRead(acl);
    grantAnonRead(acl);
    assert.equal(acl.grants.filter((g) => g.type === 'Group').length, 1, 'public read granted once');
    grant(acl, 'User-X', 'read');
    grant(acl, 'user-x', 'READ'); // already there (case-insensitive)
    grant(acl, 'Friend@Example.com', 'write');
    grant(acl, 'user-y', 'read');
    grant(acl, 'user-y', 'all'); // replaces user-y's READ with FULL_CONTROL
    assert.deepEqual(acl.grants.slice(1).map((g) => [g.type, g.name, g.permission]), [
      ['Group', 'http://acs.amazonaws.com/groups/global/AllUsers', 'READ'],
      ['CanonicalUser', 'user-x', 'READ'],
      ['AmazonCustomerByEmail', 'friend@example.com', 'WRITE'],
      ['CanonicalUser', 'user-y', 'FULL_CONTROL'],
    ]);
    revoke(acl, 'USER-X', 'read');
    revoke(acl, 'owner-nick', 'write'); // by display name, a permission the owner does not have: no change
    revoke(acl, 'user-y', 'all');
    revokeAnon(acl);
    assert.deepEqual(acl.grants.map((g) => g.name), ['12345', 'friend@example.com']);
    const back = parseAcl(aclToXml(acl));
    assert.deepEqual(back.grants.map((g) => [g.type, g.name, g.permission]), acl.grants.map((g) => [g.type, g.name, g.permission]));
    assert.match(aclToXml(acl), /xsi:type="AmazonCustomerByEmail"><EmailAddress>friend@example.com<\/EmailAddress>/);
  });

  it('--acl-grant / --acl-revoke values', () => {
    assert.deepEqual(s3acl.parse('read:someone@example.com'), { name: 'someone@example.com', permission: 'READ' });
    assert.deepEqual(s3acl.parse('FULL_CONTROL:abc:def'), { name: 'abc:def', permission: 'FULL_CONTROL' });
    assert.throws(() => s3acl.parse('readme'), /invalid S3 ACL format/);
    assert.throws(() => s3acl.parse('rwx:abc'), /invalid S3 ACL permission: rwx/);
  });
});

describe('options for the breadth commands', () => {
  /** Settings from command-line values and a config file with these lines. */
  const settingsWith = (values: Record<string, string | boolean | string[]>, cfgLines: string[] = []) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-breadth-'));
    try {
      fs.writeFileSync(path.join(dir, 's3cfg'), ['[default]', ...cfgLines, ''].join('\n'));
      return resolveSettings({ ...values, config: path.join(dir, 's3cfg') }, { HOME: '/nonexistent' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  it('ACL tri-state: -P, --acl-private, the config file, or neither', () => {
    assert.equal(settingsWith({}).aclPublic, undefined);
    assert.equal(settingsWith({ 'acl-public': true }, ['acl_public = False']).aclPublic, true);
    assert.equal(settingsWith({ 'acl-private': true }).aclPublic, false);
    assert.equal(settingsWith({}, ['acl_public = True']).aclPublic, true);
    assert.equal(settingsWith({}, ['acl_public = None']).aclPublic, undefined);
  });
  it('--add-header / --remove-header, restore and expiry settings', () => {
    const x = settingsWith({ 'add-header': ['Cache-Control: max-age=60', 'x-amz-meta-A:b:c'], 'remove-header': ['Content-Disposition'], 'restore-days': '3', 'restore-priority': 'bulk' }, ['expiry_prefix = logs/']);
    assert.deepEqual(x.extraHeaders, { 'cache-control': 'max-age=60', 'x-amz-meta-a': 'b:c' });
    assert.deepEqual(x.removeHeaders, ['content-disposition']);
    assert.equal(x.restoreDays, 3);
    assert.equal(x.expiryPrefix, 'logs/');
    assert.equal(restoreTier(x.restorePriority), 'Bulk');
    assert.throws(() => restoreTier('fast'), /Valid restoration priorities: bulk, standard, expedited/);
    assert.throws(() => settingsWith({ 'add-header': ['No Colon'] }), /Invalid header format/);
    assert.throws(() => settingsWith({ 'add-header': ['Bad Name:x'] }), /Invalid character\(s\) in header name 'Bad Name': "<space>"/);
  });
  it('tag sets as s3cmd splits them', () => {
    assert.deepEqual(parseTagSet('a=1&b=two words&c=&d'), [['a', '1'], ['b', 'two words'], ['c', ''], ['d', '']]);
    assert.deepEqual(parseTagSet('k=v=w'), [['k', 'v=w']]);
    assert.throws(() => parseTagSet('=x'), /Tag key should not be empty/);
    assert.deepEqual(parseTagging(Buffer.from(taggingXml([['a&b', '<1>']]))), [['a&b', '<1>']]);
  });
  it('expire builds one rule with a prefix filter', () => {
    assert.equal(
      expirationXml({ prefix: 'tmp/', days: '5' }),
      '<LifecycleConfiguration><Rule><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>5</Days></Expiration></Rule></LifecycleConfiguration>',
    );
    assert.match(expirationXml({ prefix: '', date: '2030-01-01T00:00:00.000Z' }), /<Expiration><Date>2030-01-01T00:00:00.000Z<\/Date><\/Expiration>/);
  });
  it('root element of an answer (a server ignoring ?sub answers with a listing)', () => {
    assert.equal(rootElement('<?xml version="1.0"?>\n<!-- x --><LifecycleConfiguration xmlns="x"/>'), 'LifecycleConfiguration');
    assert.equal(rootElement('<s3:Tagging xmlns:s3="x"><s3:TagSet/></s3:Tagging>'), 'Tagging');
    assert.equal(rootElement('plain object data'), '');
  });
});

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import xml.dom.minidom'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('pretty XML like s3cmd (xml.dom.minidom toprettyxml)', () => {
  const docs = [
    '<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>r1</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>',
    '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedHeader/><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule><!-- note --></CORSConfiguration>',
    '<A b="1" c=\'&quot;x&amp;\'><B>a &amp; b &lt;c&gt; "q"</B><C>\n  <D>t</D>\n</C></A>',
  ];
  it('matches Python minidom byte for byte', { skip: hasPython() ? false : 'python3 is not installed' }, () => {
    for (const d of docs) {
      const expected = execFileSync('python3', ['-c', 'import sys, xml.dom.minidom as m; sys.stdout.write(m.parseString(sys.stdin.read()).toprettyxml())'], { input: d, encoding: 'utf8' });
      assert.equal(prettyXml(d), expected, d);
    }
  });
  it('returns unparseable input unchanged', () => {
    assert.equal(prettyXml('<a><b></a>'), '<a><b></a>');
  });
});

// ------------------------------------------------------------------ recording S3 server
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function recordingServer(handler: (req: Seen, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function ctxFor(url: string, extra: Record<string, string | boolean | string[]> = {}) {
  const env = { HOME: '/nonexistent', AWS_ACCESS_KEY_ID: AWS_DOC_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_DOC_KEY.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
  const settings = resolveSettings({ host: url.replace('http://', ''), 'no-ssl': true, 'max-retries': '0', ...extra }, env);
  return createContext(settings, env);
}

describe('restore request format (RGW answers 501)', () => {
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  before(async () => {
    srv = await recordingServer((_req, res) => {
      res.writeHead(202);
      res.end();
    });
  });
  after(() => srv.close());

  it('POST ?restore with Days and Tier, Content-MD5, signed', async () => {
    const c = ctxFor(srv.url).s3();
    assert.ok(c instanceof S3Client);
    const status = await restoreObject(c, 'glacier-bucket', 'dir/old file.tar', 7, 'Bulk');
    assert.equal(status, 202);
    const r = srv.seen.at(-1)!;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/glacier-bucket/dir/old%20file.tar?restore=');
    assert.equal(
      r.body,
      '<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>7</Days><GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>',
    );
    assert.equal(r.headers['content-md5'], createHash('md5').update(r.body).digest('base64'));
    assert.match(String(r.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[^,]*content-md5/);
  });
});

describe('cp/mv above 5 GiB: multipart copy that keeps every header', () => {
  const SIZE = 6 * 1024 ** 3 + 12345;
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  before(async () => {
    srv = await recordingServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      if (req.method === 'GET' && u.searchParams.has('acl')) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(OWNER_ACL);
      } else if (req.method === 'HEAD') {
        res.writeHead(200, {
          'content-length': String(SIZE),
          'content-type': 'video/mp4',
          'cache-control': 'max-age=3600',
          'content-disposition': 'attachment; filename="big.mp4"',
          'x-amz-meta-owner': 'team-a',
          'x-amz-storage-class': 'STANDARD_IA',
          etag: '"0123456789abcdef0123456789abcdef-400"',
          'last-modified': 'Sat, 28 Nov 2026 20:05:00 GMT',
          'x-amz-request-id': 'req-1',
          'x-rgw-object-type': 'Normal',
        });
        res.end();
      } else if (req.method === 'POST' && u.searchParams.has('uploads')) {
        res.writeHead(200);
        res.end('<InitiateMultipartUploadResult><Bucket>dst</Bucket><Key>k</Key><UploadId>UP1</UploadId></InitiateMultipartUploadResult>');
      } else if (req.method === 'PUT' && u.searchParams.has('partNumber')) {
        res.writeHead(200);
        res.end(`<CopyPartResult><ETag>"etag-${u.searchParams.get('partNumber')}"</ETag></CopyPartResult>`);
      } else if (req.method === 'POST' && u.searchParams.has('uploadId')) {
        res.writeHead(200);
        res.end('<CompleteMultipartUploadResult><ETag>"final-3"</ETag></CompleteMultipartUploadResult>');
      } else if (req.method === 'DELETE') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(400);
        res.end('<Error><Code>Unexpected</Code></Error>');
      }
    });
  });
  after(() => srv.close());

  it('mv: HEAD, CreateMultipartUpload with the source headers, contiguous UploadPartCopy ranges, Complete, then DELETE', async () => {
    const ctx = ctxFor(srv.url);
    await copyOne(ctx, 'move', { src: { bucket: 'src', key: 'videos/big.mp4', relative: 'big.mp4', size: SIZE }, dst: { bucket: 'dst', key: 'archive/big.mp4' } });
    const create = srv.seen.find((r) => r.method === 'POST' && r.url.includes('uploads'))!;
    assert.ok(create, 'a multipart upload was started');
    assert.equal(create.url, '/dst/archive/big.mp4?uploads=');
    assert.equal(create.headers['content-type'], 'video/mp4');
    assert.equal(create.headers['cache-control'], 'max-age=3600');
    assert.equal(create.headers['content-disposition'], 'attachment; filename="big.mp4"');
    assert.equal(create.headers['x-amz-meta-owner'], 'team-a');
    assert.equal(create.headers['x-amz-storage-class'], 'STANDARD_IA', 'the storage class is kept');
    assert.equal(create.headers['x-amz-request-id'], undefined, "the server's own headers are not sent back");
    const parts = srv.seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber'));
    assert.ok(parts.length >= 2);
    const ranges = parts
      .map((p) => {
        assert.equal(p.headers['x-amz-copy-source'], '/src/videos/big.mp4');
        const m = /^bytes=(\d+)-(\d+)$/.exec(String(p.headers['x-amz-copy-source-range']))!;
        return { n: Number(new URL(p.url, 'http://x').searchParams.get('partNumber')), start: Number(m[1]), end: Number(m[2]) };
      })
      .sort((a, b) => a.n - b.n);
    assert.equal(ranges[0].start, 0);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i].start, ranges[i - 1].end + 1, 'ranges are contiguous');
    assert.equal(ranges.at(-1)!.end, SIZE - 1, 'the last range ends at the last byte');
    const complete = srv.seen.find((r) => r.method === 'POST' && r.url.includes('uploadId=UP1'))!;
    assert.equal((complete.body.match(/<Part>/g) ?? []).length, ranges.length);
    const del = srv.seen.filter((r) => r.method === 'DELETE');
    assert.deepEqual(del.map((d) => d.url), ['/src/videos/big.mp4'], 'the source is deleted after the copy');
    assert.ok(srv.seen.indexOf(del[0]) > srv.seen.indexOf(complete), 'delete comes after complete');
    assert.ok(!srv.seen.some((r) => r.method === 'PUT' && r.url.includes('acl')), 'an owner-only ACL is not re-sent');
  });

  it('copy headers: --add-header, -m and --remove-header on top of the source headers', () => {
    const ctx = ctxFor(srv.url, { 'mime-type': 'text/plain', 'add-header': ['x-amz-meta-new:1', 'Cache-Control:no-cache'], 'remove-header': ['content-disposition'] });
    const h = copyHeaders(ctx, {
      size: 1,
      lastModified: new Date(0),
      etag: '',
      contentType: 'video/mp4',
      storageClass: 'STANDARD',
      metadata: {},
      headers: { 'content-type': 'video/mp4', 'content-disposition': 'inline', 'x-amz-meta-old': 'o', 'x-amz-storage-class': 'STANDARD', date: 'now' },
    });
    assert.deepEqual(h, { 'Content-Type': 'text/plain', 'x-amz-meta-old': 'o', 'x-amz-meta-new': '1', 'cache-control': 'no-cache' });
  });
});

describe('--dump-config values', () => {
  it("uses s3cmd's keys and s3k's resolved settings", () => {
    const env = { HOME: '/nonexistent' };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-dump-'));
    const cfg = path.join(dir, 's3cfg');
    fs.writeFileSync(cfg, '[default]\ncustom_key = kept\ngpg_command = /usr/bin/gpg\n');
    const values = { config: cfg, host: '127.0.0.1:9000', 'no-ssl': true, 'multipart-chunk-size-mb': '64', 'acl-public': true, region: 'eu-west-1' };
    const s = resolveSettings(values, env);
    fs.rmSync(dir, { recursive: true, force: true });
    const v = configValues(s);
    assert.equal(v.host_base, '127.0.0.1:9000');
    assert.equal(v.use_https, 'False');
    assert.equal(v.multipart_chunk_size_mb, '64');
    assert.equal(v.acl_public, 'True');
    assert.equal(v.bucket_location, 'eu-west-1');
    assert.equal(v.custom_key, 'kept');
    assert.equal(v.gpg_command, '/usr/bin/gpg');
    const text = formatConfig(v);
    assert.ok(text.startsWith('[default]\naccess_key = \n'));
    const keys = text.trim().split('\n').slice(1).map((l) => l.split(' = ')[0]);
    assert.deepEqual(keys, [...keys].sort());
    for (const k of Object.keys(S3CMD_DEFAULTS)) assert.ok(keys.includes(k), k);
  });
});
