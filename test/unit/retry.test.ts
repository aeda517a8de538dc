// The one retry policy (src/net/retry.ts): the classifier, the budget, and withRetry spending it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkError } from '../../src/net/http.ts';
import { IntegrityError, RetryBudget, backoffMs, classify, isRetryable, isRetryableStatus, withRetry, type Decision } from '../../src/net/retry.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { HttpStatusError, isTransient } from '../../src/credentials/transport.ts';
import { CredentialsError } from '../../src/credentials/types.ts';

const net = (code: string) => new NetworkError(code, code, 'http://127.0.0.1:1');
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('classifier', () => {
  it('statuses: 5xx but 501 and 505, and 429 are retried; other 4xx are not', () => {
    for (const s of [500, 502, 503, 504, 429]) assert.equal(isRetryableStatus(s), true, String(s));
    for (const s of [400, 403, 404, 409, 412, 416, 501, 505]) assert.equal(isRetryableStatus(s), false, String(s));
  });

  it('transient and throttling codes are retried whatever the status', () => {
    for (const code of ['SlowDown', 'Throttling', 'RequestTimeout', 'BadDigest', 'XAmzContentSHA256Mismatch', 'IncompleteBody', 'RequestLimitExceeded'])
      assert.equal(classify(new S3Error(400, code, '')), 'retry', code);
    assert.equal(classify(new S3Error(400, 'InvalidArgument', '')), 'fail');
    assert.equal(classify(new S3Error(403, 'AccessDenied', '')), 'fail');
    assert.equal(classify(new S3Error(404, 'NoSuchKey', '')), 'fail');
    assert.equal(classify(new S3Error(503, 'SlowDown', '')), 'retry');
    assert.equal(classify(new S3Error(501, 'NotImplemented', '')), 'fail');
  });

  it('the same classifier for S3 errors and credential endpoint answers', () => {
    assert.equal(classify(new HttpStatusError(503, undefined, undefined)), 'retry');
    assert.equal(classify(new HttpStatusError(400, 'Throttling', 'Rate exceeded')), 'retry');
    assert.equal(classify(new HttpStatusError(403, 'AccessDenied', undefined)), 'fail');
    assert.equal(classify(new HttpStatusError(505, undefined, undefined)), 'fail');
  });

  it('network failures: resets and timeouts are transient; refused or unknown hosts fail at once (S3)', () => {
    for (const c of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) assert.equal(classify(net(c)), 'retry', c);
    for (const c of ['ECONNREFUSED', 'ENOTFOUND', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO']) assert.equal(classify(net(c)), 'fail', c);
  });

  it('a certificate that does not verify is never retried, not even where any network failure is (STS)', () => {
    for (const c of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      assert.equal(classify(net(c), 'any'), 'fail', c);
      assert.equal(classify(net(c)), 'fail', c);
    }
    assert.equal(classify(net('ECONNREFUSED'), 'any'), 'retry', 'the rule is about certificates only');
  });

  it('a body that breaks while it is read (plain errno errors from the stream) is transient', () => {
    assert.equal(classify(errno('ECONNRESET')), 'retry');
    assert.equal(classify(errno('ETIMEDOUT')), 'retry');
    assert.equal(classify(errno('ERR_STREAM_PREMATURE_CLOSE')), 'retry');
  });

  it('a corrupt body (MD5 / ETag mismatch) is retried; local file errors never are', () => {
    assert.equal(classify(new IntegrityError('MD5 mismatch')), 'retry');
    for (const c of ['ENOSPC', 'EACCES', 'EROFS', 'EDQUOT', 'EISDIR', 'ENOENT']) assert.equal(classify(errno(c)), 'fail', c);
    assert.equal(classify(new Error('something else')), 'fail');
    assert.equal(classify(new CredentialsError('no credentials')), 'fail', 'a failed credential fetch is not retried by the S3 budget');
    assert.equal(classify(undefined), 'fail');
    assert.equal(classify('text'), 'fail');
  });

  it('a stale keep-alive connection is retried at once, without backoff', () => {
    const e = net('ECONNRESET');
    e.staleConnection = true;
    assert.equal(classify(e), 'retry-now');
  });

  it('network policies: any (STS, container) retries every network failure; none (IMDS) only answers', () => {
    assert.equal(classify(net('ECONNREFUSED'), 'any'), 'retry');
    assert.equal(classify(net('ENOTFOUND'), 'any'), 'retry');
    assert.equal(classify(net('ECONNRESET'), 'none'), 'fail');
    assert.equal(classify(new HttpStatusError(503, undefined, undefined), 'none'), 'retry');
    assert.equal(isTransient(net('ECONNREFUSED')), true);
    assert.equal(isTransient(net('ECONNREFUSED'), 'none'), false);
    assert.equal(isTransient(new HttpStatusError(500, undefined, undefined), 'none'), true);
    assert.equal(isTransient(new IntegrityError('x')), false, 'credential endpoints only see answers and network failures');
    assert.equal(isRetryable(net('ECONNREFUSED')), false);
  });
});

describe('budget', () => {
  it('allows maxRetries + 1 attempts and refuses the next one', () => {
    const b = new RetryBudget({ maxRetries: 2 });
    assert.equal(b.left, 3);
    assert.equal(b.begin(), 0);
    assert.equal(b.begin(), 1);
    assert.equal(b.exhausted, false);
    assert.equal(b.begin(), 2);
    assert.equal(b.exhausted, true);
    assert.equal(b.attempts, 3);
    assert.throws(() => b.begin(), /retry budget spent/);
  });

  it('maxRetries 0 is one attempt; a negative or fractional budget is refused', () => {
    const b = new RetryBudget({ maxRetries: 0 });
    b.begin();
    assert.equal(b.exhausted, true);
    assert.throws(() => new RetryBudget({ maxRetries: -1 }), RangeError);
    assert.throws(() => new RetryBudget({ maxRetries: 1.5 }), RangeError);
  });

  it('backoff: capped exponential with full jitter', () => {
    const p = { maxRetries: 5, baseMs: 100, capMs: 1000, random: () => 0.5 };
    assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffMs(n, p)), [50, 100, 200, 400, 500]);
    assert.equal(backoffMs(3, { maxRetries: 5 }, () => 0.999), Math.floor(0.999 * 1600), 'defaults: 200 ms base');
    const b = new RetryBudget(p);
    b.begin();
    assert.equal(b.nextDelay(), 50, 'after the first failed attempt');
    b.begin();
    assert.equal(b.nextDelay(), 100);
  });
});

describe('withRetry', () => {
  const fast = (maxRetries: number, delays: number[] = []) => new RetryBudget({ maxRetries, baseMs: 10, capMs: 40, random: () => 0.99, sleep: async (ms) => void delays.push(ms) });

  for (const maxRetries of [0, 1, 2, 5]) {
    it(`a failure that persists is tried exactly ${maxRetries} + 1 times`, async () => {
      let n = 0;
      const delays: number[] = [];
      await assert.rejects(
        withRetry(fast(maxRetries, delays), async () => {
          n++;
          throw new S3Error(503, 'SlowDown', '');
        }),
        (e: unknown) => e instanceof S3Error && e.code === 'SlowDown',
      );
      assert.equal(n, maxRetries + 1);
      assert.equal(delays.length, maxRetries, 'one wait between attempts');
    });
  }

  it('success after failures returns the value; waits follow the backoff', async () => {
    let n = 0;
    const delays: number[] = [];
    const v = await withRetry(fast(5, delays), async (attempt) => {
      assert.equal(attempt, n++);
      if (attempt < 3) throw net('ECONNRESET');
      return 'ok';
    });
    assert.equal(v, 'ok');
    assert.deepEqual(delays, [9, 19, 39]);
  });

  it('a failure the classifier rejects is thrown at once', async () => {
    let n = 0;
    await assert.rejects(
      withRetry(fast(5), async () => {
        n++;
        throw new S3Error(403, 'AccessDenied', '');
      }),
      /AccessDenied/,
    );
    assert.equal(n, 1);
  });

  it('onRetry hears each retry; onExhausted shapes the last error; retry-now does not wait', async () => {
    const heard: [string, number, number][] = [];
    const delays: number[] = [];
    let n = 0;
    const decide = (e: unknown): Decision => ((e as Error).message === 'stale' ? 'retry-now' : classify(e));
    await assert.rejects(
      withRetry(
        fast(2, delays),
        async () => {
          n++;
          throw n === 1 ? Object.assign(net('ECONNRESET'), { message: 'stale' }) : new IntegrityError('corrupt');
        },
        {
          decide,
          onRetry: (e, k, d) => heard.push([(e as Error).message, k, d]),
          onExhausted: (e, attempts) => new Error(`gave up after ${attempts}: ${(e as Error).message}`),
        },
      ),
      /gave up after 3: corrupt/,
    );
    assert.deepEqual(heard, [
      ['stale', 1, 0],
      ['corrupt', 2, 19],
    ]);
    assert.deepEqual(delays, [19], 'no wait before the retry-now attempt');
  });

  it('a budget shared by a caller is spent once: a second run on a spent budget cannot start', async () => {
    const b = fast(1);
    await assert.rejects(withRetry(b, async () => Promise.reject(net('ETIMEDOUT'))));
    await assert.rejects(withRetry(b, async () => 'never'), /retry budget spent/);
  });
});
