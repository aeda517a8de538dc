// A list of names that may grow past memory (deletions held until the copies succeed): the first
// entries stay in memory, the rest are appended to a temporary file.
import { appendFileSync, createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export class DeferredList<T> {
  private mem: T[] = [];
  private file?: string;
  private dir?: string;
  private pending: string[] = [];
  count = 0;

  constructor(private readonly memLimit = 10_000) {}

  push(item: T): void {
    this.count++;
    if (this.mem.length < this.memLimit && !this.file) {
      this.mem.push(item);
      return;
    }
    if (!this.file) {
      this.dir = mkdtempSync(join(tmpdir(), 's3k-sync-'));
      this.file = join(this.dir, 'deferred.jsonl');
    }
    this.pending.push(JSON.stringify(item));
    if (this.pending.length >= 1000) this.flush();
  }

  private flush(): void {
    if (this.file && this.pending.length) {
      appendFileSync(this.file, this.pending.join('\n') + '\n', { mode: 0o600 });
      this.pending = [];
    }
  }

  async *items(): AsyncGenerator<T> {
    yield* this.mem;
    if (!this.file) return;
    this.flush();
    const rl = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
    for await (const line of rl) if (line) yield JSON.parse(line) as T;
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
