import semver from 'semver';

import { ConfigurationError, errorMessage, type ConfigLocation } from '../core/errors.js';
import {
  compareNamesDescending,
  findTies,
  type Candidate,
  type RankingStrategy,
  type SkippedTag,
} from './ranking.js';

/**
 * Tags read as versions the way argocd-image-updater (Masterminds/semver `NewVersion`) reads them:
 * an optional `v`, and minor and patch may be missing (`1.0` is 1.0.0). OCI tags cannot hold
 * `+`, so there is no build metadata to handle.
 */
const LOOSE_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** The version a tag names, or undefined when it is not a semantic version. */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const match = LOOSE_VERSION.exec(tag);
  if (!match) return undefined;
  const [, major, minor, patch, prerelease] = match;
  const core = [major, minor ?? '0', patch ?? '0'].map((part) => String(Number(part))).join('.');
  return semver.parse(prerelease === undefined ? core : `${core}-${prerelease}`) ?? undefined;
}

/** A semver constraint ready to test versions against. */
export interface CompiledConstraint {
  readonly text: string;
  readonly range: semver.Range;
  /** True when the constraint names a pre-release, which lets pre-releases in (Masterminds semantics). */
  readonly includePrerelease: boolean;
}

/** A version with a pre-release part, as written in a constraint: `1.2.0-rc.1`, `2-beta`. */
const PRERELEASE_IN_CONSTRAINT = /\d(?:\.(?:\d+|[xX*])){0,2}-[0-9A-Za-z]/;

/**
 * Compiles a constraint such as `^1.2`, `~1.0`, `>=1 <2` or `>=1, <2` (commas are AND, as in
 * Masterminds/semver). Without a pre-release in it, pre-releases never match; with one, any
 * pre-release inside the range does (npm's `includePrerelease`, which is how Masterminds/semver
 * and so argocd-image-updater behave). Throws a ConfigurationError for anything unreadable.
 */
export function compileConstraint(text: string, location?: ConfigLocation): CompiledConstraint {
  const normalised = text.trim().replace(/,/g, ' ');
  const includePrerelease = PRERELEASE_IN_CONSTRAINT.test(normalised);
  try {
    return {
      text: text.trim(),
      range: new semver.Range(normalised, { includePrerelease }),
      includePrerelease,
    };
  } catch (error) {
    throw new ConfigurationError(
      `semver constraint ${JSON.stringify(text)} is invalid (${errorMessage(error)}); ` +
        'expected a range such as ^1.2, ~1.0 or >=1 <2',
      location,
    );
  }
}

/**
 * Validates a constraint for the config reader. Returns the trimmed constraint, or undefined for
 * an empty one (no constraint).
 */
export function validateConstraint(text: string, location: ConfigLocation): string | undefined {
  if (text.trim() === '') return undefined;
  return compileConstraint(text, location).text;
}

interface Versioned {
  readonly tag: string;
  readonly candidate: Candidate;
  readonly version: semver.SemVer;
}

/**
 * semver: the highest version first. Equal versions (`v1.2.0`, `1.2.0`, `1.2`) are ordered by tag
 * name, descending, so the same tag wins every run; the tie is reported.
 */
export const semverStrategy: RankingStrategy = {
  kind: 'ranking',
  name: 'semver',
  describe: 'highest version',
  tiedOn: 'version',
  needsMetadataToOrder: false,
  order(candidates, policy) {
    const constraint =
      policy.constraint === undefined || policy.constraint.trim() === ''
        ? undefined
        : compileConstraint(policy.constraint);
    const skipped: SkippedTag[] = [];
    const ranked: Versioned[] = [];
    for (const candidate of candidates) {
      const version = parseTagVersion(candidate.tag);
      if (!version) {
        skipped.push({
          tag: candidate.tag,
          cause: 'notSemver',
          detail: 'is not a semantic version',
        });
      } else if (constraint && !constraint.range.test(version)) {
        skipped.push({
          tag: candidate.tag,
          cause: 'outOfRange',
          detail: `is outside constraint ${constraint.text}`,
        });
      } else if (!constraint && version.prerelease.length > 0) {
        skipped.push({
          tag: candidate.tag,
          cause: 'prerelease',
          detail: 'is a pre-release and no constraint asks for one',
        });
      } else {
        ranked.push({ tag: candidate.tag, candidate, version });
      }
    }
    ranked.sort(
      (a, b) => semver.compare(b.version, a.version) || compareNamesDescending(a.tag, b.tag),
    );
    return {
      ordered: ranked.map((entry) => entry.candidate),
      skipped,
      ties: findTies(ranked, (a, b) => semver.compare(a.version, b.version) === 0),
    };
  },
  compare(a, b) {
    const versionA = parseTagVersion(a.tag);
    const versionB = parseTagVersion(b.tag);
    if (!versionA || !versionB) return undefined;
    return semver.compare(versionA, versionB);
  },
};
