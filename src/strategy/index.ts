import type { StrategyName } from './policy.js';
import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import { alphabeticalStrategy } from './alphabetical.js';
import { digestStrategy, type DigestStrategy } from './digest.js';
import { newestBuildStrategy } from './newest-build.js';
import type { RankingStrategy } from './ranking.js';
import { semverStrategy } from './semver.js';

export type TagStrategy = RankingStrategy | DigestStrategy;

export function strategyFor(name: StrategyName): TagStrategy {
  switch (name) {
    case 'semver':
      return semverStrategy;
    case 'newest-build':
      return newestBuildStrategy;
    case 'alphabetical':
      return alphabeticalStrategy;
    case 'digest':
      return digestStrategy;
    default: {
      const unknown: never = name;
      throw new Error(`no strategy named ${JSON.stringify(unknown)}`);
    }
  }
}

/** Spellings accepted for `update-strategy`, argocd-image-updater's aliases included. */
const STRATEGY_SPELLINGS: ReadonlyMap<string, StrategyName> = new Map([
  ['semver', 'semver'],
  ['newest-build', 'newest-build'],
  ['latest', 'newest-build'],
  ['alphabetical', 'alphabetical'],
  ['name', 'alphabetical'],
  ['digest', 'digest'],
]);

/** Parses `update-strategy` (case-insensitive); unknown names are a configuration error. */
export function parseStrategyName(text: string, location: ConfigLocation): StrategyName {
  const name = STRATEGY_SPELLINGS.get(text.trim().toLowerCase());
  if (name === undefined) {
    throw new ConfigurationError(
      `update strategy ${JSON.stringify(text)} is unknown; expected one of semver, newest-build (alias latest), ` +
        'alphabetical (alias name), digest',
      location,
    );
  }
  return name;
}

export { parseAllowTags, compileGlob, isValidOciTag, filterTags } from './filter.js';
export { validateConstraint } from './semver.js';
export { parseDuration, parseMinAge } from './gates.js';
