// The floor under every other: s3cmd's exit codes, the one error base class and the one errno -> exit
// code mapping. It imports nothing, so cli/, config/ and net/ (the bottom floors of DESIGN.md) and
// everything above them can import it without an import ever pointing up or sideways.

/** s3cmd's exit codes (S3/ExitCodes.py, patterned on sysexits.h), so scripts that test $? keep working. */
export const EX = {
  OK: 0,
  GENERAL: 1,
  /** Some parts succeeded, others failed. Also optparse's code for a bad command line. */
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

/** Python optparse's exit code for an unknown option or a bad option value (OptionParser.error). */
export const EX_OPTPARSE = 2;

/**
 * Every error that reaches main is one of these: it knows its exit code and the line(s) to print.
 * main prints `render()` on stderr and exits with `exitCode`; nothing else decides either.
 */
export class S3kError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'S3kError';
  }
  /** What follows `ERROR: ` on stderr. */
  get line(): string {
    return this.message;
  }
  /** The stderr lines, without newlines; empty for a silent exit (a closed stdout pipe). */
  render(): string[] {
    return [`ERROR: ${this.line}`];
  }
}

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

const TLS_CODE = /^(ERR_TLS|UNABLE_TO_|HOSTNAME_MISMATCH)|CERT/;

/**
 * The one errno -> exit code mapping (s3cmd's main(): connection refused 111, name resolution 74,
 * certificate failures 77, a broken pipe 74, other local I/O 74 or 71). `network` is for failures of
 * a connection, where anything not named is a temporary failure (75) worth retrying later.
 */
export function exitCodeForErrno(code: string | undefined, where: 'local' | 'network' = 'local'): number {
  if (!code) return EX.GENERAL;
  if (code === 'ECONNREFUSED') return EX.CONNECTIONREFUSED;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return EX.IOERR;
  if (TLS_CODE.test(code)) return EX.ACCESSDENIED;
  if (where === 'network') return EX.TEMPFAIL;
  switch (code) {
    case 'EPIPE':
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EIO':
      return EX.IOERR;
    case 'EACCES':
    case 'EPERM':
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EROFS':
    case 'EEXIST':
    case 'ELOOP':
    case 'EMFILE':
    case 'ENFILE':
    case 'ENOMEM':
      return EX.OSERR;
    default:
      return EX.GENERAL;
  }
}

/** Python's os.strerror() wording for the errno names users meet, else the message node gave. */
export function strerror(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied';
    case 'ENOENT':
      return 'No such file or directory';
    case 'ELOOP':
      return 'Too many levels of symbolic links';
    case 'ENOSPC':
      return 'No space left on device';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EROFS':
      return 'Read-only file system';
    case 'EDQUOT':
      return 'Disk quota exceeded';
    default:
      return err?.message ?? String(e);
  }
}

/** A local system call failed (node's errno error) and nothing closer to it turned it into a message. */
export class SystemError extends S3kError {
  readonly code: string;
  constructor(readonly original: NodeJS.ErrnoException) {
    super(original.message, exitCodeForErrno(original.code));
    this.name = 'SystemError';
    this.code = original.code ?? '';
  }
  override get line(): string {
    if (this.code === 'ENOSPC' || this.code === 'EDQUOT') return `${this.message}. Free some space and retry (use --continue to resume).`;
    return this.message;
  }
  override render(): string[] {
    // s3cmd exits quietly when the reader of its output went away (head, less).
    return this.code === 'EPIPE' ? [] : super.render();
  }
}

/** Anything else: a bug or a case not foreseen. One line, never a stack trace (S3K_STACK=1 adds it). */
export class UnexpectedError extends S3kError {
  constructor(readonly original: unknown) {
    super((original as Error)?.message ?? String(original), EX.GENERAL);
    this.name = 'UnexpectedError';
  }
  override get line(): string {
    return `unexpected problem: ${this.message}. Re-run with --debug for details and report it if it persists.`;
  }
}

/** Whatever was thrown, as the S3kError main reports. */
export function asS3kError(e: unknown): S3kError {
  if (e instanceof S3kError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof Error && typeof code === 'string' && exitCodeForErrno(code) !== EX.GENERAL) return new SystemError(e as NodeJS.ErrnoException);
  return new UnexpectedError(e);
}
