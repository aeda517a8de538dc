// The HTTP call every credential endpoint (STS, SSO portal and OIDC, container agent, IMDS) goes through: a fresh
// connection, a connect timeout, a deadline for the whole exchange, and retries through the same
// budget code as S3 (net/retry.ts), with each endpoint's own budget (STS_RETRY, CONTAINER_RETRY,
// IMDS_RETRY). A credential fetch is its own logical request: an S3 request that triggers one does
// not retry it (a CredentialsError is never retryable there), so the two budgets never multiply.
import { NetworkError, request, type HttpResponse, type TlsOptions } from '../net/http.ts';
import { RetryBudget, classify, withRetry, type NetworkRetry } from '../net/retry.ts';
import { S3kError, exitCodeForStatus } from '../errors.ts';
import { CredentialsError } from './types.ts';

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
async function callOnce(o: CallOptions): Promise<HttpResponse> {
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
function withRetries<T>(
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

/** One credential endpoint exchange: how to build each attempt and read its answer. */
export interface EndpointCall {
  /** For debug lines: `credentials: <name>: ...`. */
  name: string;
  retry: RetrySettings;
  /** Which network failures are retried: 'any' (STS, SSO, container agent; the default) or 'none' (IMDS). */
  network?: NetworkRetry;
  /** The request of attempt n (1-based), built per attempt: a signature or a token file is fresh each time. */
  request: (n: number) => CallOptions | Promise<CallOptions>;
  /** Answers that are success (default: 2xx). */
  ok?: (status: number) => boolean;
  /** The service's error code and message in an error answer (for HttpStatusError). */
  errorOf?: (r: HttpResponse) => { code?: string; message?: string };
  /** What to redact from messages and debug lines (read when used: a token may change per attempt). */
  secrets: () => (string | undefined)[];
  debug?: (line: string) => void;
  /** Counts attempts across calls that share it (AssumeRole's second exchange after a source refresh). */
  counter?: { attempts: number };
  /**
   * The error to throw when the exchange fails, given the attempts made and the secrets (usually
   * endpointFailure(e, attempts, secrets, words)). Without it, the failure is rethrown as it is.
   */
  fail?: (e: unknown, attempts: number, secrets: (string | undefined)[]) => Error;
}

/**
 * The one way a credential endpoint is called: each attempt through callOnce (fresh connection,
 * connect and total timeouts, the CA bundle, proxy unless `direct`), a non-success answer as
 * HttpStatusError with the service's code and a redacted message, retries in `retry`'s budget with a
 * redacted debug line per retry. A failure goes through `fail` (endpointFailure() makes the line), or
 * is rethrown as it is.
 */
export async function callEndpoint(c: EndpointCall): Promise<HttpResponse> {
  const ok = c.ok ?? ((s: number) => s >= 200 && s < 300);
  const counter = c.counter ?? { attempts: 0 };
  try {
    return await withRetries(
      c.retry,
      async () => {
        const r = await callOnce(await c.request(++counter.attempts));
        if (ok(r.status)) return r;
        const err = c.errorOf?.(r) ?? {};
        throw new HttpStatusError(r.status, err.code, err.message === undefined ? undefined : oneLine(err.message, c.secrets()));
      },
      (e) => isTransient(e, c.network ?? 'any'),
      (e, n, delay) => c.debug?.(`credentials: ${c.name}: ${oneLine(describeFailure(e), c.secrets())}; retry ${n}/${c.retry.maxRetries} in ${delay} ms`),
    );
  } catch (e) {
    throw c.fail ? c.fail(e, counter.attempts, c.secrets()) : e;
  }
}

/** How a provider words a failed exchange. `detail` is the redacted failure, with ", N attempts" when retried. */
export interface FailureWords {
  /** The endpoint in a certificate-failure line, e.g. 'STS endpoint'. */
  tlsWhat: string;
  /** No answer (refused, reset, timed out, name not found). */
  unreachable: (detail: string) => string;
  /** An error answer. `tries` is ", N attempts" or ''. */
  refused: (e: HttpStatusError, tries: string) => CredentialsError;
  /** Anything else. */
  failed: (detail: string) => string;
}

/** The one-line CredentialsError for a failed callEndpoint(); a CredentialsError passes through. */
export function endpointFailure(e: unknown, attempts: number, secrets: (string | undefined)[], w: FailureWords): CredentialsError {
  const tries = attempts > 1 ? `, ${attempts} attempts` : '';
  if (e instanceof CredentialsError) return e;
  if (e instanceof NetworkError && e.isTlsVerification) return new CredentialsError(e.tlsLine(w.tlsWhat));
  if (e instanceof NetworkError) return new CredentialsError(w.unreachable(`${oneLine(describeFailure(e), secrets)}${tries}`));
  if (e instanceof HttpStatusError) return w.refused(e, tries);
  return new CredentialsError(w.failed(oneLine(describeFailure(e), secrets)));
}
