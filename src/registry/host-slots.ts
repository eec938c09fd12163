/**
 * At most `limit` requests in flight per host; the rest wait in order. Waiting happens before a
 * request's timeout starts, so a long queue (thousands of tags asked for at once) never times
 * out requests that have not been sent, and only `limit` responses are in memory at a time.
 */
export class HostSlots {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  async acquire(host: string): Promise<() => void> {
    const running = this.active.get(host) ?? 0;
    if (running < this.limit) {
      this.active.set(host, running + 1);
    } else {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(host) ?? [];
        queue.push(resolve);
        this.waiting.set(host, queue);
      });
      // The slot was handed over by release(): the active count already includes it.
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(host);
    };
  }

  private release(host: string): void {
    const next = this.waiting.get(host)?.shift();
    if (next) {
      next();
      return;
    }
    this.active.set(host, (this.active.get(host) ?? 1) - 1);
  }
}
