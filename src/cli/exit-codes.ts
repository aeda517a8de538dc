// s3cmd's exit codes and the command-line errors. The codes, the base class and the errno mapping
// live one floor down in src/errors.ts; they are re-exported here for the modules that import them
// from cli/.
import { EX, EX_OPTPARSE, S3kError } from '../errors.ts';

export { EX, EX_OPTPARSE, S3kError, exitCodeForStatus, exitCodeForErrno, strerror } from '../errors.ts';

/** A problem with the command line or local input: `ERROR: Parameter problem: ...`, exit 64. */
export class ParameterError extends S3kError {
  constructor(message: string) {
    super(message, EX.USAGE);
    this.name = 'ParameterError';
  }
  override get line(): string {
    return `Parameter problem: ${this.message}`;
  }
}

/** An error that already knows its one-line message and exit code. */
export class CliError extends S3kError {
  constructor(message: string, exitCode: number) {
    super(message, exitCode);
    this.name = 'CliError';
  }
}

export const PROG = 's3k';
export const USAGE_LINE = `Usage: ${PROG} [options] COMMAND [parameters]`;

/**
 * What Python's optparse does with an unknown option, a missing or bad option value: the usage line,
 * a blank line, `s3k: error: ...`, exit 2 (s3cmd prints the same with `s3cmd`).
 */
export class UsageError extends S3kError {
  constructor(message: string) {
    super(message, EX_OPTPARSE);
    this.name = 'UsageError';
  }
  override render(): string[] {
    return [USAGE_LINE, '', `${PROG}: error: ${this.message}`];
  }
}

/** An option s3cmd has and s3k does not implement (yet): one line saying so, exit 64. */
export class UnsupportedOptionError extends S3kError {
  constructor(message: string) {
    super(message, EX.USAGE);
    this.name = 'UnsupportedOptionError';
  }
}
