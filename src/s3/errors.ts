import { EX, S3kError, exitCodeForStatus } from '../errors.ts';
import type { RegionFacts } from './region.ts';

/** An error answer from S3: `S3 error: <status> (<Code>): <Message>`. */
export class S3Error extends S3kError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly s3Message: string,
    readonly resource = '',
    readonly requestId = '',
  ) {
    super(`${status} (${code})${s3Message ? ': ' + s3Message : ''}`, exitCodeForStatus(status));
    this.name = 'S3Error';
  }
  /** What the answer said about the bucket's region (x-amz-bucket-region, <Region>, <Endpoint>). */
  region?: Omit<RegionFacts, 'status' | 'code'>;
  /** s3cmd's `S3 error: ...` line, with what to do about the errors users meet first. */
  override get line(): string {
    let hint = '';
    if (this.code === 'InvalidAccessKeyId' || this.code === 'SignatureDoesNotMatch')
      hint = " - check the access key and secret key (~/.s3cfg, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the role s3k assumed); 's3k whoami' shows which were used";
    else if (this.code === 'RequestTimeTooSkewed') hint = " - this machine's clock differs from the server's by more than 15 minutes; sync it (NTP) and retry";
    else if (this.code === 'KeyTooLongError') hint = ' - object keys are limited to 1024 bytes of UTF-8';
    else if (WRONG_REGION_CODES.has(this.code) || this.status === 301) {
      const r = this.region?.headerRegion ?? this.region?.bodyRegion;
      hint = r ? ` - the bucket is in region ${r}; run with --region ${r} (or AWS_REGION / bucket_location)` : ' - the bucket is in another region; run with --region REGION (or AWS_REGION / bucket_location)';
    }
    return `S3 error: ${this.message}${hint}`;
  }
}

const WRONG_REGION_CODES = new Set(['PermanentRedirect', 'TemporaryRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** A 403 to an unsigned request (--no-sign-request): the bucket or object is not public. */
export class AnonymousAccessDenied extends S3Error {
  override get line(): string {
    return `S3 error: ${this.message} - the request was unsigned (--no-sign-request), so only public buckets and objects can be read; drop --no-sign-request to use credentials`;
  }
}

/** An error answer on an object stored (or maybe stored) with SSE-C: says which key to check or give. */
export class SseCustomerKeyError extends S3Error {
  constructor(
    e: S3Error,
    /** The request carried a customer key. */
    readonly keySent: boolean,
    readonly hint?: string,
  ) {
    super(e.status, e.code, e.s3Message, e.resource, e.requestId);
    this.name = 'SseCustomerKeyError';
  }
  override get line(): string {
    if (this.hint) return `S3 error: ${this.message} - ${this.hint}`;
    return this.keySent
      ? `S3 error: ${this.message} - the SSE-C key given (--sse-customer-key / sse_customer_key, for a copy source --sse-copy-source-customer-key) is not the key the object was stored with, or the object is not SSE-C encrypted`
      : `S3 error: ${this.message} - the object is stored with a customer-provided key (SSE-C): give that key with --sse-customer-key`;
  }
}

/** Transfers that kept failing after all retries: exit 75 (EX_TEMPFAIL). */
export class TransferError extends S3kError {
  constructor(message: string) {
    super(message, EX.TEMPFAIL);
    this.name = 'TransferError';
  }
  /** s3cmd's line for S3DownloadError / S3UploadError / S3RequestError. */
  override get line(): string {
    return `S3 Temporary Error: ${this.message}.  Please try again later.`;
  }
}

/** A request that still failed after every retry (5xx, throttling, resets, timeouts): exit 75. */
export class RetriesExhaustedError extends TransferError {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly last: string,
    readonly lastError: unknown,
  ) {
    super(`${what} failed ${attempts} times (last: ${last})`);
    this.name = 'RetriesExhaustedError';
  }
}

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  307: 'Temporary Redirect',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
export const reasonPhrase = (status: number) => REASONS[status] ?? 'Error';
