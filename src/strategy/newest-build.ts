import {
  compareNamesDescending,
  findTies,
  type Candidate,
  type RankingStrategy,
  type SkippedTag,
} from './ranking.js';

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

interface Dated {
  readonly tag: string;
  readonly candidate: Candidate;
  readonly time: BuildTime;
}

/**
 * newest-build (alias `latest`): ordered by the image config's `created` for the configured
 * platform, never by name. Equal times (reproducible builds pin `created`) are ordered by tag
 * name, descending — argocd-image-updater's tie-break — and reported as ties. A candidate
 * without a readable `created` cannot be ranked and is skipped.
 */
export const newestBuildStrategy: RankingStrategy = {
  kind: 'ranking',
  name: 'newest-build',
  describe: 'newest build',
  needsMetadataToOrder: true,
  order(candidates) {
    const skipped: SkippedTag[] = [];
    const dated: Dated[] = [];
    for (const candidate of candidates) {
      if (candidate.metadata === undefined) {
        skipped.push({
          tag: candidate.tag,
          cause: 'metadataError',
          detail: 'has no metadata to read a build time from',
        });
        continue;
      }
      const time = parseBuildTime(candidate.metadata.created);
      if (time === undefined) {
        const detail =
          candidate.metadata.created === undefined
            ? 'has no build time (`created`) in its image config'
            : `has an unreadable build time ${JSON.stringify(candidate.metadata.created)}`;
        skipped.push({ tag: candidate.tag, cause: 'noCreated', detail });
        continue;
      }
      dated.push({ tag: candidate.tag, candidate, time });
    }
    dated.sort((a, b) => compareBuildTimes(b.time, a.time) || compareNamesDescending(a.tag, b.tag));
    return {
      ordered: dated.map((entry) => entry.candidate),
      skipped,
      ties: findTies(dated, (a, b) => compareBuildTimes(a.time, b.time) === 0),
    };
  },
  compare(a, b) {
    const timeA = parseBuildTime(a.metadata?.created);
    const timeB = parseBuildTime(b.metadata?.created);
    if (!timeA || !timeB) return undefined;
    return compareBuildTimes(timeA, timeB);
  },
};
