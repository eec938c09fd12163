import { describe, expect, it } from 'vitest';

import type { StrategyName } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseStrategyName, strategyFor } from '../../src/strategy/index.js';

describe('parseStrategyName', () => {
  it.each([
    ['semver', 'semver'],
    ['newest-build', 'newest-build'],
    ['latest', 'newest-build'],
    ['alphabetical', 'alphabetical'],
    ['name', 'alphabetical'],
    ['digest', 'digest'],
    [' Latest ', 'newest-build'],
    ['SEMVER', 'semver'],
  ])('%j → %s', (text, name) => {
    expect(parseStrategyName(text, { source: 'input update-strategy' })).toBe(name);
  });

  it.each(['newest', '', 'semver2', 'lexical'])(
    '%j is a configuration error listing the valid names',
    (text) => {
      const attempt = () => parseStrategyName(text, { source: 'app.yaml', line: 9 });
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(
        /^app\.yaml:9: update strategy .* is unknown; expected one of semver, newest-build \(alias latest\), alphabetical \(alias name\), digest$/,
      );
    },
  );
});

describe('strategyFor', () => {
  it.each([
    ['semver', 'ranking'],
    ['newest-build', 'ranking'],
    ['alphabetical', 'ranking'],
    ['digest', 'tracking'],
  ] as [StrategyName, string][])('%s is a %s strategy with that name', (name, kind) => {
    const strategy = strategyFor(name);
    expect(strategy.name).toBe(name);
    expect(strategy.kind).toBe(kind);
  });
});
