import { buildTimeOf, compareBuildTimes, type BuildTime } from './build-time.js';
import {
  compareNamesDescending,
  findTies,
  type Candidate,
  type RankingStrategy,
  type SkippedTag,
} from './ranking.js';

interface Dated {
  readonly tag: string;
  readonly candidate: Candidate;
  readonly time: BuildTime;
}

/**
 * newest-build (alias `latest`): ordered by the image's build time (the config's `created` for
 * the configured platform, or its label for reproducible builds; see build-time.ts), never by name. Equal times (reproducible builds pin `created`) are ordered by tag
 * name, descending — argocd-image-updater's tie-break — and reported as ties. A candidate
 * without a readable `created` cannot be ranked and is skipped.
 */
export const newestBuildStrategy: RankingStrategy = {
  kind: 'ranking',
  name: 'newest-build',
  describe: 'newest build',
  tiedOn: 'build time',
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
      const time = buildTimeOf(candidate.metadata);
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
    const timeA = a.metadata && buildTimeOf(a.metadata);
    const timeB = b.metadata && buildTimeOf(b.metadata);
    if (!timeA || !timeB) return undefined;
    return compareBuildTimes(timeA, timeB);
  },
};
