// --limit-rate across all streams: one token bucket shared by every transfer in the process.
import { Transform } from 'node:stream';

export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly bytesPerSecond: number) {
    this.tokens = Math.min(bytesPerSecond, 64 * 1024);
  }

  /** Wait until n bytes may pass. Callers are served in order. */
  take(n: number): Promise<void> {
    const run = async () => {
      let need = n;
      while (need > 0) {
        const now = performance.now();
        this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
        this.last = now;
        const grant = Math.min(need, this.tokens);
        if (grant > 0) {
          this.tokens -= grant;
          need -= grant;
        }
        if (need > 0) await new Promise((r) => setTimeout(r, Math.max(5, Math.min(250, (need / this.bytesPerSecond) * 1000))));
      }
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }
}

/** A pass-through stream that holds each chunk until the bucket lets it through. */
export function throttled(bucket: TokenBucket | undefined): Transform | undefined {
  if (!bucket) return undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // Split big chunks so one stream cannot take the whole second's budget at once.
      const step = 16 * 1024;
      let off = 0;
      const next = () => {
        if (off >= chunk.length) return cb();
        const piece = chunk.subarray(off, off + step);
        off += step;
        bucket.take(piece.length).then(() => {
          this.push(piece);
          next();
        }, cb);
      };
      next();
    },
  });
}
