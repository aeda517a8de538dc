import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
