// The SigV4 signer against the examples AWS publishes for S3 (Authenticating Requests:
// Using the Authorization Header), and a check that the canonical query is what servers expect.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signV4, canonicalQuery, EMPTY_SHA256, amzDate } from '../../src/s3/sigv4.ts';

const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const now = new Date('2013-05-24T00:00:00Z');
const host = 'examplebucket.s3.amazonaws.com';

describe('SigV4 signer (AWS examples)', () => {
  it('GET Bucket lifecycle (?lifecycle)', () => {
    const h = signV4({ method: 'GET', host, path: '/', query: [['lifecycle', '']], headers: {}, payloadHash: EMPTY_SHA256, region: 'us-east-1', now }, creds);
    assert.equal(h.Authorization, 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });
  it('GET Bucket, list objects (?max-keys=2&prefix=J)', () => {
    const h = signV4({ method: 'GET', host, path: '/', query: [['prefix', 'J'], ['max-keys', '2']], headers: {}, payloadHash: EMPTY_SHA256, region: 'us-east-1', now }, creds);
    assert.equal(h.Authorization, 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });
  it('adds the date, payload hash and session token headers', () => {
    const h = signV4({ method: 'PUT', host, path: '/k', query: [], headers: { 'Content-Type': 'text/plain' }, payloadHash: 'UNSIGNED-PAYLOAD', region: 'eu-west-1', now }, { ...creds, sessionToken: 'TOKEN' });
    assert.equal(h['X-Amz-Date'], amzDate(now));
    assert.equal(h['X-Amz-Content-Sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal(h['X-Amz-Security-Token'], 'TOKEN');
    assert.match(h.Authorization, /SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
    assert.match(h.Authorization, /\/eu-west-1\/s3\/aws4_request/);
  });
  it('canonical query: RFC 3986 encoding, sorted, empty values kept', () => {
    assert.equal(canonicalQuery([['uploadId', 'a/b+c=='], ['partNumber', '3'], ['uploads', ''], ['x', "!'()*"]]), 'partNumber=3&uploadId=a%2Fb%2Bc%3D%3D&uploads=&x=%21%27%28%29%2A');
  });
});
