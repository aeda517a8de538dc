// whoami helpers: masking, describing, JWT claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCredentials, maskAccessKey, decodeJwtClaims, buildCredentialChain } from '../../src/credentials/index.ts';
import { staticProvider } from '../../src/credentials/static.ts';
import { parseIni } from '../../src/credentials/profile.ts';
import { parseStsError, parseAssumeRoleResponse } from '../../src/credentials/sts-xml.ts';

// These tests may only ever connect to loopback (the guard fails the file otherwise).
import '../support/loopback-guard.mjs';

test('maskAccessKey keeps first 4 and last 4', () => {
  assert.equal(maskAccessKey('AKIAIOSFODNN7EXAMPLE'), 'AKIA************MPLE');
  assert.equal(maskAccessKey('ASIA12345'), 'ASIA*2345');
  assert.equal(maskAccessKey('SHORTKEY'), '********');
  assert.equal(maskAccessKey(''), '');
});

test('describeCredentials: source, masked key, expiration, details; no secrets', async () => {
  const exp = new Date('2030-01-01T00:00:00Z');
  const p = staticProvider(
    { accessKeyId: 'ASIAEXAMPLEKEY123456', secretAccessKey: 'very-secret', sessionToken: 'very-session', expiration: exp },
    { name: 'web-identity', details: { roleArn: 'arn:aws:iam::1:role/r', sub: 'system:serviceaccount:a:b', assumedRoleArn: undefined } },
  );
  const d = await describeCredentials(p);
  assert.deepEqual(d, {
    source: 'web-identity',
    accessKeyIdMasked: 'ASIA************3456',
    temporary: true,
    expiration: '2030-01-01T00:00:00.000Z',
    details: { roleArn: 'arn:aws:iam::1:role/r', sub: 'system:serviceaccount:a:b' },
  });
  assert.equal(JSON.stringify(d).includes('very-'), false);
});

test('describeCredentials resolves a lazy chain', async () => {
  const chain = buildCredentialChain({ env: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' }, region: '' });
  const d = await describeCredentials(chain);
  assert.equal(d.source, 'env');
  assert.equal(d.temporary, false);
  assert.equal(d.expiration, undefined);
  assert.equal(d.accessKeyIdMasked, 'AKIA************MPLE');
});

test('decodeJwtClaims reads the payload only; undefined for non-JWTs', () => {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { iss: 'https://issuer', sub: 'system:serviceaccount:ns:sa', aud: ['sts.amazonaws.com'], exp: 1893456000 };
  assert.deepEqual(decodeJwtClaims(`${enc({ alg: 'RS256' })}.${enc(claims)}.sig`), claims);
  assert.deepEqual(decodeJwtClaims(`  ${enc({ alg: 'none' })}.${enc({ sub: 'x' })}.  \n`), { sub: 'x' });
  for (const bad of ['', 'abc', 'a.b', `${enc({})}.${enc('string')}.s`, `${enc({})}.not json!.s`, `${enc({ a: 1 })}.${enc([1])}.s`, 'a.b.c.d'])
    assert.equal(decodeJwtClaims(bad), undefined, bad);
});

test('INI parsing: comments, spacing, nested blocks, later keys win', () => {
  const ini = parseIni('; top\n[default]\nAWS_ACCESS_KEY_ID=AK # not a comment\ns3 =\n  addressing_style = path\nregion=eu-west-1\n[profile x] ; c\nk = v1\nk = v2\n');
  assert.deepEqual(ini.get('default'), { aws_access_key_id: 'AK # not a comment', s3: '', region: 'eu-west-1' });
  assert.deepEqual(ini.get('profile x'), { k: 'v2' });
});

test('STS XML: success, STS-format and S3-format errors', () => {
  const ok = parseAssumeRoleResponse(
    '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>0123456789</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
  );
  assert.equal(ok?.accessKeyId, '0123456789', 'numeric-looking ids stay strings');
  assert.equal(ok?.expiration?.toISOString(), '2030-01-01T00:00:00.000Z');
  assert.equal(parseAssumeRoleResponse('<Error><Code>AccessDenied</Code></Error>'), undefined);
  assert.deepEqual(parseStsError('<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>'), {
    code: 'InvalidIdentityToken',
    message: 'm',
    requestId: 'r',
  });
  assert.deepEqual(parseStsError('<?xml version="1.0"?><Error><Code>AccessDenied</Code><RequestId>tx</RequestId></Error>'), {
    code: 'AccessDenied',
    message: undefined,
    requestId: 'tx',
  });
  assert.deepEqual(parseStsError('garbage'), { code: undefined, message: undefined, requestId: undefined });
});
