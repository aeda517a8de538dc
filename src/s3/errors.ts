import { exitCodeForStatus } from '../cli/exit-codes.ts';

/** An error answer from S3: `S3 error: <status> (<Code>): <Message>`. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly s3Message: string,
    readonly resource = '',
    readonly requestId = '',
  ) {
    super(`${status} (${code})${s3Message ? ': ' + s3Message : ''}`);
    this.name = 'S3Error';
  }
  get exitCode(): number {
    return exitCodeForStatus(this.status);
  }
}

/** Transfers that kept failing after all retries: exit 75 (EX_TEMPFAIL). */
export class TransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferError';
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
