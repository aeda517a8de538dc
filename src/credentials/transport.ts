// The HTTP call every credential endpoint (STS, container agent, IMDS) goes through: a fresh
// connection, a connect timeout, a deadline for the whole exchange, and retries with capped backoff.
import { NetworkError, request, type HttpResponse, type TlsOptions } from '../net/http.ts';
import { backoffMs, sleep as realSleep } from '../net/retry.ts';
import { S3kError, exitCodeForStatus } from '../errors.ts';

/** How a provider retries. Injectable so tests run with tiny or zero delays. */
export interface RetrySettings {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff in ms (full jitter, doubling). */
  baseMs: number;
  /** Largest single backoff in ms. */
  capMs: number;
  /** Waits between attempts (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for jitter (default Math.random). */
  random?: () => number;
}

export interface CallOptions {
  method: string;
  url: URL;
  headers?: Record<string, string | number>;
  body?: string;
  /** Abort if the TCP (and TLS) connection is not up within this many ms. */
  connectTimeoutMs: number;
  /** Abort if the whole exchange (connect, send, full response) takes longer. */
  totalTimeoutMs: number;
  tls?: TlsOptions;
}

/** One attempt. Network failures and timeouts come back as NetworkError. */
export async function callOnce(o: CallOptions): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(o.totalTimeoutMs);
  try {
    return await request({
      method: o.method,
      url: o.url,
      headers: o.headers,
      body: o.body,
      timeoutMs: o.totalTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      tls: o.tls,
      noKeepAlive: true,
      signal,
    });
  } catch (e) {
    if (e instanceof NetworkError) throw e;
    const err = e as Error & { code?: string };
    if (signal.aborted || err.name === 'AbortError' || err.name === 'TimeoutError')
      throw new NetworkError(`no complete response within ${o.totalTimeoutMs} ms`, 'ETIMEDOUT', o.url.origin);
    throw new NetworkError(err.message || String(e), err.code ?? 'ENETWORK', o.url.origin);
  }
}

/**
 * Run `attempt` until it succeeds, throws something `retryable` says no to, or the retries run out;
 * the last error is rethrown. `onRetry` hears about each retry (for debug lines).
 */
export async function withRetries<T>(
  settings: RetrySettings,
  attempt: (n: number) => Promise<T>,
  retryable: (e: unknown) => boolean,
  onRetry?: (e: unknown, n: number, delayMs: number) => void,
): Promise<T> {
  const wait = settings.sleep ?? realSleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (n >= settings.maxRetries || !retryable(e)) throw e;
      const delay = backoffMs(n, { maxRetries: settings.maxRetries, baseMs: settings.baseMs, capMs: settings.capMs }, settings.random);
      onRetry?.(e, n + 1, delay);
      await wait(delay);
    }
  }
}

/** A non-2xx answer, with the service's error code and message when the body carried them. */
export class HttpStatusError extends S3kError {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly serviceMessage: string | undefined,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}${serviceMessage ? `: ${serviceMessage}` : ''}`, exitCodeForStatus(status));
    this.name = 'HttpStatusError';
  }
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
]);

/** 5xx, 429, a throttling code, or a network failure: worth another attempt. */
export function isTransient(e: unknown): boolean {
  if (e instanceof NetworkError) return true;
  if (e instanceof HttpStatusError) return e.status >= 500 || e.status === 429 || (e.code !== undefined && THROTTLING.has(e.code));
  return false;
}

/** A server-supplied message made safe for one line: no line breaks, no secret, bounded length. */
export function oneLine(text: string | undefined, secrets: (string | undefined)[] = [], max = 300): string {
  if (!text) return '';
  let t = text;
  for (const s of secrets) if (s && s.length >= 8) t = t.split(s).join('<redacted>');
  // Anything shaped like a JWT is redacted too, whoever's it is.
  t = t.replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '<redacted-jwt>');
  t = t.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** A URL for messages: no user info, no query string. */
export function safeUrl(u: URL | string): string {
  const url = typeof u === 'string' ? new URL(u) : u;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** "ECONNREFUSED: Connection refused" style text for a failure. */
export function describeFailure(e: unknown): string {
  if (e instanceof NetworkError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
