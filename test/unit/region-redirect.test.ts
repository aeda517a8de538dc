// A bucket in another region: the answers AWS documents for a request sent to the wrong region
// (301 PermanentRedirect, 400 AuthorizationHeaderMalformed, 307 TemporaryRedirect, body-less HEAD
// answers carrying x-amz-bucket-region), the classifier that reads them, and S3Client re-signing
// once for the bucket's region and remembering it. Against a node:http server on 127.0.0.1 that
// answers as AWS does; the lab cannot host two regions.
import '../support/loopback-guard.mjs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { S3Client } from '../../src/s3/client.ts';
import { parseError } from '../../src/s3/client.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { regionRedirect, regionFromS3Host, type RegionRedirect } from '../../src/s3/region.ts';
import { configureProxy } from '../../src/net/proxy.ts';
import { closeH1Pools } from '../../src/net/h1.ts';
import type { CredentialProvider } from '../../src/credentials/types.ts';

// The bodies as AWS sends them (element order as observed in AWS answers).
const PERMANENT_REDIRECT = (bucket: string, endpoint: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>${endpoint}</Endpoint><Bucket>${bucket}</Bucket><RequestId>D4FC960AEE757AF2</RequestId><HostId>aG9zdA==</HostId></Error>`;
const HEADER_MALFORMED = (used: string, expected: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region '${used}' is wrong; expecting '${expected}'</Message><Region>${expected}</Region><RequestId>D5F2662865713BDC</RequestId><HostId>aG9zdA==</HostId></Error>`;
const TEMPORARY_REDIRECT = (bucket: string, endpoint: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>TemporaryRedirect</Code><Message>Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.</Message><Endpoint>${endpoint}</Endpoint><Bucket>${bucket}</Bucket><RequestId>1</RequestId><HostId>aG9zdA==</HostId></Error>`;

const facts = (status: number, body: string, headers: Record<string, string> = {}, method = 'GET', key = 'k') => {
  const e = parseError({ status, headers, body: Buffer.from(body) }, { method: method as 'GET', bucket: 'b', key });
  return { e, to: regionRedirect({ status: e.status, code: e.code, ...e.region }, { method, bucket: 'b', key }) };
};

describe('the wrong-region classifier on the answers AWS documents', () => {
  it('301 PermanentRedirect: x-amz-bucket-region, else the region in <Endpoint>', () => {
    assert.deepEqual(facts(301, PERMANENT_REDIRECT('b', 'b.s3.eu-west-1.amazonaws.com'), { 'x-amz-bucket-region': 'eu-west-1' }).to, { region: 'eu-west-1', kind: 'redirect' });
    assert.deepEqual(facts(301, PERMANENT_REDIRECT('b', 'b.s3-ap-southeast-2.amazonaws.com')).to, { region: 'ap-southeast-2', kind: 'redirect' });
    // the global endpoint names no region: nothing to go by
    assert.equal(facts(301, PERMANENT_REDIRECT('b', 'b.s3.amazonaws.com')).to, undefined);
  });
  it('400 AuthorizationHeaderMalformed: the <Region> element (and the header)', () => {
    const { e, to } = facts(400, HEADER_MALFORMED('us-east-1', 'eu-central-1'), { 'x-amz-bucket-region': 'eu-central-1' });
    assert.equal(e.code, 'AuthorizationHeaderMalformed');
    assert.deepEqual(e.region, { headerRegion: 'eu-central-1', bodyRegion: 'eu-central-1', endpoint: undefined });
    assert.deepEqual(to, { region: 'eu-central-1', kind: 'signing' });
    assert.deepEqual(facts(400, HEADER_MALFORMED('us-east-1', 'eu-central-1')).to, { region: 'eu-central-1', kind: 'signing' });
  });
  it('307 TemporaryRedirect: the region of <Endpoint>', () => {
    assert.deepEqual(facts(307, TEMPORARY_REDIRECT('b', 'b.s3-eu-west-1.amazonaws.com'), { location: 'http://b.s3-eu-west-1.amazonaws.com/k' }).to, { region: 'eu-west-1', kind: 'redirect' });
  });
  it('HEAD answers have no body: 301 or 400 with x-amz-bucket-region', () => {
    assert.deepEqual(facts(301, '', { 'x-amz-bucket-region': 'us-west-2' }, 'HEAD').to, { region: 'us-west-2', kind: 'redirect' });
    assert.deepEqual(facts(400, '', { 'x-amz-bucket-region': 'me-central-1' }, 'HEAD').to, { region: 'me-central-1', kind: 'signing' });
    assert.equal(facts(400, '', {}, 'HEAD').to, undefined);
  });
  it('IllegalLocationConstraintException redirects, except for CreateBucket', () => {
    const body = '<Error><Code>IllegalLocationConstraintException</Code><Message>The af-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.</Message></Error>';
    assert.deepEqual(facts(400, body, { 'x-amz-bucket-region': 'af-south-1' }).to, { region: 'af-south-1', kind: 'signing' });
    assert.equal(facts(400, body, { 'x-amz-bucket-region': 'af-south-1' }, 'PUT', '').to, undefined);
  });
  it('other errors are not redirects, even with the header; a junk region is ignored', () => {
    assert.equal(facts(403, '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', { 'x-amz-bucket-region': 'eu-west-1' }).to, undefined);
    assert.equal(facts(404, '<Error><Code>NoSuchKey</Code></Error>', { 'x-amz-bucket-region': 'eu-west-1' }).to, undefined);
    assert.equal(facts(400, HEADER_MALFORMED('us-east-1', 'not a region')).to, undefined);
    assert.equal(regionRedirect({ status: 301, code: 'PermanentRedirect', headerRegion: 'eu-west-1' }, { method: 'GET' }), undefined, 'no bucket, nothing to remember');
  });
  it('region names in AWS S3 host names', () => {
    assert.equal(regionFromS3Host('b.s3.eu-west-1.amazonaws.com'), 'eu-west-1');
    assert.equal(regionFromS3Host('s3-fips.dualstack.us-gov-west-1.amazonaws.com'), 'us-gov-west-1');
    assert.equal(regionFromS3Host('b.s3.cn-north-1.amazonaws.com.cn'), 'cn-north-1');
    assert.equal(regionFromS3Host('s3.amazonaws.com'), undefined);
    assert.equal(regionFromS3Host('s3.eu-west-1.example.com'), undefined);
  });
  it("the error line says which region to use when the redirect cannot be followed", () => {
    const { e } = facts(400, HEADER_MALFORMED('us-east-1', 'eu-central-1'));
    assert.match(e.line, /^S3 error: 400 \(AuthorizationHeaderMalformed\): .* - the bucket is in region eu-central-1; run with --region eu-central-1/);
  });
});

/** The scope region of a SigV4 Authorization header. */
const scopeRegion = (auth: string | undefined) => /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request/.exec(auth ?? '')?.[1];

describe('S3Client: re-signed once for the bucket\'s region, remembered for the run', () => {
  let server: http.Server;
  let endpoint: URL;
  let mode: 'malformed' | 'permanent' | 'head' | 'stubborn' = 'malformed';
  const seen: { method: string; host: string; target: string; region?: string }[] = [];
  const HOME = 'eu-west-1';
  before(async () => {
    server = http.createServer(async (req, res) => {
      for await (const _ of req) void _;
      const region = scopeRegion(req.headers.authorization);
      seen.push({ method: req.method!, host: req.headers.host!, target: req.url!, region });
      const path = req.url!.startsWith('http') ? new URL(req.url!).pathname : req.url!.split('?')[0];
      // Only /far/... (or far.* hosts) live in eu-west-1; the right region (and, through the proxy, the right host) gets 200.
      const far = path.startsWith('/far/') || req.headers.host!.startsWith('far.');
      const rightHost = !req.url!.startsWith('http') || req.headers.host!.includes(HOME);
      if (!far || (region === HOME && rightHost && mode !== 'stubborn')) {
        res.writeHead(200, { 'content-length': 2 });
        return res.end('ok');
      }
      const send = (status: number, body: string, headers: Record<string, string>) => {
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (mode === 'malformed' || mode === 'stubborn') send(400, HEADER_MALFORMED(region ?? '', HOME), { 'x-amz-bucket-region': HOME });
      else if (mode === 'permanent') send(301, PERMANENT_REDIRECT('far', `far.s3.${HOME}.amazonaws.com`), { 'x-amz-bucket-region': HOME });
      else send(301, '', { 'x-amz-bucket-region': HOME });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    configureProxy({ noProxy: [] });
    closeH1Pools();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const creds: CredentialProvider = { get: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-real-secret' }), source: () => ({ name: 'test' }) };
  const client = (o: { maxRetries?: number; awsHost?: (r: string) => string; ep?: URL; template?: string } = {}) => {
    const redirects: { bucket: string; to: RegionRedirect; host?: string }[] = [];
    const retries: string[] = [];
    const c = new S3Client({
      endpoint: o.ep ?? endpoint,
      hostBucketTemplate: o.template,
      region: 'us-east-1',
      credentials: creds,
      retry: { maxRetries: o.maxRetries ?? 5, baseMs: 1, capMs: 2 },
      timeoutMs: 5000,
      awsHost: o.awsHost,
      onRegionRedirect: (bucket, to, host) => redirects.push({ bucket, to, host }),
      onRetry: (what) => retries.push(what),
    });
    return { c, redirects, retries };
  };

  for (const m of ['malformed', 'permanent', 'head'] as const) {
    it(`${m}: the second attempt is signed for eu-west-1; later requests go there first`, async () => {
      mode = m;
      seen.length = 0;
      const { c, redirects, retries } = client();
      const method = m === 'head' ? 'HEAD' : 'GET';
      const r = await c.send({ method, bucket: 'far', key: 'a' });
      assert.equal(r.status, 200);
      assert.deepEqual(seen.map((s) => s.region), ['us-east-1', HOME]);
      assert.deepEqual(redirects, [{ bucket: 'far', to: { region: HOME, kind: m === 'malformed' ? 'signing' : 'redirect' }, host: undefined }]);
      assert.deepEqual(retries, [], 'the redirect is reported by onRegionRedirect, not as a retry');
      // a custom endpoint keeps its host; only the signing region changes
      assert.ok(seen.every((s) => s.host === endpoint.host));
      for (const key of ['b', 'c', 'd']) assert.equal((await c.send({ method: 'GET', bucket: 'far', key })).status, 200);
      assert.deepEqual(seen.map((s) => s.region), ['us-east-1', HOME, HOME, HOME, HOME], 'one extra request for the whole run');
      assert.equal(redirects.length, 1);
      // other buckets keep the configured region
      await c.send({ method: 'GET', bucket: 'near', key: 'x' });
      assert.equal(seen.at(-1)!.region, 'us-east-1');
      assert.equal(c.regionFor('far'), HOME);
    });
  }

  it('inside the budget: --max-retries=0 reports the answer with the region to use, and one request was sent', async () => {
    mode = 'malformed';
    seen.length = 0;
    const { c } = client({ maxRetries: 0 });
    await assert.rejects(c.send({ method: 'GET', bucket: 'far', key: 'a' }), (e: unknown) => {
      assert.ok(e instanceof S3Error);
      assert.equal(e.code, 'AuthorizationHeaderMalformed');
      assert.match(e.line, /--region eu-west-1/);
      return true;
    });
    assert.equal(seen.length, 1);
  });

  it('followed once per request: an answer that keeps naming the region is an error, not a loop', async () => {
    mode = 'stubborn';
    seen.length = 0;
    const { c } = client();
    await assert.rejects(c.send({ method: 'GET', bucket: 'far', key: 'a' }), (e: unknown) => e instanceof S3Error && e.code === 'AuthorizationHeaderMalformed');
    assert.deepEqual(seen.map((s) => s.region), ['us-east-1', HOME]);
  });

  it("AWS's endpoint: the host becomes the region's (virtual-host and path style), through an HTTP proxy", async () => {
    mode = 'permanent';
    seen.length = 0;
    // The client believes it talks to AWS; every connection goes to the proxy on 127.0.0.1 (this server).
    configureProxy({ http: endpoint, noProxy: [] });
    try {
      const aws = new URL('http://s3.amazonaws.com');
      const hostFor = (r: string) => (r === 'us-east-1' ? 's3.amazonaws.com' : `s3.${r}.amazonaws.com`);
      const { c, redirects } = client({ ep: aws, awsHost: hostFor, template: '%(bucket)s.s3.amazonaws.com' });
      assert.equal((await c.send({ method: 'GET', bucket: 'far', key: 'a' })).status, 200);
      assert.deepEqual(
        seen.map((s) => [s.host, s.region]),
        [
          ['far.s3.amazonaws.com', 'us-east-1'],
          [`far.s3.${HOME}.amazonaws.com`, HOME],
        ],
      );
      assert.equal(redirects[0]!.host, `far.s3.${HOME}.amazonaws.com`);
      await c.send({ method: 'GET', bucket: 'far', key: 'b' });
      assert.equal(seen.at(-1)!.host, `far.s3.${HOME}.amazonaws.com`);
      // path style (no template): the same host change, the bucket in the path
      seen.length = 0;
      const p = client({ ep: aws, awsHost: hostFor });
      await p.c.send({ method: 'GET', bucket: 'far', key: 'a' });
      assert.deepEqual(
        seen.map((s) => [s.host, s.region, new URL(s.target).pathname]),
        [
          ['s3.amazonaws.com', 'us-east-1', '/far/a'],
          [`s3.${HOME}.amazonaws.com`, HOME, '/far/a'],
        ],
      );
    } finally {
      configureProxy({ noProxy: [] });
    }
  });
});
