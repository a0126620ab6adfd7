/** Counts work in progress (running executions, Lambda calls) and tells when none is left. */
export class Activity {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Counts one piece of work; call the returned function once when it ends. */
  begin(): () => void {
    this.count += 1;
    let ended = false;

    return () => {
      if (ended) return;
      ended = true;
      this.count -= 1;
      if (this.count === 0) this.wake();
    };
  }

  /** Resolves when no work is in progress. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();

    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
