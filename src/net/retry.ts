// Retry with capped exponential backoff and full jitter.

export interface RetryPolicy {
  /** Retries after the first attempt (s3cmd's max_retries, default 5). */
  maxRetries: number;
  /** First backoff in ms. */
  baseMs?: number;
  /** Largest backoff in ms. */
  capMs?: number;
}

export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const base = policy.baseMs ?? 200;
  const cap = policy.capMs ?? 20_000;
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
