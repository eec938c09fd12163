import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import {
  filterTags,
  compileGlob,
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

describe('compileGlob (Go filepath.Match semantics, as argocd-image-updater ignore-tags)', () => {
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
    expect(compileGlob(glob).test(tag)).toBe(matches);
  });

  it.each(['[abc', '[]', '[z-a]', 'x\\', '[-a]'])('%j is malformed', (glob) => {
    expect(() => compileGlob(glob, { source: 'input ignore-tags' })).toThrow(ConfigurationError);
    expect(() => compileGlob(glob, { source: 'input ignore-tags' })).toThrow(
      /input ignore-tags: ignore-tags glob/,
    );
  });
});

// Go's regexp (RE2) syntax, as argocd-image-updater reads `regexp:` allow-tags. Each row is what
// Go's regexp.MustCompile(re).MatchString(tag) answers; JavaScript's RegExp answers differently
// for the rows marked JS (POSIX classes, \A, \z, \pN, \Q…\E and (?s) are not JavaScript syntax).
describe('allow-tags regexps behave as Go RE2', () => {
  it.each([
    ['[[:digit:]]+$', 'main-123', true], // JS: a class of [:digt characters
    ['^main-[[:xdigit:]]{7}$', 'main-b99bc73', true], // JS
    ['^main-[[:xdigit:]]{7}$', 'main-b99bc7z', false],
    ['^[[:alpha:]]+$', 'release', true], // JS
    ['[[:^digit:]]', '123', false],
    ['\\Av1\\.', 'v1.2', true], // JS: \A is a literal A
    ['\\Av1\\.', 'xv1.2', false],
    ['^v1\\.[0-9]+\\z', 'v1.20', true], // JS: \z is a literal z
    ['^v1\\.[0-9]+\\z', 'v1.20z', false],
    ['^v\\pN+$', 'v123', true], // JS without the u flag: pN is literal
    ['^\\p{L}+-', 'main-1', true], // JS
    ['^\\Qv1.2\\E', 'v1.2.3', true], // JS
    ['^\\Qv1.2\\E', 'v1x2', false],
    ['(?i)^MAIN-', 'main-abc', true],
    ['^(?i:MAIN)-[a-f0-9]+$', 'Main-abc', true], // JS (Node 20)
    ['(?s)^a.b$', 'a_b', true],
    ['^(?P<sha>[0-9a-f]{7})$', 'b99bc73', true], // JS
    ['main', 'x-main-y', true],
    ['^[0-9]+\\.[0-9]+$', '1.20', true],
    ['^[0-9]+\\.[0-9]+$', '1.20.1', false],
    ['^main-$', 'main-', true],
  ])('%j matches %j: %s', (source, tag, matches) => {
    const matcher = parseAllowTags(`regexp:${source}`, where);
    expect(matcher.kind === 'regexp' && matcher.pattern.test(tag)).toBe(matches);
  });

  it.each([
    ['^main-(?=[a-f0-9])', 'lookahead'],
    ['^main-(?!dev)', 'negative lookahead'],
    ['(?<=main-)[a-f0-9]+$', 'lookbehind'],
    ['^(a)\\1$', 'backreference'],
    ['^a{1001}$', 'a repeat count above 1000'],
    ['^main-[', 'an unclosed class'],
  ])('%j (%s) is a configuration error naming the input, as Go rejects it', (source) => {
    const attempt = () =>
      parseAllowTags(`regexp:${source}`, {
        source: 'annotation argocd-image-updater.argoproj.io/web.allow-tags',
      });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      /^annotation argocd-image-updater\.argoproj\.io\/web\.allow-tags: allow-tags regular expression .* is invalid in RE2 syntax/,
    );
  });
});

// A backtracking engine needs about 2^n steps for these; RE2 needs a number of steps linear in
// the tag. The bound is generous (seconds) because the difference is not a constant factor:
// with a backtracking engine the first row alone would not finish in the lifetime of the machine.
describe('a tag filter runs in linear time', () => {
  const hostile = `${'a'.repeat(127)}_`;

  it.each([
    ['regexp:^([a-z0-9]+-?)+$', hostile],
    ['regexp:^(a|a)*$', hostile],
    ['regexp:^(a+)+b', hostile],
    ['regexp:(x+x+)+y', 'x'.repeat(127)],
  ])('allow-tags %j against a %#-th hostile tag of 128 characters', (text, tag) => {
    const matcher = parseAllowTags(text, where);
    const started = performance.now();
    expect(filterTags([tag], { allowTags: matcher, ignoreTags: [] }).skipped.notAllowed).toEqual([
      tag,
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a 10 000-character string against a catastrophic pattern completes', () => {
    const matcher = parseAllowTags('regexp:^([a-z0-9]+-?)+$', where);
    const long = `${'a'.repeat(10_000)}_`;
    const started = performance.now();
    expect(matcher.kind === 'regexp' && matcher.pattern.test(long)).toBe(false);
    expect(matcher.kind === 'regexp' && matcher.pattern.test(long.slice(0, -1))).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    // The OCI grammar drops such a tag before any pattern sees it.
    expect(filterTags([long], { allowTags: matcher, ignoreTags: [] }).skipped.invalid).toEqual([
      long,
    ]);
  });

  it('an ignore-tags glob with many stars against a hostile tag', () => {
    const glob = '*a*a*a*a*a*a*a*a*a*a*a*a*b';
    const started = performance.now();
    expect(compileGlob(glob).test('a'.repeat(127))).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
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

describe('signature and referrers tags are never candidates', () => {
  it('drops cosign .sig/.att/.sbom tags and referrers-tag-schema indexes even with allow-tags any', () => {
    const hex = 'ab'.repeat(32);
    const result = filterTags(
      [
        `sha256-${hex}.sig`,
        `sha256-${hex}.att`,
        `sha256-${hex}.sbom`,
        `sha256-${hex}`,
        'sha256-abc',
        'v1',
      ],
      { allowTags: { kind: 'any' }, ignoreTags: [] },
    );
    expect(result.kept).toEqual(['sha256-abc', 'v1']);
    expect(result.skipped.ignored).toHaveLength(4);
  });
});
