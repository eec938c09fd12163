/**
 * The run's registry request budget, shared fairly between images. Every image the run plans to
 * resolve is guaranteed an equal share; an image may spend beyond its share only what no other
 * unfinished image may still need, so one image with thousands of tags cannot leave the others
 * without a single request. An image that is finished gives back what it did not use.
 */
export class RequestBudget {
  private spent = 0;
  private readonly spentBy = new Map<string, number>();
  /** Images planned and not finished, each owed up to `share` requests. */
  private readonly owed = new Set<string>();
  private share = 0;

  constructor(readonly total: number) {}

  /** The images of this run (keys as the HTTP layer counts them); shares are equal. */
  plan(keys: readonly string[]): void {
    const unique = new Set(keys);
    this.share = unique.size === 0 ? 0 : Math.floor(this.total / unique.size);
    this.owed.clear();
    for (const key of unique) this.owed.add(key);
  }

  /** The image needs no guaranteed requests any more: its unused share goes to the others. */
  finish(key: string): void {
    this.owed.delete(key);
  }

  /**
   * Takes one request for `key`. Returns undefined when granted, or why not: the whole budget is
   * spent, or this image has used its share and the rest is owed to other images.
   */
  take(key: string): 'spent' | { readonly owedTo: number; readonly used: number } | undefined {
    if (this.spent >= this.total) return 'spent';
    const used = this.spentBy.get(key) ?? 0;
    const withinShare = this.owed.has(key) && used < this.share;
    if (!withinShare) {
      let owedToOthers = 0;
      let others = 0;
      for (const other of this.owed) {
        if (other === key) continue;
        const left = this.share - (this.spentBy.get(other) ?? 0);
        if (left > 0) {
          owedToOthers += left;
          others += 1;
        }
      }
      if (this.spent + owedToOthers >= this.total) return { owedTo: others, used };
    }
    this.spent += 1;
    this.spentBy.set(key, used + 1);
    return undefined;
  }

  requestsSpent(): number {
    return this.spent;
  }
}
