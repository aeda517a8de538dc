// The S3 wire: builds URLs (path or virtual-host style), signs with its own SigV4 (sigv4.ts) or SigV2
// (sigv2.ts) when asked, sends through net/, turns error answers into S3Error. Each logical request
// runs inside one retry budget (net/retry.ts): the answer is read and checked inside the attempt, so
// a failure noticed while reading the body is spent from the same budget as an error status. Never
// prints.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { requestStream, readBody, type TlsOptions, type HttpResponse } from '../net/http.ts';
import { RetryBudget, classify, withRetry, type RetryPolicy } from '../net/retry.ts';
import type { CredentialProvider } from '../credentials/types.ts';
import { S3Error, AnonymousAccessDenied, RetriesExhaustedError, SseCustomerKeyError, reasonPhrase } from './errors.ts';
import { parseXml, text } from './xml.ts';
import { encodeKey } from './uri.ts';
import { signV4, sha256Hex, rfc3986, EMPTY_SHA256 } from './sigv4.ts';
import { signV2 } from './sigv2.ts';
import { regionRedirect, type RegionRedirect } from './region.ts';
import { customerKeyHeaders, needsCustomerKey, type SseCustomerKey } from './sse-c.ts';

export interface S3ClientOptions {
  /** scheme://host[:port] of the service, e.g. http://127.0.0.1:7480 */
  endpoint: URL;
  /** Virtual-host template like `%(bucket)s.s3.amazonaws.com`; undefined = path style. */
  hostBucketTemplate?: string;
  region: string;
  credentials: CredentialProvider;
  tls?: TlsOptions;
  /** The budget every logical request gets (--max-retries). */
  retry: RetryPolicy;
  timeoutMs: number;
  debug?: (msg: string | (() => string)) => void;
  /** Called before each retry (for -v messages). */
  onRetry?: (what: string, attempt: number, reason: string, delayMs: number) => void;
  requesterPays?: boolean;
  /** Sign with AWS Signature Version 2 (HMAC-SHA1) instead of SigV4 (s3cmd's signature_v2). */
  signatureV2?: boolean;
  /** --no-sign-request: send every request unsigned and never ask `credentials` for a key. */
  anonymous?: boolean;
  /**
   * The endpoint is AWS's own: the S3 host name for a region (config/aws-endpoints.ts, with FIPS and
   * dual-stack applied). A bucket found in another region is then sent to that region's host;
   * without it (a custom endpoint) only the signing region changes.
   */
  awsHost?: (region: string) => string;
  /** A bucket turned out to be in another region (once per bucket and run): for s3cmd's -v lines. */
  onRegionRedirect?: (bucket: string, to: RegionRedirect, host: string | undefined) => void;
  /** SSE-C: the key every request on object data carries (--sse-customer-key). */
  sseCustomerKey?: SseCustomerKey;
  /** SSE-C key of the source of server-side copies (--sse-copy-source-customer-key). */
  sseCopySourceKey?: SseCustomerKey;
}

export interface S3Request {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  bucket?: string;
  key?: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** A Buffer/string, or a factory returning a fresh stream for each attempt (UNSIGNED-PAYLOAD). */
  body?: Buffer | string | (() => Readable);
  /** Sign with UNSIGNED-PAYLOAD instead of hashing the body (object data; integrity via Content-MD5). */
  unsignedPayload?: boolean;
  /** Statuses that are not errors (default 2xx). */
  okStatus?: (status: number) => boolean;
  /** SSE-C: this request reads the source of a copy, so it carries the copy-source key. */
  copySource?: boolean;
}

export interface RequestOptions {
  /** The budget to spend (default: a fresh one from the client's policy). */
  budget?: RetryBudget;
  /** Hear about this request's retries instead of the client's onRetry. */
  onRetry?: (reason: string, attempt: number, delayMs: number) => void;
}

/**
 * Reads and checks a successful answer inside the attempt. Whatever it throws is classified like
 * any other failure: a broken or corrupt body (NetworkError, IntegrityError) is retried within the
 * request's budget, anything else (a local file error, say) ends the request at once.
 */
export type Consume<T> = (res: IncomingMessage, attempt: number) => Promise<T>;

const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired']);

const reasonOf = (e: unknown) => (e instanceof S3Error ? `${e.status} (${e.code})` : e instanceof Error ? e.message : String(e));

export class S3Client {
  /** Buckets found in another region than opts.region during this run (learned from redirects). */
  private readonly bucketRegions = new Map<string, string>();

  constructor(readonly opts: S3ClientOptions) {}

  /** The region requests for `bucket` are signed for: the one S3 named for it, else the configured one. */
  regionFor(bucket?: string): string {
    return (bucket && this.bucketRegions.get(bucket)) || this.opts.region;
  }

  /** SSE-C is in use: ETags are not MD5s of the data (AWS), so integrity checks use s3cmd-attrs. */
  get customerKeyInUse(): boolean {
    return !!this.opts.sseCustomerKey;
  }

  /** The same for reads of the source of server-side copies (S3Request.copySource): its own key. */
  get copySourceKeyInUse(): boolean {
    return !!this.opts.sseCopySourceKey;
  }

  /** A fresh budget for one logical request. */
  budget(): RetryBudget {
    return new RetryBudget(this.opts.retry);
  }

  /** Host and path for a bucket/key in the configured addressing style. */
  target(bucket?: string, key?: string): { host: string; path: string; protocol: string; hostBucket?: string } {
    const ep = this.opts.endpoint;
    const protocol = ep.protocol;
    const encKey = key ? encodeKey(key) : '';
    const moved = bucket && this.opts.awsHost ? this.bucketRegions.get(bucket) : undefined;
    const regionHost = moved ? this.opts.awsHost!(moved) + (ep.port ? `:${ep.port}` : '') : undefined;
    if (bucket && this.opts.hostBucketTemplate && !bucket.includes('.')) {
      const host = regionHost ? `${bucket}.${regionHost}` : this.opts.hostBucketTemplate.replace('%(bucket)s', bucket);
      return { host, path: '/' + encKey, protocol, hostBucket: bucket };
    }
    const path = bucket ? `/${encodeURIComponent(bucket)}/${encKey}` : '/';
    return { host: regionHost ?? ep.host, path, protocol };
  }

  private async sign(req: S3Request, forceRefresh: boolean) {
    const creds = this.opts.anonymous ? undefined : await this.opts.credentials.get(forceRefresh ? { forceRefresh: true } : undefined);
    const { host, path, protocol, hostBucket } = this.target(req.bucket, req.key);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    const bodyIsStream = typeof req.body === 'function';
    const unsigned = bodyIsStream || !!req.unsignedPayload;
    if (req.body !== undefined && !bodyIsStream && headers['Content-Length'] === undefined)
      headers['Content-Length'] = String(Buffer.byteLength(req.body as Buffer | string));
    if (req.body === undefined && (req.method === 'PUT' || req.method === 'POST')) headers['Content-Length'] = '0';
    if (this.opts.requesterPays) headers['x-amz-request-payer'] = 'requester';
    const dataKey = req.copySource ? this.opts.sseCopySourceKey : this.opts.sseCustomerKey;
    if (dataKey && needsCustomerKey(req.method, req.key, req.query)) Object.assign(headers, customerKeyHeaders(dataKey));
    if (this.opts.sseCopySourceKey && headers['x-amz-copy-source']) Object.assign(headers, customerKeyHeaders(this.opts.sseCopySourceKey, true));
    const query: [string, string][] = [];
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query.push([k, v]);
    if (!creds) {
      // --no-sign-request: no Authorization and no X-Amz-* signing headers
    } else if (this.opts.signatureV2) {
      // SigV2: no payload hash header; the body's integrity rides on Content-MD5 (signed) where sent
      const sts = signV2({ method: req.method, hostBucket, path, query, headers }, creds);
      this.opts.debug?.(() => `SigV2 string to sign: ${JSON.stringify(sts.split('\n'))}, Authorization: ${headers.Authorization}`);
    } else {
      const payloadHash = unsigned ? 'UNSIGNED-PAYLOAD' : req.body === undefined ? EMPTY_SHA256 : sha256Hex(req.body as Buffer | string);
      signV4({ method: req.method, host, path, query, headers, payloadHash, region: this.regionFor(req.bucket) }, creds);
    }
    const qs = query.map(([k, v]) => (v === '' ? `${rfc3986(k)}=` : `${rfc3986(k)}=${rfc3986(v)}`)).join('&');
    const url = new URL(`${protocol}//${host}${path}${qs ? '?' + qs : ''}`);
    return { url, headers, where: this.where(req.bucket, host) };
  }

  /** What decides where a request lands: the host, and the signing region where one is signed in. */
  private where(bucket: string | undefined, host: string): string {
    const regionSigned = !this.opts.anonymous && !this.opts.signatureV2;
    return regionSigned ? `${host} ${this.regionFor(bucket)}` : host;
  }

  /**
   * A wrong-region answer to a request for `bucket` sent to `usedWhere`: remember the bucket's region
   * and say whether sending again would land differently (a new host or signing region).
   */
  private followRegion(e: unknown, req: S3Request, usedWhere: string): boolean {
    if (!(e instanceof S3Error) || !req.bucket) return false;
    const to = regionRedirect({ status: e.status, code: e.code, ...e.region }, req);
    if (!to) return false;
    const bucket = req.bucket;
    const known = this.regionFor(bucket);
    const remembered = this.bucketRegions.get(bucket);
    // The same region can still mean a new host: the global s3.amazonaws.com, path style, for a
    // bucket elsewhere gets a 301 naming the region the request was already signed for.
    if (remembered !== to.region && (to.region !== known || this.opts.awsHost)) {
      this.bucketRegions.set(bucket, to.region);
      const host = this.opts.awsHost ? this.target(bucket).host : undefined;
      this.opts.debug?.(
        `S3 bucket ${bucket} is in region ${to.region}${to.region !== known ? `, not ${known}` : ''} (${e.status} ${e.code}); its requests go ${host ? `to ${host} ` : ''}there for the rest of this run. Set --region ${to.region} to save the extra request.`,
      );
      this.opts.onRegionRedirect?.(bucket, to, host);
    }
    return this.where(bucket, this.target(bucket).host) !== usedWhere;
  }

  /** Send a request whose answer fits in memory (XML, empty bodies). Retries; throws S3Error. */
  send(req: S3Request, o: RequestOptions = {}): Promise<HttpResponse> {
    return this.request(req, async (res) => ({ status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) }), o);
  }

  /**
   * Send a request and return the response stream on success. The budget covers the exchange up to
   * the response head only: a body that breaks later cannot be retried here (use request() with a
   * consumer that reads it, where that is possible).
   */
  sendStream(req: S3Request, o: RequestOptions = {}): Promise<IncomingMessage> {
    return this.request(req, async (res) => res, o);
  }

  private isOk(req: S3Request, status: number): boolean {
    return req.okStatus ? req.okStatus(status) : status >= 200 && status < 300;
  }

  /**
   * One logical request in one budget: sign, send, and on a successful status hand the answer to
   * `consume`, which reads and checks it. `req` may be a function of the attempt number (0-based) to
   * change the request between attempts, e.g. the Range of a download that resumes.
   *
   * A request that keeps failing is sent exactly maxRetries + 1 times, then RetriesExhaustedError.
   * ExpiredToken: the credentials are refreshed once and the request sent again at once. That
   * attempt counts inside the same budget: the promise "never more than maxRetries + 1 sends" holds
   * for every request, and with --max-retries=0 an ExpiredToken answer is reported as it is.
   */
  async request<T>(req: S3Request | ((attempt: number) => S3Request | Promise<S3Request>), consume: Consume<T>, o: RequestOptions = {}): Promise<T> {
    const budget = o.budget ?? this.budget();
    let refreshed = false;
    let forceRefresh = false;
    let redirected = false;
    let quietRetry = false;
    let current: S3Request | undefined;
    let usedWhere = '';
    const decide = (e: unknown) => {
      quietRetry = false;
      // Sent to the wrong region: once per request, at once, inside the same budget.
      if (!redirected && current && this.followRegion(e, current, usedWhere)) {
        if (budget.exhausted) return 'fail' as const;
        redirected = true;
        quietRetry = true;
        return 'retry-now' as const;
      }
      if (e instanceof S3Error && EXPIRED_CODES.has(e.code) && !refreshed) {
        if (budget.exhausted) return 'fail' as const;
        refreshed = true;
        forceRefresh = true;
        this.opts.debug?.(`${e.code}: refreshing credentials and retrying once`);
        return 'retry-now' as const;
      }
      return classify(e);
    };
    const what = () => (current ? `${current.method} ${describe(current)}` : 'request');
    return withRetry(
      budget,
      async (attempt) => {
        current = typeof req === 'function' ? await req(attempt) : req;
        const r = current;
        const { url, headers, where } = await this.sign(r, forceRefresh);
        usedWhere = where;
        forceRefresh = false;
        const body = typeof r.body === 'function' ? r.body() : r.body;
        const t0 = performance.now();
        const res = await requestStream({ method: r.method, url, headers, body, timeoutMs: this.opts.timeoutMs, tls: this.opts.tls });
        const status = res.statusCode ?? 0;
        this.opts.debug?.(() => `${r.method} ${url.pathname}${url.search} -> ${status} (${(performance.now() - t0).toFixed(1)} ms)`);
        if (!this.isOk(r, status)) {
          const buf = await readBody(res);
          throw sseCustomerError(this.anonymousDenied(parseError({ status, headers: res.headers, body: buf }, r)), r, headers);
        }
        // A reset can arrive between the head and the consumer's first read (say while it writes a
        // state file): without a listener that 'error' would be uncaught and end the process. The
        // error stays on the stream, and the consumer's read or pipeline throws it into the budget.
        res.on('error', () => undefined);
        try {
          return await consume(res, attempt);
        } catch (e) {
          res.destroy();
          throw e;
        }
      },
      {
        decide,
        onRetry: (e, n, delay) => {
          if (quietRetry) return; // the redirect was reported by onRegionRedirect
          if (o.onRetry) o.onRetry(reasonOf(e), n, delay);
          else if (current) this.opts.onRetry?.(`${current.method} ${this.target(current.bucket, current.key).path}`, n, reasonOf(e), delay);
        },
        onExhausted: (e, attempts) => new RetriesExhaustedError(what(), attempts, reasonOf(e), e),
      },
    );
  }

  /** --no-sign-request: a 403 also says that the request was unsigned. */
  private anonymousDenied(err: S3Error): S3Error {
    return this.opts.anonymous && err.status === 403 ? new AnonymousAccessDenied(err.status, err.code, err.s3Message, err.resource, err.requestId) : err;
  }
}

/**
 * An error that is about SSE-C: 400 or 403 to a request that carried a customer key (a wrong key, or
 * a key for an object without SSE-C), or, without one, an answer saying the object needs it (RGW:
 * 400 InvalidArgument about "Customer provided keys"; AWS: 400 InvalidRequest; any HEAD: a bare 400).
 */
function sseCustomerError(e: S3Error, req: S3Request, sent: Record<string, string>): S3Error {
  if (req.key === undefined) return e;
  if (e.status === 501 && sent['x-amz-copy-source-server-side-encryption-customer-algorithm'])
    return new SseCustomerKeyError(e, true, "this server cannot copy SSE-C objects server-side (Ceph RGW before 17 cannot): copy them with 'get' and 'put'");
  if (e.status !== 400 && e.status !== 403) return e;
  const keySent = !!(sent['x-amz-server-side-encryption-customer-algorithm'] || sent['x-amz-copy-source-server-side-encryption-customer-algorithm']);
  if (keySent) return new SseCustomerKeyError(e, true);
  const about = /customer[- ]provided|server side encryption|encryption parameters/i.test(e.s3Message) || (req.method === 'HEAD' && e.status === 400);
  return about && (req.method === 'GET' || req.method === 'HEAD' || !!sent['x-amz-copy-source']) ? new SseCustomerKeyError(e, false) : e;
}

const describe = (req: S3Request) => (req.bucket ? `s3://${req.bucket}/${req.key ?? ''}` : 'service');

/** Turn an error answer into S3Error. HEAD answers have no body: derive the code from the status. */
export function parseError(res: HttpResponse, req: S3Request): S3Error {
  let code = '';
  let message = '';
  let resource = '';
  let requestId = '';
  let bodyRegion = '';
  let endpoint = '';
  if (res.body.length) {
    try {
      const doc = parseXml(res.body);
      const e = doc.Error ?? doc.ErrorResponse?.Error ?? {};
      code = text(e.Code);
      message = text(e.Message);
      resource = text(e.Resource);
      requestId = text(e.RequestId);
      bodyRegion = text(e.Region);
      endpoint = text(e.Endpoint);
    } catch {
      message = `unparseable error body (${res.body.length} bytes)`;
    }
  }
  if (!code) {
    // HEAD answers carry no body: name the error from the status as s3cmd does.
    if (res.status === 404) code = req.key ? 'NoSuchKey' : 'NoSuchBucket';
    else code = reasonPhrase(res.status);
    if (code === 'NoSuchKey') message = 'The specified key does not exist.';
  }
  if (!resource) resource = req.bucket ? `/${req.bucket}${req.key ? '/' + req.key : ''}` : '/';
  const err = new S3Error(res.status, code, message, resource, requestId);
  const h = res.headers['x-amz-bucket-region'];
  const headerRegion = Array.isArray(h) ? h[0] : h;
  if (headerRegion || bodyRegion || endpoint) err.region = { headerRegion: headerRegion || undefined, bodyRegion: bodyRegion || undefined, endpoint: endpoint || undefined };
  return err;
}
