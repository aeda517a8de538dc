// The SigV2 signer against the examples AWS publishes in "Signing and authenticating REST requests
// (AWS signature version 2)". The published signatures were computed for the bucket `johnsmith`
// (later copies of the page renamed the bucket in the text but kept the signatures), so that name
// is used here. Then: what s3k adds on its own (x-amz-date, session token), the presigned URL in
// s3cmd's form, redaction, and the client hook against a local server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signV2, stringToSignV2, signatureV2, canonicalResourceV2, canonicalAmzHeaders, httpDate } from '../../src/s3/sigv2.ts';
import { presignUrlV2 } from '../../src/s3/presign.ts';
import { redact } from '../../src/cli/redact.ts';
import { S3Client } from '../../src/s3/client.ts';
import { closeH1Pools } from '../../src/net/h1.ts';

const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const auth = (sig: string) => `AWS AKIAIOSFODNN7EXAMPLE:${sig}`;

describe('SigV2 signer (AWS examples)', () => {
  it('Object GET (virtual-host style: the bucket comes from the Host header)', () => {
    const headers: Record<string, string> = { Date: 'Tue, 27 Mar 2007 19:36:42 +0000' };
    const sts = signV2({ method: 'GET', hostBucket: 'johnsmith', path: '/photos/puppy.jpg', query: [], headers }, creds);
    assert.equal(sts, 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
    assert.equal(headers.Authorization, auth('bWq2s1WEIj+Ydj0vQ697zp+IXMU='));
    assert.equal(headers['X-Amz-Date'], undefined, 'a Date header given by the caller is used as is');
  });

  it('Object PUT (Content-Type signed, Content-MD5 absent, Content-Length not signed)', () => {
    const headers: Record<string, string> = { 'Content-Type': 'image/jpeg', 'Content-Length': '94328', Date: 'Tue, 27 Mar 2007 21:15:45 +0000' };
    const sts = signV2({ method: 'PUT', hostBucket: 'johnsmith', path: '/photos/puppy.jpg', query: [], headers }, creds);
    assert.equal(sts, 'PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg');
    assert.equal(headers.Authorization, auth('MyyxeRY7whkBe+bq8fHCL/2kKUg='));
  });

  it('List (query parameters that are not sub-resources stay out; trailing slash kept)', () => {
    const headers: Record<string, string> = { 'User-Agent': 'Mozilla/5.0', Date: 'Tue, 27 Mar 2007 19:42:41 +0000' };
    const query: [string, string][] = [['prefix', 'photos'], ['max-keys', '50'], ['marker', 'puppy']];
    const sts = signV2({ method: 'GET', hostBucket: 'johnsmith', path: '/', query, headers }, creds);
    assert.equal(sts, 'GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/');
    assert.equal(headers.Authorization, auth('htDYFYduRNen8P9ZfE/s9SuKy0U='));
  });

  it('Fetch the ?acl sub-resource', () => {
    const headers: Record<string, string> = { Date: 'Tue, 27 Mar 2007 19:44:46 +0000' };
    const sts = signV2({ method: 'GET', hostBucket: 'johnsmith', path: '/', query: [['acl', '']], headers }, creds);
    assert.equal(sts, 'GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl');
    assert.equal(headers.Authorization, auth('c2WLPFtWHVgbEmeEG93a4cG37dM='));
  });

  it('Upload with metadata (x-amz-* lower-cased, sorted, repeated names joined; Content-MD5 signed)', () => {
    const headers: Record<string, string> = {
      'User-Agent': 'curl/7.15.5',
      Date: 'Tue, 27 Mar 2007 21:06:08 +0000',
      'x-amz-acl': 'public-read',
      'content-type': 'application/x-download',
      'Content-MD5': '4gJE4saaMU4BqNR0kLY+lw==',
      'X-Amz-Meta-ReviewedBy': 'joe@johnsmith.net',
      'x-amz-meta-reviewedby': 'jane@johnsmith.net',
      'X-Amz-Meta-FileChecksum': '0x02661779',
      'X-Amz-Meta-ChecksumAlgorithm': ' crc32 ',
      'Content-Disposition': 'attachment; filename=database.dat',
      'Content-Encoding': 'gzip',
      'Content-Length': '5913339',
    };
    const sts = signV2({ method: 'PUT', hostBucket: 'static.johnsmith.net', path: '/db-backup.dat.gz', query: [], headers }, creds);
    assert.equal(
      sts,
      'PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n' +
        'x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n' +
        'x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz',
    );
    assert.equal(headers.Authorization, auth('ilyl83RwaSoYIEdixDQcA4OnAnc='));
  });

  it('List all my buckets (no bucket: resource "/")', () => {
    const headers: Record<string, string> = { Date: 'Wed, 28 Mar 2007 01:29:59 +0000' };
    signV2({ method: 'GET', path: '/', query: [], headers }, creds);
    assert.equal(headers.Authorization, auth('qGdzdERIC03wnaRNKh6OqZehG9s='));
  });

  it('Unicode keys, path style (the request URI is signed literally, encoding and case kept)', () => {
    const headers: Record<string, string> = { Date: 'Wed, 28 Mar 2007 01:49:49 +0000' };
    const sts = signV2({ method: 'GET', path: '/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re', query: [], headers }, creds);
    assert.equal(sts, 'GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re');
    assert.equal(headers.Authorization, auth('DNEZGsoieTZ92F3bUfSPQcbGmlM='));
  });

  it('Query string authentication (presigned URL)', () => {
    const url = presignUrlV2({ protocol: 'https:', host: 'johnsmith.s3.amazonaws.com', hostBucket: 'johnsmith', path: '/photos/puppy.jpg', ...creds, expires: 1175139620 });
    assert.equal(url, 'https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D');
  });
});

describe('SigV2 signer: what s3k sends', () => {
  const now = new Date('2007-03-27T21:20:26Z');

  it('dates the request with x-amz-date (as s3cmd does): the Date position stays empty', () => {
    const headers: Record<string, string> = {};
    const sts = signV2({ method: 'DELETE', path: '/johnsmith/photos/puppy.jpg', query: [], headers, now }, creds);
    assert.equal(headers['X-Amz-Date'], 'Tue, 27 Mar 2007 21:20:26 +0000');
    assert.equal(sts, 'DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg');
    assert.equal(headers.Authorization, auth(signatureV2(creds.secretAccessKey, sts)));
    assert.equal(httpDate(new Date('2024-01-05T03:04:05Z')), 'Fri, 05 Jan 2024 03:04:05 +0000');
  });

  it('path style and virtual-host style sign the same resource', () => {
    const a: Record<string, string> = {};
    const b: Record<string, string> = {};
    signV2({ method: 'GET', path: '/johnsmith/a%20b', query: [['versionId', 'v1']], headers: a, now }, creds);
    signV2({ method: 'GET', hostBucket: 'johnsmith', path: '/a%20b', query: [['versionId', 'v1']], headers: b, now }, creds);
    assert.equal(a.Authorization, b.Authorization);
  });

  it('temporary credentials: x-amz-security-token is sent and signed; no payload hash header', () => {
    const headers: Record<string, string> = { 'Content-Length': '3', 'Content-MD5': 'rL0Y20zC+Fzt72VPzMSk2A==' };
    const sts = signV2({ method: 'PUT', path: '/b/k', query: [], headers, now }, { ...creds, sessionToken: 'TOKEN/+=' });
    assert.equal(headers['X-Amz-Security-Token'], 'TOKEN/+=');
    assert.equal(sts, 'PUT\nrL0Y20zC+Fzt72VPzMSk2A==\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-security-token:TOKEN/+=\n/b/k');
    assert.deepEqual(Object.keys(headers).filter((k) => /sha256/i.test(k)), []);
  });

  it('sub-resources: only the signed ones, sorted by name, values not encoded', () => {
    const q: [string, string][] = [
      ['uploadId', 'VXBsb2FkIElE/+x'],
      ['partNumber', '3'],
      ['list-type', '2'],
      ['delimiter', '/'],
      ['response-content-disposition', 'attachment; filename="a b.txt"'],
      ['uploads', ''],
      ['tagging', ''],
    ];
    assert.equal(canonicalResourceV2(undefined, '/b/k', q), '/b/k?partNumber=3&response-content-disposition=attachment; filename="a b.txt"&tagging&uploadId=VXBsb2FkIElE/+x&uploads');
    for (const sub of ['cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'policy', 'requestPayment', 'restore', 'torrent', 'versioning', 'versions', 'website'])
      assert.equal(canonicalResourceV2('b', '/', [[sub, '']]), `/b/?${sub}`);
    assert.equal(canonicalResourceV2('b', '/', [['prefix', 'x'], ['continuation-token', 't']]), '/b/');
  });

  it('amz headers: folded values unfolded, others ignored', () => {
    assert.equal(canonicalAmzHeaders({ 'X-Amz-Meta-A': 'one\r\n  two', Host: 'h', 'x-amz-acl': 'private' }), 'x-amz-acl:private\nx-amz-meta-a:one two\n');
    assert.equal(stringToSignV2({ method: 'GET', path: '/', query: [], headers: { 'x-amz-date': 'D', Date: 'ignored' } }), 'GET\n\n\n\nx-amz-date:D\n/');
  });
});

describe('SigV2 presigned URL (s3cmd signurl form)', () => {
  // What s3cmd 2.3.0 prints with signature_v2 = True, host_base = host_bucket = 127.0.0.1:7780 (path
  // style), use_https = False and these example keys (signurl signs locally; no server involved).
  it('path style: the same URL s3cmd prints', () => {
    const url = presignUrlV2({ protocol: 'http:', host: '127.0.0.1:7780', path: '/b/dir/report%201.txt', ...creds, expires: 1795954091 });
    // s3cmd signurl 's3://b/dir/report 1.txt' 1795954091
    assert.equal(url, 'http://127.0.0.1:7780/b/dir/report%201.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1795954091&Signature=hoj7ZsHl83N1rdYzDLNZMSSgv5k%3D');
  });

  it('with response-* overrides (--content-type, --content-disposition): the same URL s3cmd prints', () => {
    const url = presignUrlV2({
      protocol: 'http:',
      host: '127.0.0.1:7780',
      path: '/b/a%20b%2Bc.txt',
      ...creds,
      expires: 1795954091,
      query: { 'response-content-type': 'text/x-odd', 'response-content-disposition': 'attachment; filename="x y.txt"' },
    });
    // s3cmd signurl --content-type text/x-odd --content-disposition 'attachment; filename="x y.txt"' 's3://b/a b+c.txt' 1795954091
    assert.equal(
      url,
      'http://127.0.0.1:7780/b/a%20b%2Bc.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1795954091&Signature=lRjARVrg8m5Jlrb160%2FH1m9lYnQ%3D' +
        '&response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22&response-content-type=text%2Fx-odd',
    );
  });

  it('temporary credentials: the session token is in the URL and in the signature', () => {
    const url = new URL(presignUrlV2({ protocol: 'http:', host: 'h', path: '/b/k', ...creds, sessionToken: 'T+/=', expires: 2000000000 }));
    assert.equal(url.searchParams.get('x-amz-security-token'), 'T+/=');
    assert.equal(url.searchParams.get('Signature'), signatureV2(creds.secretAccessKey, 'GET\n\n\n2000000000\nx-amz-security-token:T+/=\n/b/k'));
  });

  it('refuses an expiry that is not a positive epoch time', () => {
    assert.throws(() => presignUrlV2({ protocol: 'http:', host: 'h', path: '/b/k', ...creds, expires: 0 }), RangeError);
  });
});

describe('SigV2 redaction', () => {
  it('hides the signature of the Authorization header and of a presigned URL, keeps the key id', () => {
    assert.equal(redact('Authorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU='), 'Authorization: AWS AKIAIOSFODNN7EXAMPLE:<redacted>');
    assert.equal(
      redact('GET http://h/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&x-amz-security-token=abc%2Fdef'),
      'GET http://h/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=<redacted>&x-amz-security-token=<redacted>',
    );
    assert.equal(redact('["GET","","","","x-amz-security-token:SECRETTOKEN","/b/"]'), '["GET","","","","x-amz-security-token:<redacted>","/b/"]');
  });
});

describe('S3Client with signatureV2 (against a local server)', () => {
  let server: http.Server;
  let endpoint: URL;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
  const debugLines: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const client = (sessionToken?: string, hostBucketTemplate?: string) =>
    new S3Client({
      endpoint,
      hostBucketTemplate,
      region: 'us-east-1',
      credentials: { get: async () => ({ ...creds, sessionToken }), source: () => ({ name: 'test' }) },
      retry: { maxRetries: 0 },
      timeoutMs: 5000,
      signatureV2: true,
      debug: (m) => debugLines.push(typeof m === 'function' ? m() : m),
    });

  it('sends AWS AKID:SIG over the canonical string, the token, no SigV4 headers', async () => {
    seen.length = 0;
    await client('SESSION').send({ method: 'PUT', bucket: 'bk', key: 'dir/a b.txt', query: { partNumber: '2', uploadId: 'U1' }, body: 'abc', headers: { 'Content-MD5': 'kAFQmDzST7DWlj99KOF/cg==' } });
    const { url, headers: h } = seen[0];
    assert.equal(url, '/bk/dir/a%20b.txt?partNumber=2&uploadId=U1');
    assert.equal(h['x-amz-security-token'], 'SESSION');
    assert.equal(h['x-amz-content-sha256'], undefined);
    assert.match(String(h['x-amz-date']), /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    const sts = `PUT\nkAFQmDzST7DWlj99KOF/cg==\n\n\nx-amz-date:${h['x-amz-date']}\nx-amz-security-token:SESSION\n/bk/dir/a%20b.txt?partNumber=2&uploadId=U1`;
    assert.equal(h.authorization, auth(signatureV2(creds.secretAccessKey, sts)));
    assert.ok(debugLines.some((l) => l.startsWith('SigV2 string to sign: ')));
  });

  it('virtual-host style: the bucket goes in front of the path in the signed resource', async () => {
    seen.length = 0;
    // a host template that still reaches the local server: the bucket name only appears in the Host header
    await client(undefined, `${endpoint.host}`).send({ method: 'GET', bucket: 'bk', query: { acl: '' } });
    const h = seen[0].headers;
    assert.equal(seen[0].url, '/?acl=');
    const sts = `GET\n\n\n\nx-amz-date:${h['x-amz-date']}\n/bk/?acl`;
    assert.equal(h.authorization, auth(signatureV2(creds.secretAccessKey, sts)));
  });
});
