// The S3 half of `s3k doctor`: the endpoint reachable (DNS/TCP/TLS, through the proxy when one
// applies), the local clock against the server's Date header, and the bucket (or, without one, a
// signed ListBuckets) with these credentials: 403 and 404 told apart, each with its fix.
// Returns checks; never prints.
import { EX, exitCodeForErrno } from '../errors.ts';
import { NetworkError, type TlsOptions } from '../net/http.ts';
import { type Check, clockSkewMs, judgeClockSkew, probeReach, reachSummary, serverClock, SKEW_FAIL_MS, SKEW_WARN_MS } from '../net/reach.ts';
import type { S3Client } from './client.ts';
import { RetriesExhaustedError, S3Error } from './errors.ts';
import { getBucketLocation, listBuckets } from './ops.ts';

const endpointText = (u: URL) => `${u.protocol}//${u.host}`;

export async function s3ReachCheck(endpoint: URL, tls?: TlsOptions): Promise<Check> {
  const r = await probeReach(endpoint, { tls });
  if (r.ok) return { name: 's3.reachable', status: 'ok', detail: `${endpointText(endpoint)}: ${reachSummary(r)}` };
  const last = r.steps[r.steps.length - 1];
  return {
    name: 's3.reachable',
    status: 'fail',
    detail: `cannot reach S3 endpoint ${endpointText(endpoint)}: ${reachSummary(r)}`,
    fix:
      last?.step === 'tls'
        ? 'trust the endpoint\'s certificate: --ca-certs FILE for a private CA, or --no-check-certificate (insecure)'
        : `check host_base / --host / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and that the pod may reach it (network policy, security group, VPC endpoint for S3)${r.via ? `; it went through proxy ${r.via}: check the proxy, or add the host to NO_PROXY` : ''}`,
    exitCode: exitCodeForErrno(last?.code, 'network'),
  };
}

/** "3 min 20 s ahead" style text for a skew (server minus local). */
export function skewText(skewMs: number): string {
  const s = Math.round(Math.abs(skewMs) / 1000);
  const t = s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
  return skewMs === 0 ? 'in step' : skewMs > 0 ? `${t} behind the server` : `${t} ahead of the server`;
}

/** Pure: the check for a Date header read between `before` and `after` (local ms). */
export function clockCheckFrom(date: string, before: number, after: number, where: string): Check {
  const skew = clockSkewMs(date, before, after);
  if (skew === undefined) return { name: 'clock.skew', status: 'warn', detail: `${where} sent an unreadable Date header "${date}"`, fix: 'check the clock by other means (NTP)' };
  const judged = judgeClockSkew(skew);
  const detail = `local clock is ${skewText(skew)} (server Date ${date}, ${where})`;
  if (judged === 'ok') return { name: 'clock.skew', status: 'ok', detail };
  return {
    name: 'clock.skew',
    status: judged,
    detail: `${detail}; more than ${(judged === 'fail' ? SKEW_FAIL_MS : SKEW_WARN_MS) / 60_000} min`,
    fix: `sync this machine's clock (NTP, chrony; on a node: the time sync daemon); SigV4 requests more than 15 min off are refused (RequestTimeTooSkewed)`,
    ...(judged === 'fail' ? { exitCode: EX.ACCESSDENIED } : {}),
  };
}

export async function clockCheck(endpoint: URL, tls?: TlsOptions, now: () => number = Date.now): Promise<Check> {
  try {
    const c = await serverClock(endpoint, tls, now);
    if (!c) return { name: 'clock.skew', status: 'skip', detail: `${endpointText(endpoint)} sent no Date header` };
    return clockCheckFrom(c.date, c.before, c.after, `${endpointText(endpoint)}`);
  } catch (e) {
    return { name: 'clock.skew', status: 'skip', detail: `no answer from ${endpointText(endpoint)} (${e instanceof NetworkError ? e.code : (e as Error).message})` };
  }
}

/** A failure of a signed request, as the fix a person needs. */
function s3Failure(name: string, e: unknown, what: string, bucket?: string): Check {
  const cause = e instanceof RetriesExhaustedError ? e.lastError : e;
  if (cause instanceof S3Error) {
    const base = `${what}: ${cause.status} ${cause.code}${cause.s3Message ? ` (${cause.s3Message})` : ''}`;
    switch (cause.code) {
      case 'InvalidAccessKeyId':
      case 'SignatureDoesNotMatch':
        return { name, status: 'fail', detail: base, fix: "the server does not accept these keys: check the access and secret key (or the role's session); a wrong region or endpoint also breaks signatures", exitCode: EX.ACCESSDENIED };
      case 'ExpiredToken':
      case 'TokenRefreshRequired':
        return { name, status: 'fail', detail: base, fix: 'the session token has expired: get fresh credentials (AWS_SESSION_TOKEN from an old session?)', exitCode: EX.ACCESSDENIED };
      case 'RequestTimeTooSkewed':
        return { name, status: 'fail', detail: base, fix: "sync this machine's clock (NTP)", exitCode: EX.ACCESSDENIED };
      case 'NoSuchBucket':
        return {
          name,
          status: 'fail',
          detail: `${what}: 404 NoSuchBucket: the credentials are fine, there is no bucket ${bucket} at this endpoint`,
          fix: `check the bucket name, the endpoint (host_base / AWS_ENDPOINT_URL_S3) and region; 's3k mb s3://${bucket}' creates it`,
          exitCode: EX.NOTFOUND,
        };
    }
    if (cause.status === 403)
      return {
        name,
        status: 'fail',
        detail: `${base}: the credentials work but may not ${bucket ? `use bucket ${bucket}` : 'list buckets'}`,
        fix: bucket
          ? `allow s3:ListBucket on arn:aws:s3:::${bucket} (and s3:GetObject/PutObject on arn:aws:s3:::${bucket}/*) in the role's or user's policy, and check the bucket policy does not deny it; a bucket owned by another account needs its bucket policy to grant this principal`
          : 'allow s3:ListAllMyBuckets in the policy, or run s3k doctor s3://BUCKET to check one bucket',
        exitCode: EX.ACCESSDENIED,
      };
    if (cause.status === 301 || cause.status === 307)
      return { name, status: 'fail', detail: base, fix: 'the bucket is in another region: set --region / AWS_REGION / bucket_location to it (or use its regional endpoint)', exitCode: EX.SERVERMOVED };
    return { name, status: 'fail', detail: base, fix: 'see the server\'s message', exitCode: cause.exitCode };
  }
  if (cause instanceof NetworkError) return { name, status: 'fail', detail: `${what}: ${cause.code}: ${cause.message}`, fix: 'check the endpoint and the network path to it (see s3.reachable)', exitCode: cause.exitCode };
  const err = e as { message?: string; exitCode?: number };
  return { name, status: 'fail', detail: `${what}: ${err?.message ?? String(e)}`, exitCode: err?.exitCode ?? EX.GENERAL };
}

/** HEAD bucket (403 vs 404), then its region (x-amz-bucket-region, else GetBucketLocation). */
export async function bucketCheck(c: S3Client, bucket: string, region: string): Promise<Check> {
  const name = 's3.bucket';
  let headers: Record<string, string | string[] | undefined>;
  try {
    headers = (await c.send({ method: 'HEAD', bucket })).headers;
  } catch (e) {
    return s3Failure(name, e, `HEAD s3://${bucket}`, bucket);
  }
  let where = typeof headers['x-amz-bucket-region'] === 'string' ? headers['x-amz-bucket-region'] : undefined;
  if (!where) {
    try {
      where = (await getBucketLocation(c, bucket)) || 'us-east-1';
    } catch {
      // the HEAD worked; the location is a nicety (GetBucketLocation may be denied)
    }
  }
  const detail = `s3://${bucket} is reachable with these credentials (HEAD 200)${where ? `, region ${where}` : ''}`;
  if (where && isAwsRegion(where) && isAwsRegion(region) && where !== region)
    return { name, status: 'warn', detail: `${detail}; s3k signs for ${region}`, fix: `set --region ${where} (or AWS_REGION, or bucket_location in .s3cfg)` };
  return { name, status: 'ok', detail };
}

const isAwsRegion = (r: string) => /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(r);

/** Without a bucket: a signed ListBuckets proves the server accepts the credentials. */
export async function authCheck(c: S3Client): Promise<Check> {
  try {
    const buckets = await listBuckets(c);
    return { name: 's3.auth', status: 'ok', detail: `signed ListBuckets accepted: ${buckets.length} bucket${buckets.length === 1 ? '' : 's'} visible` };
  } catch (e) {
    const cause = e instanceof RetriesExhaustedError ? e.lastError : e;
    if (cause instanceof S3Error && cause.status === 403 && (cause.code === 'AccessDenied' || cause.code === 'AllAccessDisabled'))
      return { name: 's3.auth', status: 'warn', detail: 'signed ListBuckets: 403 AccessDenied (the keys are accepted, listing buckets is not allowed)', fix: 'run s3k doctor s3://BUCKET to check the bucket you use' };
    return s3Failure('s3.auth', e, 'signed ListBuckets');
  }
}

