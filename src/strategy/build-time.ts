import type { TagMetadata } from '../core/tag-metadata.js';
import type { SkippedTag } from './ranking.js';

/** A build time with the nanoseconds Go writes into `created`, which a JavaScript Date drops. */
export interface BuildTime {
  readonly epochMs: number;
  /** Nanoseconds past `epochMs`, 0–999 999. */
  readonly subMsNanos: number;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

/** Reads an image config's `created`; undefined when missing or unreadable. */
export function parseBuildTime(created: string | undefined): BuildTime | undefined {
  if (created === undefined) return undefined;
  const text = created.trim();
  const match = RFC3339.exec(text);
  if (match) {
    const [, base, fraction = '', zone] = match;
    const digits = fraction.padEnd(9, '0').slice(0, 9);
    const epochMs = Date.parse(`${base}.${digits.slice(0, 3)}${zone}`);
    return Number.isNaN(epochMs) ? undefined : { epochMs, subMsNanos: Number(digits.slice(3)) };
  }
  const epochMs = Date.parse(text);
  return Number.isNaN(epochMs) ? undefined : { epochMs, subMsNanos: 0 };
}

export function compareBuildTimes(a: BuildTime, b: BuildTime): number {
  return a.epochMs - b.epochMs || a.subMsNanos - b.subMsNanos;
}

/** The OCI annotation and label reproducible builds keep the real build time in. */
export const CREATED_LABEL = 'org.opencontainers.image.created';

/**
 * A config `created` before this is not a build time but a placeholder: ko, Jib, rules_oci and
 * other reproducible builds write the epoch (or 1980-01-01, the zip epoch) on purpose.
 */
const REPRODUCIBLE_BEFORE_MS = Date.UTC(1980, 0, 1);

/** How far ahead of the run's clock a build time may be (clock skew between machines). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface ImageBuildTime extends BuildTime {
  /** The text the time was read from. */
  readonly text: string;
  /** `created` of the image config, or the `org.opencontainers.image.created` label. */
  readonly source: 'created' | 'label';
}

/**
 * The build time of an image: the config's `created`, unless that is missing or before 1980
 * (a reproducible build's placeholder) and the `org.opencontainers.image.created` label holds a
 * readable time; then the label. Undefined when neither can be read.
 */
export function buildTimeOf(metadata: TagMetadata): ImageBuildTime | undefined {
  const created = parseBuildTime(metadata.created);
  if (created !== undefined && created.epochMs >= REPRODUCIBLE_BEFORE_MS) {
    return { ...created, text: (metadata.created as string).trim(), source: 'created' };
  }
  const labelText = metadata.labels[CREATED_LABEL];
  const label = parseBuildTime(labelText);
  if (label !== undefined && label.epochMs >= REPRODUCIBLE_BEFORE_MS) {
    return { ...label, text: (labelText as string).trim(), source: 'label' };
  }
  return created === undefined
    ? undefined
    : { ...created, text: (metadata.created as string).trim(), source: 'created' };
}

/**
 * A build time more than FUTURE_TOLERANCE_MS ahead of `now` is not evidence of anything but a
 * wrong clock on the build machine: the tag is skipped, with the time in the reason.
 */
export function futureBuild(
  candidate: { readonly tag: string; readonly metadata: TagMetadata | undefined },
  now: Date,
): SkippedTag | undefined {
  const time = candidate.metadata && buildTimeOf(candidate.metadata);
  if (time === undefined || time.epochMs - now.getTime() <= FUTURE_TOLERANCE_MS) return undefined;
  const from = time.source === 'label' ? `label ${CREATED_LABEL}` : 'image config';
  return {
    tag: candidate.tag,
    cause: 'futureBuild',
    detail: `was built at ${time.text} by its ${from}, after this run's clock (${now.toISOString()}); a build time in the future is not trusted`,
  };
}
