import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import {
  compileConstraint,
  parseTagVersion,
  semverStrategy,
  validateConstraint,
} from '../../src/strategy/semver.js';
import { policyWith } from './fixtures.js';

const candidates = (tags: readonly string[]) => tags.map((tag) => ({ tag, metadata: undefined }));

function best(tags: readonly string[], constraint?: string): string | undefined {
  const ordering = semverStrategy.order(
    candidates(tags),
    policyWith({ strategy: 'semver', constraint }),
  );
  return ordering.ordered[0]?.tag;
}

describe('semver ordering', () => {
  const argocdTags = ['0.1', '0.5.1', '0.9', '1.0', '1.0.1', '1.1.2', '2.0.3'];
  it.each([
    // argocd-image-updater's own table
    ['^1.0', argocdTags, '1.1.2'],
    ['~1.0', argocdTags, '1.0.1'],
    [undefined, argocdTags, '2.0.3'],
    ['', argocdTags, '2.0.3'],
    ['>=1 <2', argocdTags, '1.1.2'],
    ['>=1, <1.1', argocdTags, '1.0.1'],
    ['<0.5', argocdTags, '0.1'],
    ['^3', argocdTags, undefined],
    // v prefix
    ['^1.2', ['v1.2.0', 'v1.3.4', 'v1.10.0', 'v2.0.0'], 'v1.10.0'],
    [undefined, ['v1.9.0', '1.10.0'], '1.10.0'],
    // pre-releases only when the constraint names one
    [undefined, ['1.0.0', '1.1.0-rc.1'], '1.0.0'],
    ['^1.0', ['1.0.0', '1.1.0-rc.1'], '1.0.0'],
    ['>=1.1.0-rc.0', ['1.0.0', '1.1.0-rc.1'], '1.1.0-rc.1'],
    ['^1.0.0-0', ['1.0.0', '1.1.0-rc.1', '1.0.5'], '1.1.0-rc.1'],
    ['>=1.1.0-rc.0', ['1.1.0-rc.1', '1.1.0'], '1.1.0'],
    // non-semver tags are ignored
    [undefined, ['latest', 'main-abc', '0.0.1'], '0.0.1'],
    [undefined, ['latest', 'main-abc'], undefined],
    // ties between spellings of one version are broken by name, descending
    [undefined, ['1.2.0', 'v1.2.0'], 'v1.2.0'],
    [undefined, ['v1.2.0', '1.2.0'], 'v1.2.0'],
    [undefined, ['1.2', '1.2.0'], '1.2.0'],
  ])('constraint %j over %j → %j', (constraint, tags, expected) => {
    expect(best(tags, constraint)).toBe(expected);
  });

  it('counts why tags were not ranked', () => {
    const ordering = semverStrategy.order(
      candidates(['latest', '1.0.0', '2.0.0', '1.1.0-rc.1', '0.9.0']),
      policyWith({ strategy: 'semver', constraint: '^1' }),
    );
    expect(ordering.ordered.map((candidate) => candidate.tag)).toEqual(['1.0.0']);
    expect(ordering.skipped.map((entry) => [entry.tag, entry.cause])).toEqual([
      ['latest', 'notSemver'],
      ['2.0.0', 'outOfRange'],
      ['1.1.0-rc.1', 'outOfRange'],
      ['0.9.0', 'outOfRange'],
    ]);
  });

  it('a pre-release without a constraint is skipped as such', () => {
    const ordering = semverStrategy.order(
      candidates(['1.1.0-rc.1']),
      policyWith({ strategy: 'semver' }),
    );
    expect(ordering.skipped).toEqual([
      {
        tag: '1.1.0-rc.1',
        cause: 'prerelease',
        detail: 'is a pre-release and no constraint asks for one',
      },
    ]);
  });

  it('reports ties between spellings of the same version', () => {
    const ordering = semverStrategy.order(
      candidates(['v1.2.0', '1.2.0', '1.1.0']),
      policyWith({ strategy: 'semver' }),
    );
    expect(ordering.ordered.map((candidate) => candidate.tag)).toEqual([
      'v1.2.0',
      '1.2.0',
      '1.1.0',
    ]);
    expect(ordering.ties.get('v1.2.0')).toEqual(['1.2.0']);
    expect(ordering.ties.has('1.1.0')).toBe(false);
  });

  it.each([
    ['2.0.0', '1.9.9', 1],
    ['1.9.9', '2.0.0', -1],
    ['v1.2.0', '1.2.0', 0],
    ['main-abc', '1.0.0', undefined],
  ])('compare(%j, %j) → %j', (a, b, expected) => {
    const result = semverStrategy.compare(
      { tag: a, metadata: undefined },
      { tag: b, metadata: undefined },
    );
    expect(result === undefined ? undefined : Math.sign(result)).toBe(expected);
  });
});

describe('parseTagVersion', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['1.0', '1.0.0'],
    ['v2', '2.0.0'],
    ['1.2.3-rc.1', '1.2.3-rc.1'],
    ['01.02.03', '1.2.3'],
    ['main-abc', undefined],
    ['1.2.3.4', undefined],
    ['latest', undefined],
    ['V1.2.3', undefined],
    ['1.2.3-01', undefined],
  ])('%j → %j', (tag, version) => {
    expect(parseTagVersion(tag)?.version).toBe(version);
  });
});

describe('constraints', () => {
  it.each([
    ['^1.2', false],
    ['~1.0', false],
    ['>=1 <2', false],
    ['>=1, <2', false],
    ['1.2.x', false],
    ['>=1.0.0-rc.1', true],
    ['^2.0.0-beta', true],
    ['1.0.0 - 2.0.0', false],
  ])('%j is valid (pre-releases: %s)', (text, includePrerelease) => {
    expect(validateConstraint(text, { source: 'input images' })).toBe(text);
    expect(compileConstraint(text).includePrerelease).toBe(includePrerelease);
  });

  it('an empty constraint is no constraint', () => {
    expect(validateConstraint('  ', { source: 'input images' })).toBeUndefined();
  });

  it.each(['abc', '!=1.2', '^1.2 ||| x', '>>1'])('%j is a configuration error', (text) => {
    const attempt = () => validateConstraint(text, { source: 'images.yml', line: 3 });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      /^images\.yml:3: semver constraint .* is invalid .*expected a range such as \^1\.2/,
    );
  });
});
