import type { TagMetadata } from './tag-metadata.js';

/** The outcome of choosing a tag for one image, with everything needed to explain it. */
export interface Decision {
  readonly alias: string;
  /** The repository as configured. */
  readonly image: string;
  /** The value currently written in the chart (tag, or `tag@sha256:…`), if any. */
  readonly current: string | undefined;
  /** The value to write: a tag, or `tag@sha256:…` for the digest strategy. Undefined when nothing qualifies. */
  readonly chosen: string | undefined;
  /** Metadata of the chosen tag, when it was fetched. */
  readonly metadata: TagMetadata | undefined;
  /** Metadata of the current tag, when it was fetched (for no-downgrade and source compare links). */
  readonly currentMetadata: TagMetadata | undefined;
  /** True when `chosen` differs from `current` and should be written. */
  readonly changed: boolean;
  /** One sentence a human reads: why this tag, and why not the current one. */
  readonly reason: string;
  /** Tags seen, kept after filters, and skipped for each cause. */
  readonly counts: {
    readonly seen: number;
    readonly afterFilter: number;
    readonly skipped: Readonly<Record<string, number>>;
  };
  /** Tags that tied with the chosen one on the ordering key (equal build time), when any. */
  readonly tiedWith: readonly string[];
  /**
   * True when a request budget or a rate-limit reserve ran out before the image could be
   * decided: `chosen` is the value kept, not a choice. The run reports itself incomplete.
   */
  readonly incomplete?: boolean;
  /**
   * How the chosen tag was verified (key fingerprint; identity, issuer and Rekor log index;
   * provenance builder and source commit), one line per method; absent without verification.
   */
  readonly verification?: readonly string[];
  /** Set when the value came from another environment's history (`promote-from`). */
  readonly promotion?: PromotionRecord;
}

/** Where a promoted value came from and when the next one can follow, for JSON and summaries. */
export interface PromotionRecord {
  /** The source environment as configured: `staging`, or `target/environment`. */
  readonly source: string;
  /** ISO time since which the promoted value has run in the source. */
  readonly since: string | undefined;
  /** The source commit that set it, and its pull request when the subject names one. */
  readonly commit: string | undefined;
  readonly pullRequest: number | undefined;
  /** ISO time at which the source's newer values will have soaked, when there are some. */
  readonly eligibleAt: string | undefined;
  /** The same, as shown to people (`2026-12-04 08:00 UTC`). */
  readonly eligibleAtText: string | undefined;
  /** ISO time the promotion window opens, when a promotion waits for it. */
  readonly heldUntil: string | undefined;
}
