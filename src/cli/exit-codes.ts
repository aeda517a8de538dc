// s3cmd's exit codes (S3/ExitCodes.py), so scripts that test $? keep working.
export const EX = {
  OK: 0,
  GENERAL: 1,
  PARTIAL: 2,
  SERVERMOVED: 10,
  SERVERERROR: 11,
  NOTFOUND: 12,
  CONFLICT: 13,
  PRECONDITION: 14,
  SERVICE: 15,
  USAGE: 64,
  DATAERR: 65,
  SOFTWARE: 70,
  OSERR: 71,
  OSFILE: 72,
  IOERR: 74,
  TEMPFAIL: 75,
  ACCESSDENIED: 77,
  CONFIG: 78,
  CONNECTIONREFUSED: 111,
  BREAK: 130,
} as const;

/** s3cmd's S3Error.get_error_code(): HTTP status -> exit code. */
export function exitCodeForStatus(status: number): number {
  if (status === 301 || status === 307) return EX.SERVERMOVED;
  if ([400, 405, 411, 416, 417, 501, 504].includes(status)) return EX.SERVERERROR;
  if (status === 403) return EX.ACCESSDENIED;
  if (status === 404) return EX.NOTFOUND;
  if (status === 409) return EX.CONFLICT;
  if (status === 412) return EX.PRECONDITION;
  if (status === 429 || status === 503) return EX.SERVICE;
  return EX.SOFTWARE;
}

/** A problem with the command line or local input: `ERROR: Parameter problem: ...`, exit 64. */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

/** An error that already knows its one-line message and exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
