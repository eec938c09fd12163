import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import {
  filterTags,
  globToRegExp,
  isValidOciTag,
  parseAllowTags,
} from '../../src/strategy/filter.js';

const where = { source: 'input allow-tags' };

describe('isValidOciTag', () => {
  it.each([
    ['main-b99bc73', true],
    ['v1.2.3', true],
    ['_private', true],
    ['1.0', true],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['', false],
    ['.hidden', false],
    ['-dash', false],
    ['tag with space', false],
    ['tag\nnewline', false],
    ['1.0+build', false],
    ['$(id)', false],
    ['tag/slash', false],
  ])('%j → %s', (tag, valid) => {
    expect(isValidOciTag(tag)).toBe(valid);
  });
});

describe('parseAllowTags', () => {
  it.each([
    ['any', 'any', undefined],
    ['ANY', 'any', undefined],
    ['  any ', 'any', undefined],
    ['regexp:^main-', 'regexp', '^main-'],
    ['RegExp:^v[0-9]+', 'regexp', '^v[0-9]+'],
    ['regexp:a:b', 'regexp', 'a:b'],
    ['', 'regexp', '^main-'],
    ['   ', 'regexp', '^main-'],
  ])('%j → %s %s', (text, kind, source) => {
    const matcher = parseAllowTags(text, where);
    expect(matcher.kind).toBe(kind);
    if (matcher.kind === 'regexp') expect(matcher.source).toBe(source);
  });

  it.each([
    ['regexp:^main-', 'main-abc', true],
    ['regexp:^main-', 'feature-main-abc', false],
    ['regexp:^[0-9a-f]{7}$', 'b99bc73', true],
    ['regexp:^[0-9a-f]{7}$', 'b99bc73x', false],
    // unanchored, like Go's MatchString
    ['regexp:main', 'x-main-y', true],
    // Go's (?i) prefix is honoured
    ['regexp:(?i)^MAIN-', 'main-abc', true],
  ])('%j matches %j: %s', (text, tag, matches) => {
    const matcher = parseAllowTags(text, where);
    expect(matcher.kind === 'regexp' && matcher.pattern.test(tag)).toBe(matches);
  });

  it('the compiled pattern gives the same answer on repeated use (no global flag)', () => {
    const matcher = parseAllowTags('regexp:^main-', where);
    const answers = [1, 2, 3].map(
      () => matcher.kind === 'regexp' && matcher.pattern.test('main-1'),
    );
    expect(answers).toEqual([true, true, true]);
  });

  it.each([
    ['regexp:^main-(', /allow-tags regular expression "\^main-\(" is invalid/],
    ['regexp:[a-', /is invalid/],
    ['glob:main-*', /expected `any` or `regexp:<regular expression>`/],
    ['^main-', /did you mean "regexp:\^main-"/],
  ])('%j is a configuration error naming the input', (text, message) => {
    const attempt = () =>
      parseAllowTags(text, { source: '.github/helm-image-updater.yml', line: 4 });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/^\.github\/helm-image-updater\.yml:4: /);
  });
});

describe('globToRegExp (Go filepath.Match semantics, as argocd-image-updater ignore-tags)', () => {
  it.each([
    // argocd-image-updater's table: `tag?` ignores tag1 but not tag10
    ['tag?', 'tag1', true],
    ['tag?', 'tag10', false],
    ['tag?', 'tag', false],
    ['*', 'anything', true],
    ['*', '', true],
    ['latest', 'latest', true],
    ['latest', 'latest-1', false],
    ['latest', 'notlatest', false],
    ['*-debug', 'main-abc-debug', true],
    ['*-debug', 'main-abc-debugger', false],
    ['main-*', 'main-', true],
    ['v1.*', 'v1.2', true],
    ['v1.*', 'v1x2', false],
    ['[abc]x', 'bx', true],
    ['[abc]x', 'dx', false],
    ['[a-c]x', 'cx', true],
    ['[^a-c]x', 'cx', false],
    ['[^a-c]x', 'dx', true],
    ['[\\]]x', ']x', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['(x)', '(x)', true],
  ])('%j on %j: %s', (glob, tag, matches) => {
    expect(globToRegExp(glob).test(tag)).toBe(matches);
  });

  it.each(['[abc', '[]', '[z-a]', 'x\\', '[-a]'])('%j is malformed', (glob) => {
    expect(() => globToRegExp(glob, { source: 'input ignore-tags' })).toThrow(ConfigurationError);
    expect(() => globToRegExp(glob, { source: 'input ignore-tags' })).toThrow(
      /input ignore-tags: ignore-tags glob/,
    );
  });
});

describe('filterTags', () => {
  const allowMain = parseAllowTags('regexp:^main-', where);
  it.each([
    {
      name: 'allow, ignore and invalid are counted separately',
      tags: ['main-a', 'main-b', 'dev-c', 'main-debug', '.bad', 'main-a'],
      allowTags: allowMain,
      ignoreTags: ['*-debug'],
      kept: ['main-a', 'main-b'],
      skipped: { invalid: ['.bad'], notAllowed: ['dev-c'], ignored: ['main-debug'] },
    },
    {
      name: 'any keeps every valid tag',
      tags: ['x', 'y', 'tag1', 'tag10'],
      allowTags: { kind: 'any' } as const,
      ignoreTags: ['tag?'],
      kept: ['x', 'y', 'tag10'],
      skipped: { invalid: [], notAllowed: [], ignored: ['tag1'] },
    },
    {
      name: 'empty list',
      tags: [],
      allowTags: allowMain,
      ignoreTags: [],
      kept: [],
      skipped: { invalid: [], notAllowed: [], ignored: [] },
    },
  ])('$name', ({ tags, allowTags, ignoreTags, kept, skipped }) => {
    expect(filterTags(tags, { allowTags, ignoreTags })).toEqual({ kept, skipped });
  });
});
