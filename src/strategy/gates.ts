import type { TagPolicy } from './policy.js';
import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import { platformMatches } from '../registry/platform.js';
import type { TagMetadata } from '../registry/types.js';
import { buildTimeOf, futureBuild } from './build-time.js';
import type { SkippedTag } from './ranking.js';

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses `min-age`: `30s`, `15m`, `2h`, `1d`, or a combination largest unit first (`1h30m`,
 * `1d12h`). Empty or `0` disables the soak time. Returns seconds.
 */
export function parseMinAge(text: string, location: ConfigLocation): number {
  return parseDuration(text, 'min-age', location);
}

/** A duration setting (`min-age`, `soak`) in seconds; `name` is the setting, for the message. */
export function parseDuration(text: string, name: string, location: ConfigLocation): number {
  const value = text.trim();
  if (value === '' || value === '0') return 0;
  const match = DURATION.exec(value);
  if (!match || match.slice(1).every((part) => part === undefined)) {
    throw new ConfigurationError(
      `${name} ${JSON.stringify(text)} is not a duration; expected a number with a unit such as 30s, 15m, 2h, 1d, or a combination like 1h30m`,
      location,
    );
  }
  const [days = 0, hours = 0, minutes = 0, seconds = 0] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

/** The required platforms a tag does not offer. */
export function missingPlatforms(metadata: TagMetadata, required: readonly string[]): string[] {
  return required.filter(
    (platform) => !metadata.platforms.some((offered) => platformMatches(platform, offered)),
  );
}

/**
 * The checks a ranked candidate must pass before it is chosen: every required platform, and the
 * soak time. Undefined when the candidate passes.
 */
export function checkGates(
  candidate: { readonly tag: string; readonly metadata: TagMetadata },
  policy: Pick<TagPolicy, 'platforms' | 'minAgeSeconds'>,
  now: Date,
): SkippedTag | undefined {
  const missing = missingPlatforms(candidate.metadata, policy.platforms);
  if (missing.length > 0) {
    const offered =
      candidate.metadata.platforms.length > 0 ? candidate.metadata.platforms.join(', ') : 'none';
    return {
      tag: candidate.tag,
      cause: 'platform',
      detail: `lacks ${missing.join(', ')} (offers ${offered})`,
    };
  }
  if (policy.minAgeSeconds > 0) {
    const built = buildTimeOf(candidate.metadata);
    if (built === undefined) {
      return {
        tag: candidate.tag,
        cause: 'noCreated',
        detail: 'has no build time to check min-age against',
      };
    }
    const future = futureBuild(candidate, now);
    if (future) return future;
    const ageSeconds = (now.getTime() - built.epochMs) / 1000;
    if (ageSeconds < policy.minAgeSeconds) {
      return {
        tag: candidate.tag,
        cause: 'tooYoung',
        detail: `is ${formatDuration(Math.max(0, ageSeconds))} old, younger than min-age ${formatDuration(policy.minAgeSeconds)}`,
      };
    }
  }
  return undefined;
}

/** `1h30m`, `45s`: the form min-age is written in. */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.floor(totalSeconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.length > 0 ? parts.join('') : '0s';
}
