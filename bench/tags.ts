/**
 * Synthetic `main-<7 hex>` tags whose build dates are unrelated to their names, as CI pushes them
 * (a short commit SHA says nothing about age). Seeded, so every run pushes the same repository.
 */

import { seededRandom } from '../__tests__/harness/seeded-random.js';

export interface BenchTag {
  readonly tag: string;
  readonly created: Date;
}

const MINUTE_MS = 60_000;
/** Builds of the seeded history fall in this window; the "new" pushes come after it. */
const HISTORY_START = Date.UTC(2024, 0, 1);
const HISTORY_SPAN_MINUTES = 365 * 24 * 60;

/** The tags one repository holds, and which is newest by build date. */
export class RepositoryTags {
  private readonly byTag = new Map<string, Date>();
  private readonly random: () => number;

  constructor(
    readonly repository: string,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  get size(): number {
    return this.byTag.size;
  }

  tags(): string[] {
    return [...this.byTag.keys()];
  }

  /** The newest build; ties (none are generated) would go to the first pushed. */
  newest(): BenchTag {
    let best: BenchTag | undefined;
    for (const [tag, created] of this.byTag) {
      if (!best || created.getTime() > best.created.getTime()) best = { tag, created };
    }
    if (!best) throw new Error(`${this.repository} has no tags yet`);
    return best;
  }

  /**
   * `count` tags with distinct build minutes spread over the history window, in an order
   * unrelated to both names and dates.
   */
  history(count: number): BenchTag[] {
    const taken = new Set([...this.byTag.values()].map((date) => date.getTime()));
    const fresh: BenchTag[] = [];
    while (fresh.length < count) {
      const minute = Math.floor(this.random() * HISTORY_SPAN_MINUTES);
      const created = HISTORY_START + minute * MINUTE_MS;
      if (taken.has(created)) continue;
      taken.add(created);
      fresh.push({ tag: this.freshName(), created: new Date(created) });
    }
    return this.remember(fresh);
  }

  /** `count` builds newer than everything so far, their names not in date order. */
  newer(count: number): BenchTag[] {
    const after = this.byTag.size === 0 ? HISTORY_START : this.newest().created.getTime();
    const fresh = Array.from({ length: count }, (_, index) => ({
      tag: this.freshName(),
      created: new Date(after + (index + 1) * MINUTE_MS),
    }));
    return this.remember(fresh);
  }

  private remember(fresh: BenchTag[]): BenchTag[] {
    for (const { tag, created } of fresh) this.byTag.set(tag, created);
    return fresh;
  }

  private freshName(): string {
    for (;;) {
      const hex = Math.floor(this.random() * 0x10000000)
        .toString(16)
        .padStart(7, '0');
      const tag = `main-${hex}`;
      if (!this.byTag.has(tag)) return tag;
    }
  }
}
