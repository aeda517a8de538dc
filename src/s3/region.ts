// Which region a bucket lives in, as S3 says when a request went to the wrong one. The one place that
// decides whether an error answer is a "wrong region" answer; S3Client acts on it (re-signs and sends
// once more inside the request's retry budget, and remembers the region for the bucket).
//
// What AWS answers (documented and observed; the SDKs' region redirectors read the same fields):
// - 301 PermanentRedirect, body <Error><Code>PermanentRedirect</Code>...<Endpoint>B.s3.R.amazonaws.com
//   </Endpoint><Bucket>B</Bucket>..., header x-amz-bucket-region: R (older regions, older endpoints).
// - 400 AuthorizationHeaderMalformed "the region 'us-east-1' is wrong; expecting 'R'", body
//   <Region>R</Region>, header x-amz-bucket-region: R (SigV4 scoped to the wrong region; the only
//   answer from regions launched after March 2019).
// - 307 TemporaryRedirect with <Endpoint> and a Location header (a new bucket whose DNS has not
//   spread yet).
// - 400 IllegalLocationConstraintException (opt-in regions) on anything but CreateBucket.
// - HEAD answers have no body: a 301 or 400 with only the x-amz-bucket-region header.

/** The parts of an S3 error answer that can name a region. */
export interface RegionFacts {
  status: number;
  code: string;
  /** The x-amz-bucket-region response header. */
  headerRegion?: string;
  /** <Region> in the error body (AuthorizationHeaderMalformed). */
  bodyRegion?: string;
  /** <Endpoint> in the error body (PermanentRedirect, TemporaryRedirect). */
  endpoint?: string;
}

export interface RegionRedirect {
  /** The region the bucket is in. */
  region: string;
  /** 'redirect': a 301/302/307 (s3cmd: "Redirected to ..."); 'signing': a 400 naming the region. */
  kind: 'redirect' | 'signing';
}

const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const REDIRECT_CODES = new Set(['PermanentRedirect', 'TemporaryRedirect']);

export const isRegionName = (r: string | undefined): r is string => r !== undefined && REGION_RE.test(r);

/** The region in an AWS S3 host name: B.s3.eu-west-1.amazonaws.com, s3-eu-west-1.amazonaws.com, s3.dualstack.R..., s3-fips.R... */
export function regionFromS3Host(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const m = /(?:^|\.)s3(?:-fips)?[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Does this error answer say the bucket is in another region, and which? `req` is the request that
 * got it. Undefined: not a wrong-region answer, or one that does not say where the bucket is.
 */
export function regionRedirect(f: RegionFacts, req: { method: string; bucket?: string; key?: string }): RegionRedirect | undefined {
  if (!req.bucket) return undefined;
  const isRedirect = f.status === 301 || f.status === 302 || f.status === 307 || REDIRECT_CODES.has(f.code);
  const isSigning = f.code === 'AuthorizationHeaderMalformed';
  // CreateBucket with a LocationConstraint the endpoint cannot create is a real error, not a redirect.
  const isOptIn = f.code === 'IllegalLocationConstraintException' && !(req.method === 'PUT' && !req.key);
  // A HEAD has no body: a 400 counts only when the header names the region.
  const isHead = req.method === 'HEAD' && f.status === 400 && f.headerRegion !== undefined;
  if (!isRedirect && !isSigning && !isOptIn && !isHead) return undefined;
  const region = [f.headerRegion, f.bodyRegion, regionFromS3Host(f.endpoint)].find(isRegionName);
  if (!region) return undefined;
  return { region, kind: isRedirect ? 'redirect' : 'signing' };
}
