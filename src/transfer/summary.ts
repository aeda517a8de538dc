// The counts of one transfer command (put, get, sync, cp, mv, modify, del): what was transferred,
// skipped, deleted and what failed, with the failures' names and reasons. One Tally per run, fed
// where the work is done (the sync engine, removeAll, the put, get and cp/mv/modify loops); sync's
// and del's --stats lines, the exit codes that depend on failures and the --json summary all read
// it, so nothing is counted twice.
import { S3Error } from '../s3/errors.ts';
import { strerror } from '../errors.ts';

/** A failed object or file: `key` for an s3:// name, `path` for a local one. */
export interface Failure {
  key?: string;
  path?: string;
  error: string;
}

/** Failures kept by name; past this many only the count grows (memory stays bounded). */
export const MAX_FAILURES_LISTED = 1000;

export class Tally {
  /** Source entries seen (sync's 'Number of files'). */
  srcFiles = 0;
  srcBytes = 0;
  transferred = 0;
  /** Of `transferred`: sync's server-side copies from an object the destination already held. */
  copiedWithin = 0;
  /** Bytes of the transfers that completed. */
  bytes = 0;
  /** Entries left alone: unchanged (sync), or existing files kept (get --skip-existing / --continue). */
  skipped = 0;
  deleted = 0;
  deletedBytes = 0;
  failed = 0;
  readonly failures: Failure[] = [];
  /** Failures counted but not listed (past MAX_FAILURES_LISTED). */
  failuresNotListed = 0;

  /** One failure: counted, and listed by name while the list is short enough. */
  fail(name: string, error: unknown): void {
    this.failed++;
    if (this.failures.length >= MAX_FAILURES_LISTED) {
      this.failuresNotListed++;
      return;
    }
    const text = typeof error === 'string' ? error : errorText(error);
    this.failures.push(name.startsWith('s3://') ? { key: name, error: text } : { path: name, error: text });
  }

  transferDone(bytes: number): void {
    this.transferred++;
    this.bytes += bytes;
  }
}

/** One line for an error: S3's status and code, or the errno's wording. */
export function errorText(e: unknown): string {
  if (e instanceof S3Error) return e.message;
  return strerror(e);
}

export interface SummaryJson {
  command: string;
  objects: { transferred: number; skipped: number; deleted: number; failed: number };
  /** Bytes transferred (uploaded, downloaded or copied). */
  bytes: number;
  /** Bytes of the objects or files deleted. */
  deletedBytes: number;
  seconds: number;
  failures: Failure[];
  failuresNotListed?: number;
  /** The line a fatal error printed, when one ended the command. */
  error?: string;
  exitCode: number;
}

/** The --json summary of a run: the tally, the time taken and the process's exit code. */
export function summaryJson(command: string, t: Tally, seconds: number, exitCode: number, error?: string): SummaryJson {
  // exitCode last, so that it reads last in the line
  const out = {
    command,
    objects: { transferred: t.transferred, skipped: t.skipped, deleted: t.deleted, failed: t.failed },
    bytes: t.bytes,
    deletedBytes: t.deletedBytes,
    seconds: Math.round(seconds * 1000) / 1000,
    failures: t.failures,
  } as SummaryJson;
  if (t.failuresNotListed) out.failuresNotListed = t.failuresNotListed;
  if (error !== undefined) out.error = error;
  out.exitCode = exitCode;
  return out;
}
