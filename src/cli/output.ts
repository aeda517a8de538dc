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
let status: (() => string) | undefined;
let statusShown = false;
let statusTimer: NodeJS.Timeout | undefined;

function drawStatus(): void {
  if (!status || stdoutBroken) return;
  const cols = process.stdout.columns || 100;
  process.stdout.write('\r\x1b[K' + status().slice(0, cols - 1));
  statusShown = true;
}
function clearStatus(): void {
  if (statusShown) {
    process.stdout.write('\r\x1b[K');
    statusShown = false;
  }
}

let progress = !!process.stdout.isTTY;
/** --progress / --no-progress (default: whether stdout is a terminal). */
export function setProgress(on: boolean): void {
  progress = on;
}

/** Show a live status line (when the progress meter is on and not -q); undefined removes it. */
export function setStatus(fn: (() => string) | undefined): void {
  if (fn && (!progress || verbosity === 'quiet')) return;
  if (statusTimer) clearInterval(statusTimer);
  statusTimer = undefined;
  if (!fn) {
    clearStatus();
    status = undefined;
    return;
  }
  status = fn;
  statusTimer = setInterval(drawStatus, 250);
  statusTimer.unref();
}

/** A result line on stdout (suppressed by -q). */
export function output(line: string): void {
  if (verbosity === 'quiet' || stdoutBroken) return;
  clearStatus();
  process.stdout.write(printable(line) + '\n');
  if (status) drawStatus();
}
/** Many result lines in one write (a listing page): fewer syscalls and less buffering. */
export function resultLines(lines: string[]): void {
  if (stdoutBroken || verbosity === 'quiet' || !lines.length) return;
  let out = '';
  for (const l of lines) out += printable(l) + '\n';
  process.stdout.write(out);
}

/** A result line (ls, du, info). -q silences stdout entirely, as in s3cmd. */
export function result(line: string): void {
  if (stdoutBroken || verbosity === 'quiet') return;
  process.stdout.write(printable(line) + '\n');
}
export function error(msg: string): void {
  process.stderr.write(`ERROR: ${printable(redact(msg))}\n`);
}
export function warning(msg: string): void {
  if (verbosity === 'quiet') return;
  process.stderr.write(`WARNING: ${printable(redact(msg))}\n`);
}
export function info(msg: string): void {
  if (verbosity === 'info' || verbosity === 'debug') process.stderr.write(`INFO: ${redact(msg)}\n`);
}
export function debug(msg: string | (() => string)): void {
  if (verbosity !== 'debug') return;
  const text = typeof msg === 'function' ? msg() : msg;
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
