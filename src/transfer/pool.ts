// A bounded pool: at most `limit` tasks run at once; `run` waits for a free slot, so a producer
// that awaits it is back-pressured and memory does not grow with the number of items.

export class Pool {
  private active = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private firstError: unknown;

  constructor(readonly limit: number) {}

  /** Start `task` when a slot is free; resolves once it has started (not finished). */
  async submit(task: () => Promise<void>): Promise<void> {
    while (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    task()
      .catch((e) => {
        if (this.firstError === undefined) this.firstError = e ?? new Error('task failed');
      })
      .finally(() => {
        this.active--;
        this.waiters.shift()?.();
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Wait until every submitted task has finished; rethrows the first task error. */
  async drain(): Promise<void> {
    while (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.firstError !== undefined) {
      const e = this.firstError;
      this.firstError = undefined;
      throw e;
    }
  }

  get failed(): boolean {
    return this.firstError !== undefined;
  }
}
