import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { S3Client } from '../../src/s3/client.ts';
import { closeH1Pools } from '../../src/net/h1.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { syncLocations } from '../../src/sync/plan.ts';
import { s3Arg } from '../../src/storage/url.ts';
import { customerKeyHeaders, isCustomerEncrypted, needsCustomerKey } from '../../src/s3/sse-c.ts';
import { parseCustomerKey } from '../../src/config/settings.ts';
import { planFromHeaders } from '../../src/transfer/verify.ts';
import { redact } from '../../src/cli/redact.ts';

const KEY = '0123456789abcdef0123456789abcdef';

describe('SSE-C', () => {
  it('headers: base64 key and base64 MD5 of the key (the values the aws cli sends for the same key)', () => {
    const k = { algorithm: 'AES256', key: Buffer.from(KEY) };
    assert.deepEqual(customerKeyHeaders(k), {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
      'x-amz-server-side-encryption-customer-key-MD5': 'hRasmdxgYDKV3nvbahU1MA==',
    });
    assert.deepEqual(Object.keys(customerKeyHeaders(k, true)), [
      'x-amz-copy-source-server-side-encryption-customer-algorithm',
      'x-amz-copy-source-server-side-encryption-customer-key',
      'x-amz-copy-source-server-side-encryption-customer-key-MD5',
    ]);
  });

  it('keys: 32 bytes of text or base64 of 32 bytes; the error never repeats the value', () => {
    assert.deepEqual(parseCustomerKey(KEY, '--sse-customer-key'), Buffer.from(KEY));
    const b64 = Buffer.alloc(32, 7).toString('base64');
    assert.deepEqual(parseCustomerKey(b64, '--sse-customer-key'), Buffer.alloc(32, 7));
    for (const bad of ['short-key-value', KEY + 'x', Buffer.alloc(16).toString('base64')]) {
      assert.throws(() => parseCustomerKey(bad, '--sse-customer-key'), (e: Error) => {
        assert.match(e.message, /^--sse-customer-key must be a 256-bit key: .* the value given is \d+ bytes$/);
        assert.ok(!e.message.includes(bad));
        return true;
      });
    }
  });

  it('which requests carry the key: object data only', () => {
    assert.equal(needsCustomerKey('GET', 'k', {}), true);
    assert.equal(needsCustomerKey('HEAD', 'k', undefined), true);
    assert.equal(needsCustomerKey('GET', 'k', { partNumber: '2' }), true);
    assert.equal(needsCustomerKey('PUT', 'k', {}), true);
    assert.equal(needsCustomerKey('PUT', 'k', { partNumber: '1', uploadId: 'u' }), true);
    assert.equal(needsCustomerKey('POST', 'k', { uploads: '' }), true);
    assert.equal(needsCustomerKey('POST', 'k', { uploadId: 'u' }), false, 'CompleteMultipartUpload');
    assert.equal(needsCustomerKey('GET', 'k', { uploadId: 'u' }), false, 'ListParts');
    assert.equal(needsCustomerKey('GET', 'k', { acl: '' }), false);
    assert.equal(needsCustomerKey('PUT', 'k', { tagging: '' }), false);
    assert.equal(needsCustomerKey('DELETE', 'k', {}), false);
    assert.equal(needsCustomerKey('GET', undefined, { 'list-type': '2' }), false);
  });

  it('an SSE-C object: its ETag is not taken for the MD5 of the data; s3cmd-attrs md5 is', () => {
    const etag = '"b1946ac92492d2347c6235b4d2611184"';
    const md5Of = (h: Record<string, string>) => {
      const p = planFromHeaders(h);
      return p.kind === 'whole' && p.algo === 'md5' ? p.expected.toString('hex') : undefined;
    };
    assert.equal(md5Of({ etag }), 'b1946ac92492d2347c6235b4d2611184');
    const sse = { etag, 'x-amz-server-side-encryption-customer-algorithm': 'AES256' };
    assert.equal(isCustomerEncrypted(sse), true);
    assert.equal(md5Of(sse), undefined);
    assert.equal(md5Of({ ...sse, 'x-amz-meta-s3cmd-attrs': 'md5:0123456789abcdef0123456789abcdef/mode:33188' }), '0123456789abcdef0123456789abcdef');
  });

  it('redaction: key headers and .s3cfg lines, not the key MD5', () => {
    assert.equal(redact('x-amz-server-side-encryption-customer-key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='), 'x-amz-server-side-encryption-customer-key: <redacted>');
    assert.equal(redact('sse_customer_key = abc'), 'sse_customer_key = <redacted>');
    assert.equal(redact('x-amz-server-side-encryption-customer-key-MD5: hRasmdxgYDKV3nvbahU1MA=='), 'x-amz-server-side-encryption-customer-key-MD5: hRasmdxgYDKV3nvbahU1MA==');
  });
});

// The HEADs of an S3 -> S3 sync's compares, at the client level: a loopback server records which
// key (by its MD5) each HEAD carried. The lab's RGW 16 cannot copy SSE-C objects server-side (501),
// so such a sync never gets that far there; the headers are what this checks.
describe('SSE-C in an S3 -> S3 sync: the source is HEADed with the copy-source key, the destination with the customer key', () => {
  const SRC_KEY = Buffer.alloc(32, 1);
  const DST_KEY = Buffer.alloc(32, 2);
  const md5b64 = (k: Buffer) => crypto.createHash('md5').update(k).digest('base64');
  const heads: { path: string; keyMd5?: string; copySourceKeyMd5?: string }[] = [];
  let server: http.Server;
  let endpoint: URL;
  before(async () => {
    server = http.createServer(async (req, res) => {
      for await (const _ of req) void _;
      heads.push({
        path: new URL(req.url!, 'http://x').pathname,
        keyMd5: req.headers['x-amz-server-side-encryption-customer-key-md5'] as string | undefined,
        copySourceKeyMd5: req.headers['x-amz-copy-source-server-side-encryption-customer-key-md5'] as string | undefined,
      });
      res.writeHead(200, { 'content-length': '3', etag: '"0123456789abcdef0123456789abcdef"', 'last-modified': new Date().toUTCString(), 'x-amz-meta-s3cmd-attrs': 'md5:00000000000000000000000000000abc' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const compare = async (values: Record<string, string>) => {
    const settings = resolveSettings(values, { HOME: '/nonexistent-home-s3k' });
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      credentials: { get: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-real-secret' }), source: () => ({ name: 'test' }) },
      retry: { maxRetries: 0, baseMs: 1, capMs: 2 },
      timeoutMs: 5000,
      sseCustomerKey: settings.sseCustomerKey,
      sseCopySourceKey: settings.sseCopySourceKey,
    });
    const report = { event: () => undefined, status: () => undefined };
    const [src, dst] = await syncLocations(s3Arg('s3://src-bucket/dir/'), s3Arg('s3://dst-bucket/dir/'), { settings, s3: () => client, report, multipleSources: false });
    heads.length = 0;
    const etag = '0123456789abcdef0123456789abcdef';
    const [a, b] = await Promise.all([src.md5({ relative: 'a', key: 'dir/a', size: 3, etag }), dst.md5({ relative: 'a', key: 'dir/a', size: 3, etag })]);
    return { a, b, heads: [...heads].sort((x, y) => (x.path < y.path ? 1 : -1)) };
  };

  it('two keys: each side its own', async () => {
    const r = await compare({ 'sse-customer-key': DST_KEY.toString('base64'), 'sse-copy-source-customer-key': SRC_KEY.toString('base64') });
    assert.deepEqual(r.heads, [
      { path: '/src-bucket/dir/a', keyMd5: md5b64(SRC_KEY), copySourceKeyMd5: undefined },
      { path: '/dst-bucket/dir/a', keyMd5: md5b64(DST_KEY), copySourceKeyMd5: undefined },
    ]);
    assert.equal(r.a, '00000000000000000000000000000abc', 'the MD5 from s3cmd-attrs, not the ETag');
    assert.equal(r.b, '00000000000000000000000000000abc');
  });

  it('only the copy-source key (a plain destination): the source is HEADed with it; the destination ETag is its MD5, no HEAD', async () => {
    const r = await compare({ 'sse-copy-source-customer-key': SRC_KEY.toString('base64') });
    assert.deepEqual(r.heads, [{ path: '/src-bucket/dir/a', keyMd5: md5b64(SRC_KEY), copySourceKeyMd5: undefined }]);
    assert.equal(r.b, '0123456789abcdef0123456789abcdef');
  });

  it('one key for both (--sse-customer-key alone): both HEADs carry it', async () => {
    const r = await compare({ 'sse-customer-key': DST_KEY.toString('base64') });
    assert.deepEqual(r.heads.map((h) => h.keyMd5), [md5b64(DST_KEY), md5b64(DST_KEY)]);
  });
});
