// Whole-job progress: objects, bytes, rate and ETA, for the live status line on a terminal and,
// when stdout is not a terminal, for the `progress:` lines written every --progress-interval
// seconds (a CronJob's log).

export class Progress {
  files = 0;
  bytes = 0;
  private t0 = performance.now();
  private samples: { t: number; b: number }[] = [];

  constructor(
    public totalFiles?: number,
    public totalBytes?: number,
  ) {}

  addBytes(n: number): void {
    this.bytes += n;
  }
  fileDone(): void {
    this.files++;
  }

  /** Bytes per second over the last ~5 seconds. */
  rate(now = performance.now()): number {
    this.samples.push({ t: now, b: this.bytes });
    while (this.samples.length > 2 && now - this.samples[0].t > 5000) this.samples.shift();
    const first = this.samples[0];
    const dt = (now - first.t) / 1000;
    if (dt < 0.2) return (this.bytes / Math.max(0.001, (now - this.t0) / 1000)) || 0;
    return (this.bytes - first.b) / dt;
  }

  line(now = performance.now()): string {
    const r = this.rate(now);
    const files = this.totalFiles !== undefined ? `${this.files}/${this.totalFiles}` : `${this.files}`;
    const bytes = this.totalBytes !== undefined ? `${human(this.bytes)}/${human(this.totalBytes)}` : human(this.bytes);
    let eta = '';
    if (this.totalBytes !== undefined && r > 0 && this.totalBytes > this.bytes) eta = `  ETA ${clock((this.totalBytes - this.bytes) / r)}`;
    return `[${files} files  ${bytes}  ${human(r)}/s${eta}  ${clock((now - this.t0) / 1000)}]`;
  }

  /**
   * The line for a log, one per interval, in a fixed order so it can be grepped and parsed:
   * `progress: 1.2 GiB of 5.0 GiB (24%), 3 of 10 files, 41.3 MiB/s, eta 1m32s, elapsed 25s`.
   * Totals not known (yet) are left out: `progress: 1.2 GiB, 3 files, 41.3 MiB/s, elapsed 25s`.
   * The rate is over the time since the previous line (at most the last few seconds).
   */
  logLine(now = performance.now()): string {
    return progressLine({ bytes: this.bytes, totalBytes: this.totalBytes, files: this.files, totalFiles: this.totalFiles, rate: this.rate(now), seconds: (now - this.t0) / 1000 });
  }
}

export interface ProgressFigures {
  bytes: number;
  totalBytes?: number;
  files: number;
  totalFiles?: number;
  /** Bytes per second. */
  rate: number;
  /** Since the start. */
  seconds: number;
}

/** Progress.logLine's format, from its figures. */
export function progressLine(p: ProgressFigures): string {
  const parts: string[] = [];
  if (p.totalBytes !== undefined) {
    // floor: 100% only once everything is there
    const pct = p.totalBytes > 0 ? Math.min(100, Math.floor((p.bytes * 100) / p.totalBytes)) : 100;
    parts.push(`${human(p.bytes)} of ${human(p.totalBytes)} (${pct}%)`);
  } else parts.push(human(p.bytes));
  parts.push(p.totalFiles !== undefined ? `${p.files} of ${p.totalFiles} files` : `${p.files} files`);
  parts.push(`${human(p.rate)}/s`);
  if (p.totalBytes !== undefined && p.rate > 0 && p.totalBytes > p.bytes) parts.push(`eta ${duration((p.totalBytes - p.bytes) / p.rate)}`);
  parts.push(`elapsed ${duration(p.seconds)}`);
  return `progress: ${parts.join(', ')}`;
}

export function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A duration for a log line: `45s`, `1m32s`, `2h05m09s` (whole seconds, rounded). */
export function duration(secs: number): string {
  const s = Number.isFinite(secs) ? Math.max(0, Math.round(secs)) : 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m${String(ss).padStart(2, '0')}s`;
  if (m) return `${m}m${String(ss).padStart(2, '0')}s`;
  return `${ss}s`;
}

export function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
