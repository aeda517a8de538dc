// AWS's endpoint names for S3 and STS in every partition, with FIPS and dual-stack, as the AWS SDKs
// resolve them (partitions.json and the S3 / STS endpoint rule sets), and where s3k applies them:
// only when the endpoint is AWS's (no host_base beyond s3cmd's default s3.amazonaws.com).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EndpointConfigError, parseEndpointFlag, partitionOf, s3Host, stsUrl } from '../../src/config/aws-endpoints.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { resolveStsEndpoint, webIdentityConfigFromEnv } from '../../src/credentials/web-identity.ts';
import { stsSigningRegion } from '../../src/credentials/assume-role.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

const F = { fips: true, dualstack: false };
const D = { fips: false, dualstack: true };
const FD = { fips: true, dualstack: true };

describe('partitions', () => {
  it('regions map to their partition; unknown ones to aws', () => {
    const cases: [string, string][] = [
      ['us-east-1', 'aws'], ['eu-central-2', 'aws'], ['il-central-1', 'aws'], ['cn-north-1', 'aws-cn'], ['cn-northwest-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'], ['us-gov-east-1', 'aws-us-gov'], ['us-iso-east-1', 'aws-iso'], ['us-isob-east-1', 'aws-iso-b'],
      ['eu-isoe-west-1', 'aws-iso-e'], ['us-isof-south-1', 'aws-iso-f'], ['xx-new-9', 'aws'],
    ];
    for (const [r, p] of cases) assert.equal(partitionOf(r).id, p, r);
  });
});

describe('S3 host names', () => {
  const cases: [string, { fips: boolean; dualstack: boolean } | undefined, string][] = [
    ['us-east-1', undefined, 's3.amazonaws.com'],
    ['eu-west-1', undefined, 's3.eu-west-1.amazonaws.com'],
    ['us-east-1', F, 's3-fips.us-east-1.amazonaws.com'],
    ['us-west-2', D, 's3.dualstack.us-west-2.amazonaws.com'],
    ['us-west-2', FD, 's3-fips.dualstack.us-west-2.amazonaws.com'],
    ['cn-north-1', undefined, 's3.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', D, 's3.dualstack.cn-northwest-1.amazonaws.com.cn'],
    ['us-gov-west-1', undefined, 's3.us-gov-west-1.amazonaws.com'],
    ['us-gov-west-1', F, 's3-fips.us-gov-west-1.amazonaws.com'],
    ['us-gov-east-1', FD, 's3-fips.dualstack.us-gov-east-1.amazonaws.com'],
    ['us-iso-east-1', undefined, 's3.us-iso-east-1.c2s.ic.gov'],
    ['us-isob-east-1', F, 's3-fips.us-isob-east-1.sc2s.sgov.gov'],
  ];
  for (const [r, f, host] of cases) it(`${r} ${f ? JSON.stringify(f) : ''} -> ${host}`, () => assert.equal(s3Host(r, f), host));
  it('dual-stack in an ISO partition has no endpoint: exit 78 naming the setting', () => {
    assert.throws(() => s3Host('us-iso-east-1', D), (e: unknown) => e instanceof EndpointConfigError && e.exitCode === 78 && /AWS_USE_DUALSTACK_ENDPOINT .* aws-iso partition/.test(e.message));
  });
});

describe('STS endpoints', () => {
  const cases: [string | undefined, { fips: boolean; dualstack: boolean } | undefined, boolean, string][] = [
    ['eu-west-1', undefined, false, 'https://sts.eu-west-1.amazonaws.com/'],
    ['eu-west-1', undefined, true, 'https://sts.amazonaws.com/'],
    // legacy covers the first sixteen regions only; newer ones stay regional
    ['ap-east-1', undefined, true, 'https://sts.ap-east-1.amazonaws.com/'],
    ['us-east-1', F, false, 'https://sts-fips.us-east-1.amazonaws.com/'],
    ['us-east-1', F, true, 'https://sts-fips.us-east-1.amazonaws.com/'],
    ['eu-west-1', D, false, 'https://sts.eu-west-1.api.aws/'],
    ['us-west-2', FD, false, 'https://sts-fips.us-west-2.api.aws/'],
    ['cn-north-1', undefined, false, 'https://sts.cn-north-1.amazonaws.com.cn/'],
    ['cn-north-1', D, false, 'https://sts.cn-north-1.api.amazonwebservices.com.cn/'],
    ['us-gov-west-1', undefined, true, 'https://sts.us-gov-west-1.amazonaws.com/'],
    // GovCloud's STS endpoints are FIPS endpoints already
    ['us-gov-west-1', F, false, 'https://sts.us-gov-west-1.amazonaws.com/'],
    ['us-gov-east-1', FD, false, 'https://sts-fips.us-gov-east-1.api.aws/'],
    ['us-iso-east-1', undefined, true, 'https://sts.us-iso-east-1.c2s.ic.gov/'],
    [undefined, undefined, false, 'https://sts.amazonaws.com/'],
  ];
  for (const [r, f, legacy, url] of cases) it(`${r ?? '(no region)'} ${f ? JSON.stringify(f) : ''}${legacy ? ' legacy' : ''} -> ${url}`, () => assert.equal(stsUrl(r, f, legacy), url));

  it('credentials/: env flags come in from the settings; a custom STS endpoint is used as given', () => {
    assert.equal(resolveStsEndpoint({}, 'eu-west-1', F), 'https://sts-fips.eu-west-1.amazonaws.com/');
    assert.equal(resolveStsEndpoint({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:7480' }, 'eu-west-1', FD), 'http://127.0.0.1:7480/');
    assert.throws(() => resolveStsEndpoint({}, 'us-isob-east-1', D), (e: unknown) => e instanceof CredentialsError && e.exitCode === 78);
    const wi = webIdentityConfigFromEnv({ AWS_ROLE_ARN: 'arn:aws-us-gov:iam::111122223333:role/r', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, 'us-gov-east-1', D);
    assert.equal(wi?.stsEndpoint, 'https://sts.us-gov-east-1.api.aws/');
  });
  it('AssumeRole signs for the region in any AWS STS host name', () => {
    assert.equal(stsSigningRegion('https://sts-fips.us-west-2.api.aws/', 'eu-west-1'), 'us-west-2');
    assert.equal(stsSigningRegion('https://sts.cn-north-1.api.amazonwebservices.com.cn/', 'us-east-1'), 'cn-north-1');
    assert.equal(stsSigningRegion('https://sts.us-iso-east-1.c2s.ic.gov/', 'us-east-1'), 'us-iso-east-1');
  });
});

describe('settings: where the flags apply', () => {
  const env = { HOME: '/nonexistent-home-s3k' };
  const cfg = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3k-endpoints-'));
    const f = path.join(dir, 's3cfg');
    fs.writeFileSync(f, text);
    return f;
  };
  it('the AWS default endpoint takes FIPS / dual-stack from the environment', () => {
    let s = resolveSettings({}, { ...env, AWS_REGION: 'us-gov-west-1', AWS_USE_FIPS_ENDPOINT: 'true' });
    assert.equal(s.endpoint.host, 's3-fips.us-gov-west-1.amazonaws.com');
    assert.equal(s.hostBucketTemplate, '%(bucket)s.s3-fips.us-gov-west-1.amazonaws.com');
    assert.deepEqual(s.endpointFlags, { fips: true, dualstack: false });
    s = resolveSettings({}, { ...env, AWS_REGION: 'cn-north-1', AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' });
    assert.equal(s.endpoint.host, 's3.dualstack.cn-north-1.amazonaws.com.cn');
    s = resolveSettings({}, { ...env, AWS_REGION: 'cn-north-1' });
    assert.equal(s.endpoint.host, 's3.cn-north-1.amazonaws.com.cn');
    assert.equal(s.awsS3Host!('eu-west-1'), 's3.eu-west-1.amazonaws.com');
  });
  it(".s3cfg with s3cmd's default host_base s3.amazonaws.com: unchanged without flags, the region's FIPS host with", () => {
    const f = cfg('[default]\nhost_base = s3.amazonaws.com\nhost_bucket = %(bucket)s.s3.amazonaws.com\nbucket_location = eu-west-1\n');
    let s = resolveSettings({ config: f }, env);
    assert.equal(s.endpoint.host, 's3.amazonaws.com');
    assert.equal(s.hostBucketTemplate, '%(bucket)s.s3.amazonaws.com');
    assert.equal(s.awsS3Host!('ap-south-1'), 's3.ap-south-1.amazonaws.com', 'a redirect changes the host on AWS');
    s = resolveSettings({ config: f }, { ...env, AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    assert.equal(s.endpoint.host, 's3-fips.dualstack.eu-west-1.amazonaws.com');
    assert.equal(s.hostBucketTemplate, '%(bucket)s.s3-fips.dualstack.eu-west-1.amazonaws.com');
    assert.equal(s.awsS3Host!('us-east-1'), 's3-fips.dualstack.us-east-1.amazonaws.com');
  });
  it('a custom endpoint is taken as given, and its redirects change only the signing region', () => {
    const s = resolveSettings({}, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:7480', AWS_USE_FIPS_ENDPOINT: 'true' });
    assert.equal(s.endpoint.host, '127.0.0.1:7480');
    assert.equal(s.awsS3Host, undefined);
    const h = resolveSettings({ config: cfg('[default]\nhost_base = minio.example:9000\n') }, { ...env, AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    assert.equal(h.endpoint.host, 'minio.example:9000');
  });
  it('a regional AWS host_base keeps its FIPS form on redirects', () => {
    const s = resolveSettings({ config: cfg('[default]\nhost_base = s3-fips.us-east-2.amazonaws.com\nhost_bucket = %(bucket)s.s3-fips.us-east-2.amazonaws.com\n') }, env);
    assert.equal(s.endpoint.host, 's3-fips.us-east-2.amazonaws.com');
    assert.equal(s.awsS3Host!('us-west-1'), 's3-fips.us-west-1.amazonaws.com');
  });
  it("the AWS profile's use_fips_endpoint / use_dualstack_endpoint when the environment is silent", () => {
    const profile: Record<string, string> = { use_fips_endpoint: 'true', use_dualstack_endpoint: 'false' };
    const s = resolveSettings({}, { ...env, AWS_REGION: 'us-east-2' }, (k) => profile[k]);
    assert.equal(s.endpoint.host, 's3-fips.us-east-2.amazonaws.com');
    const e = resolveSettings({}, { ...env, AWS_REGION: 'us-east-2', AWS_USE_FIPS_ENDPOINT: 'false' }, (k) => profile[k]);
    assert.equal(e.endpoint.host, 's3.us-east-2.amazonaws.com', 'the environment wins');
  });
  it('a value other than true/false is a one-line error, exit 78', () => {
    assert.throws(() => resolveSettings({}, { ...env, AWS_USE_FIPS_ENDPOINT: 'yes please' }), (e: unknown) => e instanceof EndpointConfigError && e.exitCode === 78 && /^AWS_USE_FIPS_ENDPOINT must be true or false, not 'yes please'$/.test(e.message));
    assert.equal(parseEndpointFlag(' False ', 'X'), false);
    assert.equal(parseEndpointFlag('', 'X'), undefined);
  });
});
