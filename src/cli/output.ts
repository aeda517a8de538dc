// Printing in s3cmd's formats. Results go to stdout; messages to stderr as `LEVEL: message`.
import { redact } from './redact.ts';

export type Verbosity = 'quiet' | 'normal' | 'info' | 'debug';

let verbosity: Verbosity = 'normal';
export function setVerbosity(v: Verbosity): void {
  verbosity = v;
}
export function getVerbosity(): Verbosity {
  return verbosity;
}

/** Control characters in names (newlines, ^A...) are shown as ^X so one result stays one line (tabs pass). */
export function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0a-\x1f\x7f]/.test(line) ? line.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64))) : line;
}

let stdoutBroken = false;
process.stdout.on?.('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') stdoutBroken = true;
});

// One live status line at the bottom of a terminal (progress); result lines are written above it.
// When the meter is off (stdout is not a terminal) and --progress-interval is on, a `progress:`
// line goes to stderr every interval instead: a CronJob's log shows a long transfer moving, and
// stdout keeps exactly the lines scripts parse.

/** What a command shows progress with: the terminal's status line and the log's interval line. */
export interface Meter {
  line(): string;
  logLine(): string;
}

let meter: Meter | undefined;
let statusShown = false;
let statusTimer: NodeJS.Timeout | undefined;
let logTimer: NodeJS.Timeout | undefined;

// --json: stdout carries the summary object only; s3cmd's result lines (and the terminal's status
// line) go to stderr instead.
let results: NodeJS.WriteStream = process.stdout;
/** --json for a transfer command: result lines to stderr, stdout kept for the JSON summary. */
export function resultsToStderr(): void {
  results = process.stderr;
}

function drawStatus(): void {
  if (!meter || (results === process.stdout && stdoutBroken)) return;
  const cols = results.columns || 100;
  results.write('\r\x1b[K' + meter.line().slice(0, cols - 1));
  statusShown = true;
}
function clearStatus(): void {
  if (statusShown) {
    results.write('\r\x1b[K');
    statusShown = false;
  }
}

let progress = !!process.stdout.isTTY;
/** --progress / --no-progress (default: whether stdout is a terminal). */
export function setProgress(on: boolean): void {
  progress = on;
}
let progressInterval = 0;
/** Seconds between `progress:` lines on stderr while the meter is off (0: none). */
export function setProgressInterval(seconds: number): void {
  progressInterval = seconds;
}

/**
 * Show progress while a transfer runs: the live status line (when the meter is on and not -q),
 * else a line every --progress-interval seconds on stderr. undefined stops both. The timers never
 * keep the process alive.
 */
export function setStatus(m: Meter | undefined): void {
  if (statusTimer) clearInterval(statusTimer);
  if (logTimer) clearInterval(logTimer);
  statusTimer = logTimer = undefined;
  if (!m) {
    clearStatus();
    meter = undefined;
    return;
  }
  if (progress) {
    if (verbosity === 'quiet') return;
    meter = m;
    statusTimer = setInterval(drawStatus, 250);
    statusTimer.unref();
  } else if (progressInterval > 0) {
    logTimer = setInterval(() => {
      flushOutput();
      process.stderr.write(m.logLine() + '\n');
    }, progressInterval * 1000);
    logTimer.unref();
  }
}

// Transfer lines ('upload: ...', 'download: ...') come by the thousand: they are gathered and
// written in batches (every 16 KiB or 50 ms, before any other line on stdout or stderr and at
// exit) instead of one write(2) per line. A live status line (terminal progress) turns this off.
let pending = '';
let pendingTimer: NodeJS.Timeout | undefined;
/** Write the gathered result lines now. */
export function flushOutput(): void {
  if (pendingTimer) clearTimeout(pendingTimer);
  pendingTimer = undefined;
  if (!pending) return;
  const text = pending;
  pending = '';
  if (!(results === process.stdout && stdoutBroken)) results.write(text);
}
process.on?.('exit', flushOutput);

/** A result line on stdout (suppressed by -q). */
export function output(line: string): void {
  if (verbosity === 'quiet' || (results === process.stdout && stdoutBroken)) return;
  if (meter) {
    flushOutput();
    clearStatus();
    results.write(printable(line) + '\n');
    drawStatus();
    return;
  }
  pending += printable(line) + '\n';
  if (pending.length >= 16384) flushOutput();
  else if (!pendingTimer) {
    pendingTimer = setTimeout(flushOutput, 50);
    pendingTimer.unref();
  }
}

/** One JSON document on stdout (the --json summary): printed even with -q, which silences results. */
export function jsonResult(value: unknown): void {
  flushOutput();
  if (stdoutBroken) return;
  process.stdout.write(JSON.stringify(value) + '\n');
}
/** Many result lines in one write (a listing page): fewer syscalls and less buffering. */
export function resultLines(lines: string[]): void {
  flushOutput();
  if (stdoutBroken || verbosity === 'quiet' || !lines.length) return;
  let out = '';
  for (const l of lines) out += printable(l) + '\n';
  process.stdout.write(out);
}

/** A result line (ls, du, info). -q silences stdout entirely, as in s3cmd. */
export function result(line: string): void {
  flushOutput();
  if (stdoutBroken || verbosity === 'quiet') return;
  process.stdout.write(printable(line) + '\n');
}
export function error(msg: string): void {
  flushOutput();
  process.stderr.write(`ERROR: ${printable(redact(msg))}\n`);
}
export function warning(msg: string): void {
  if (verbosity === 'quiet') return;
  flushOutput();
  process.stderr.write(`WARNING: ${printable(redact(msg))}\n`);
}
export function info(msg: string): void {
  if (verbosity !== 'info' && verbosity !== 'debug') return;
  flushOutput();
  process.stderr.write(`INFO: ${redact(msg)}\n`);
}
export function debug(msg: string | (() => string)): void {
  if (verbosity !== 'debug') return;
  const text = typeof msg === 'function' ? msg() : msg;
  flushOutput();
  process.stderr.write(`DEBUG: ${redact(text)}\n`);
}

/** s3cmd's formatSize: with human=true divides by 1024 while size > 2048. */
export function formatSize(size: number, human: boolean, floating = false): [number, string] {
  if (!human) return [size, ''];
  const coeffs = ['K', 'M', 'G', 'T'];
  let coeff = '';
  let s = size;
  while (s > 2048 && coeffs.length) {
    s /= 1024;
    coeff = coeffs.shift()!;
  }
  return [floating ? s : Math.floor(s), coeff];
}

const pad = (n: number) => String(n).padStart(2, '0');
/** `%Y-%m-%d %H:%M` in UTC. */
export function formatDateTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** `(N bytes in T seconds, S XB/s)` as s3cmd prints after a transfer. */
export function transferStats(bytes: number, seconds: number): string {
  const speed = seconds > 0 ? bytes / seconds : bytes;
  const [v, c] = formatSize(speed, true, true);
  return `(${bytes} bytes in ${seconds.toFixed(1)} seconds, ${v.toFixed(2)} ${c}B/s)`;
}
