import type { ConfigLocation } from '../core/errors.js';

/**
 * Promotion vocabulary: which environment a unit takes its values from, how long a value must
 * have run there, and when a promotion may land. The config layer builds these; the job and
 * `src/promotion/` read them.
 */

/** `promote-from: staging` (same target) or `promote-from: other-target/staging`. */
export interface PromotionSource {
  /** Undefined: the target that holds the promoted unit. */
  readonly target: string | undefined;
  /**
   * The environment name within that target; undefined when the source target is a single unit
   * (an override-file target, or a values target without a glob).
   */
  readonly environment: string | undefined;
  /** As the user wrote it, for messages. */
  readonly text: string;
}

/** `Mon-Thu 09:00-16:00 Europe/Berlin`: days and local hours in one time zone. */
export interface PromoteWindow {
  readonly text: string;
  /** Allowed weekdays, 0 = Sunday … 6 = Saturday. */
  readonly days: readonly number[];
  /** Minutes after local midnight: the window is [start, end). */
  readonly startMinute: number;
  readonly endMinute: number;
  /** An IANA time zone accepted by `Intl` (default `UTC`). */
  readonly timeZone: string;
}

export interface PromotionPolicy {
  readonly from: PromotionSource;
  /** How long a value must have held in the source, continuously. */
  readonly soakSeconds: number;
  readonly window: PromoteWindow | undefined;
  /** Where `promote-from` was written. */
  readonly location: ConfigLocation;
}
