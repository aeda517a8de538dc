// The one retry policy: one classifier and one budget per logical request.
//
// A logical request (an S3 GET, PUT, one part of a multipart upload, one ranged GET of a parallel
// download, one page of a listing, one AssumeRoleWithWebIdentity call, ...) gets one RetryBudget when
// it starts. Every failure of that request is spent from it, whichever layer notices the failure: an
// error status, a connection reset, a timeout, a body that breaks or turns out corrupt while it is
// read, an upload whose ETag does not match the bytes sent. Layers above never loop again: they do
// their checks inside the attempt (see S3Client.request), so a request that fails every time is sent
// exactly maxRetries + 1 times.
import { NetworkError } from './http.ts';
import { EX, S3kError } from '../errors.ts';

/** A failure with a numeric HTTP status and, when the service said so, an error code (S3Error, HttpStatusError). */
interface StatusLike {
  status: number;
  code?: unknown;
}

export interface RetryPolicy {
  /** Retries after the first attempt (s3cmd's max_retries, default 5): at most maxRetries + 1 attempts. */
  maxRetries: number;
  /** First backoff in ms (default 200). */
  baseMs?: number;
  /** Largest backoff in ms (default 20 s). */
  capMs?: number;
  /** Waits between attempts (default setTimeout; tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for the jitter (default Math.random). */
  random?: () => number;
}

/** Capped exponential backoff with full jitter before retry number `attempt + 1`. */
export function backoffMs(attempt: number, policy: RetryPolicy, random = policy.random ?? Math.random): number {
  const base = policy.baseMs ?? 200;
  const cap = policy.capMs ?? 20_000;
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A body that arrived, or was stored, different from what it should be: a download whose MD5 is not
 * the object's, an upload whose ETag is not the MD5 of the bytes sent. Worth another attempt.
 */
export class IntegrityError extends S3kError {
  readonly code = 'EINTEGRITY';
  constructor(message: string) {
    super(message, EX.TEMPFAIL);
    this.name = 'IntegrityError';
  }
  /** Reported like any transfer that kept failing (normally it arrives inside RetriesExhaustedError). */
  override get line(): string {
    return `S3 Temporary Error: ${this.message}.  Please try again later.`;
  }
}

/** Error codes from S3, STS and the other AWS-style services that mean "try again". */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  // server trouble
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'OperationAborted',
  'PriorRequestNotComplete',
  // throttling
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  // a request body corrupted or cut short on the way to the server
  'BadDigest',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
]);

/** errno-style codes of connection failures that may not happen again: resets, timeouts, routing blips. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** An error status worth another try: 5xx except 501 and 505 (they will not change), 429, or a transient code. */
export function isRetryableStatus(status: number, code?: string): boolean {
  if (status >= 500 && status !== 501 && status !== 505) return true;
  if (status === 429) return true;
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/**
 * Which network-level failures (no HTTP status) a caller retries:
 * - 'transient' (S3): resets, timeouts, unreachable routes; a refused connection or an unknown host
 *   is an answer (wrong endpoint, server down) and fails at once.
 * - 'any' (STS, container agent): every network failure, a local agent may be restarting.
 * - 'none' (IMDS): none, an absent metadata service must fail fast.
 */
export type NetworkRetry = 'transient' | 'any' | 'none';

/** What to do after a failed attempt: wait the backoff and retry, retry at once, or give up. */
export type Decision = 'retry' | 'retry-now' | 'fail';

function hasStatus(e: unknown): e is StatusLike {
  return typeof e === 'object' && e !== null && typeof (e as StatusLike).status === 'number' && (e as StatusLike).status > 0;
}

/** The classifier: is this failure worth another attempt of the same request? */
export function classify(e: unknown, network: NetworkRetry = 'transient'): Decision {
  if (e instanceof IntegrityError) return 'retry';
  if (hasStatus(e)) return isRetryableStatus(e.status, typeof e.code === 'string' ? e.code : undefined) ? 'retry' : 'fail';
  if (typeof e !== 'object' || e === null) return 'fail';
  if (network === 'none') return 'fail';
  // a certificate that does not verify will not verify on the next attempt either
  if (e instanceof NetworkError && e.isTlsVerification) return 'fail';
  // A kept-alive connection the server had closed while it sat idle: a fresh one is needed, not a wait.
  if (e instanceof NetworkError && e.staleConnection) return 'retry-now';
  if (network === 'any' && e instanceof NetworkError) return 'retry';
  // A response stream that broke mid-body fails with a plain errno-style error (ECONNRESET,
  // ETIMEDOUT); local file errors (ENOSPC, EACCES, ...) are never in this set.
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code) ? 'retry' : 'fail';
}

export const isRetryable = (e: unknown, network: NetworkRetry = 'transient') => classify(e, network) !== 'fail';

/**
 * The attempts one logical request may make: maxRetries + 1. Created once when the request starts
 * and spent once: begin() refuses to start an attempt past the budget, so a second loop on top of a
 * spent budget is a bug that shows, not a silent multiplication.
 */
export class RetryBudget {
  private spent = 0;
  constructor(readonly policy: RetryPolicy) {
    if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) throw new RangeError(`maxRetries must be a whole number >= 0, not ${policy.maxRetries}`);
  }
  get maxRetries(): number {
    return this.policy.maxRetries;
  }
  /** Attempts started so far. */
  get attempts(): number {
    return this.spent;
  }
  /** Attempts still allowed. */
  get left(): number {
    return this.policy.maxRetries + 1 - this.spent;
  }
  get exhausted(): boolean {
    return this.left <= 0;
  }
  /** Start an attempt; returns its 0-based number. */
  begin(): number {
    if (this.exhausted) throw new Error(`retry budget spent: ${this.spent} attempts of ${this.policy.maxRetries + 1} already made`);
    return this.spent++;
  }
  /** The backoff before the next attempt (after `attempts` failed ones). */
  nextDelay(): number {
    return backoffMs(Math.max(0, this.spent - 1), this.policy);
  }
  wait(ms: number): Promise<void> {
    return (this.policy.sleep ?? sleep)(ms);
  }
}

export interface RetryHooks {
  /** Classify a failure (default: classify(e)). */
  decide?: (e: unknown) => Decision;
  /** Before each retry: the failure, the number of the retry (1-based), the wait in ms. */
  onRetry?: (e: unknown, retry: number, delayMs: number) => void;
  /** The error to throw when a retryable failure meets an empty budget (default: the failure itself). */
  onExhausted?: (e: unknown, attempts: number) => unknown;
}

/**
 * Run the attempts of one logical request inside `budget`. `attempt` does the whole exchange,
 * including reading and checking the answer, so every failure is spent from this one budget.
 * A failure `decide` says no to is thrown at once; a retryable one after the last attempt goes
 * through onExhausted.
 */
export async function withRetry<T>(budget: RetryBudget, attempt: (n: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  const decide = hooks.decide ?? ((e: unknown) => classify(e));
  for (;;) {
    const n = budget.begin();
    try {
      return await attempt(n);
    } catch (e) {
      const d = decide(e);
      if (d === 'fail') throw e;
      if (budget.exhausted) throw hooks.onExhausted ? hooks.onExhausted(e, budget.attempts) : e;
      const delay = d === 'retry-now' ? 0 : budget.nextDelay();
      hooks.onRetry?.(e, n + 1, delay);
      if (d === 'retry') await budget.wait(delay);
    }
  }
}
