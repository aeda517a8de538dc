// Whole-job progress: objects, bytes, rate and ETA, for the live status line on a terminal.

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

export function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
