import type { ConfigLocation } from '../core/errors.js';

/**
 * Promotion vocabulary: which environment a unit takes its values from, how long a value must
 * have run there, and when a promotion may land. The config layer builds these; the job and
 * `src/promotion/` read them.
 */

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
  /**
   * The source as written: an environment of the same target (`staging`), a single-unit target
   * (`staging-app`), or an environment of another target (`apps/staging`). Resolved against the
   * units once the environments are known (see src/promotion/sources.ts).
   */
  readonly from: string;
  /** How long a value must have held in the source, continuously. */
  readonly soakSeconds: number;
  readonly window: PromoteWindow | undefined;
  /** Where `promote-from` was written. */
  readonly location: ConfigLocation;
}
