// The HTTP call every credential endpoint (STS, container agent, IMDS) goes through: a fresh
// connection, a connect timeout, a deadline for the whole exchange, and retries through the same
// budget code as S3 (net/retry.ts), with each endpoint's own budget (STS_RETRY, CONTAINER_RETRY,
// IMDS_RETRY). A credential fetch is its own logical request: an S3 request that triggers one does
// not retry it (a CredentialsError is never retryable there), so the two budgets never multiply.
import { NetworkError, request, type HttpResponse, type TlsOptions } from '../net/http.ts';
import { RetryBudget, classify, withRetry, type NetworkRetry } from '../net/retry.ts';
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
  /** Never through a proxy: the instance metadata service and the container credential endpoints. */
  direct?: boolean;
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
      direct: o.direct,
    });
  } catch (e) {
    if (e instanceof NetworkError) throw e;
    // not a network failure (e.g. an unreadable CA file): as it is, never retried
    if (e instanceof S3kError) throw e;
    const err = e as Error & { code?: string };
    if (signal.aborted || err.name === 'AbortError' || err.name === 'TimeoutError')
      throw new NetworkError(`no complete response within ${o.totalTimeoutMs} ms`, 'ETIMEDOUT', o.url.origin);
    throw new NetworkError(err.message || String(e), err.code ?? 'ENETWORK', o.url.origin);
  }
}

/**
 * One logical request to a credential endpoint in one budget of `settings`: run `attempt` until it
 * succeeds, throws something `retryable` says no to, or the budget is spent; the last error is
 * rethrown. `onRetry` hears about each retry (for debug lines).
 */
export function withRetries<T>(
  settings: RetrySettings,
  attempt: (n: number) => Promise<T>,
  retryable: (e: unknown) => boolean,
  onRetry?: (e: unknown, n: number, delayMs: number) => void,
): Promise<T> {
  return withRetry(new RetryBudget(settings), attempt, { decide: (e) => (retryable(e) ? 'retry' : 'fail'), onRetry });
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

/**
 * The one classifier (net/retry.ts) for credential endpoints: 5xx (but 501/505), 429, a throttling
 * or transient code, or - with network 'any' (STS, container agent) - any network failure.
 * IMDS passes 'none': only error answers are retried there.
 */
export function isTransient(e: unknown, network: NetworkRetry = 'any'): boolean {
  if (!(e instanceof HttpStatusError) && !(e instanceof NetworkError)) return false;
  return classify(e, network) !== 'fail';
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
