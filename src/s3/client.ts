// The S3 wire: builds URLs (path or virtual-host style), signs with its own SigV4 (sigv4.ts) or SigV2
// (sigv2.ts) when asked, sends through net/, retries transient failures, turns error answers into
// S3Error. Never prints.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { request, requestStream, readBody, NetworkError, type TlsOptions, type HttpResponse } from '../net/http.ts';
import { backoffMs, sleep, type RetryPolicy } from '../net/retry.ts';
import type { CredentialProvider } from '../credentials/types.ts';
import { S3Error, RetriesExhaustedError, reasonPhrase } from './errors.ts';
import { parseXml, text } from './xml.ts';
import { encodeKey } from './uri.ts';
import { signV4, sha256Hex, rfc3986, EMPTY_SHA256 } from './sigv4.ts';
import { signV2 } from './sigv2.ts';

export interface S3ClientOptions {
  /** scheme://host[:port] of the service, e.g. http://127.0.0.1:7480 */
  endpoint: URL;
  /** Virtual-host template like `%(bucket)s.s3.amazonaws.com`; undefined = path style. */
  hostBucketTemplate?: string;
  region: string;
  credentials: CredentialProvider;
  tls?: TlsOptions;
  retry: RetryPolicy;
  timeoutMs: number;
  debug?: (msg: string | (() => string)) => void;
  /** Called before each retry (for -v messages). */
  onRetry?: (what: string, attempt: number, reason: string, delayMs: number) => void;
  requesterPays?: boolean;
  /** Sign with AWS Signature Version 2 (HMAC-SHA1) instead of SigV4 (s3cmd's signature_v2). */
  signatureV2?: boolean;
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
}

// Answers worth another try: server trouble, throttling, and bodies corrupted in transit.
const RETRYABLE_CODES = new Set(['SlowDown', 'InternalError', 'RequestTimeout', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'OperationAborted', 'BadDigest', 'XAmzContentSHA256Mismatch', 'IncompleteBody']);
const RETRYABLE_NET = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired']);

export class S3Client {
  constructor(readonly opts: S3ClientOptions) {}

  /** Host and path for a bucket/key in the configured addressing style. */
  target(bucket?: string, key?: string): { host: string; path: string; protocol: string; hostBucket?: string } {
    const ep = this.opts.endpoint;
    const protocol = ep.protocol;
    const encKey = key ? encodeKey(key) : '';
    if (bucket && this.opts.hostBucketTemplate && !bucket.includes('.')) {
      const host = this.opts.hostBucketTemplate.replace('%(bucket)s', bucket);
      return { host, path: '/' + encKey, protocol, hostBucket: bucket };
    }
    const path = bucket ? `/${encodeURIComponent(bucket)}/${encKey}` : '/';
    return { host: ep.host, path, protocol };
  }

  private async sign(req: S3Request, forceRefresh: boolean) {
    const creds = await this.opts.credentials.get(forceRefresh ? { forceRefresh: true } : undefined);
    const { host, path, protocol, hostBucket } = this.target(req.bucket, req.key);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    const bodyIsStream = typeof req.body === 'function';
    const unsigned = bodyIsStream || !!req.unsignedPayload;
    if (req.body !== undefined && !bodyIsStream && headers['Content-Length'] === undefined)
      headers['Content-Length'] = String(Buffer.byteLength(req.body as Buffer | string));
    if (req.body === undefined && (req.method === 'PUT' || req.method === 'POST')) headers['Content-Length'] = '0';
    if (this.opts.requesterPays) headers['x-amz-request-payer'] = 'requester';
    const query: [string, string][] = [];
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query.push([k, v]);
    if (this.opts.signatureV2) {
      // SigV2: no payload hash header; the body's integrity rides on Content-MD5 (signed) where sent
      const sts = signV2({ method: req.method, hostBucket, path, query, headers }, creds);
      this.opts.debug?.(() => `SigV2 string to sign: ${JSON.stringify(sts.split('\n'))}, Authorization: ${headers.Authorization}`);
    } else {
      const payloadHash = unsigned ? 'UNSIGNED-PAYLOAD' : req.body === undefined ? EMPTY_SHA256 : sha256Hex(req.body as Buffer | string);
      signV4({ method: req.method, host, path, query, headers, payloadHash, region: this.opts.region }, creds);
    }
    const qs = query.map(([k, v]) => (v === '' ? `${rfc3986(k)}=` : `${rfc3986(k)}=${rfc3986(v)}`)).join('&');
    const url = new URL(`${protocol}//${host}${path}${qs ? '?' + qs : ''}`);
    return { url, headers };
  }

  /** Send a request whose answer fits in memory (XML, empty bodies). Retries; throws S3Error. */
  send(req: S3Request): Promise<HttpResponse> {
    return this.withRetries(req, async (url, headers, body) => {
      const res = await request({ method: req.method, url, headers, body, timeoutMs: this.opts.timeoutMs, tls: this.opts.tls });
      return { status: res.status, value: res, errorResponse: res };
    });
  }

  /** Send a request and return the response stream on success (object downloads). */
  sendStream(req: S3Request): Promise<IncomingMessage> {
    return this.withRetries(req, async (url, headers, body) => {
      const res = await requestStream({ method: req.method, url, headers, body, timeoutMs: this.opts.timeoutMs, tls: this.opts.tls });
      const status = res.statusCode ?? 0;
      if (this.isOk(req, status)) return { status, value: res };
      const buf = await readBody(res);
      return { status, errorResponse: { status, headers: res.headers, body: buf } };
    });
  }

  private isOk(req: S3Request, status: number): boolean {
    return req.okStatus ? req.okStatus(status) : status >= 200 && status < 300;
  }

  private async withRetries<T>(
    req: S3Request,
    attemptFn: (url: URL, headers: Record<string, string>, body: Buffer | string | Readable | undefined) => Promise<{ status: number; value?: T; errorResponse?: HttpResponse }>,
  ): Promise<T> {
    const { retry } = this.opts;
    let refreshed = false;
    let forceRefresh = false;
    for (let attempt = 0; ; attempt++) {
      const { url, headers } = await this.sign(req, forceRefresh);
      forceRefresh = false;
      const body = typeof req.body === 'function' ? req.body() : req.body;
      const t0 = performance.now();
      let reason: string;
      try {
        const out = await attemptFn(url, headers, body);
        const status = out.status;
        this.opts.debug?.(() => `${req.method} ${url.pathname}${url.search} -> ${status} (${(performance.now() - t0).toFixed(1)} ms)`);
        if (this.isOk(req, status)) return out.value as T;
        const err = parseError(out.errorResponse!, req);
        if (EXPIRED_CODES.has(err.code) && !refreshed) {
          refreshed = true;
          forceRefresh = true;
          this.opts.debug?.(`${err.code}: refreshing credentials and retrying once`);
          attempt--;
          continue;
        }
        // 501 Not Implemented and 505 will not change on a retry
        const retryable = (status >= 500 && status !== 501 && status !== 505) || status === 429 || RETRYABLE_CODES.has(err.code);
        if (!retryable) throw err;
        if (attempt >= retry.maxRetries) throw new RetriesExhaustedError(`${req.method} ${describe(req)}`, attempt + 1, `${status} (${err.code})`, err);
        reason = `${status} (${err.code})`;
      } catch (e) {
        if (e instanceof S3Error) throw e;
        if (!(e instanceof NetworkError) || !RETRYABLE_NET.has(e.code)) throw e;
        if (attempt >= retry.maxRetries) throw new RetriesExhaustedError(`${req.method} ${describe(req)}`, attempt + 1, e.message, e);
        reason = e.message;
      }
      const delay = backoffMs(attempt, retry);
      this.opts.onRetry?.(`${req.method} ${url.pathname}`, attempt + 1, reason, delay);
      await sleep(delay);
    }
  }
}

const describe = (req: S3Request) => (req.bucket ? `s3://${req.bucket}/${req.key ?? ''}` : 'service');

/** Turn an error answer into S3Error. HEAD answers have no body: derive the code from the status. */
export function parseError(res: HttpResponse, req: S3Request): S3Error {
  let code = '';
  let message = '';
  let resource = '';
  let requestId = '';
  if (res.body.length) {
    try {
      const doc = parseXml(res.body);
      const e = doc.Error ?? doc.ErrorResponse?.Error ?? {};
      code = text(e.Code);
      message = text(e.Message);
      resource = text(e.Resource);
      requestId = text(e.RequestId);
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
  return new S3Error(res.status, code, message, resource, requestId);
}
