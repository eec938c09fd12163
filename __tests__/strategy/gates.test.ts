import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import {
  checkGates,
  formatDuration,
  missingPlatforms,
  parseMinAge,
} from '../../src/strategy/gates.js';
import { metadataOf, policyWith } from './fixtures.js';

describe('parseMinAge', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86400],
    ['1h30m', 5400],
    ['1d12h', 129600],
    ['2h0m5s', 7205],
    [' 45m ', 2700],
    ['', 0],
    ['0', 0],
  ])('%j → %i seconds', (text, seconds) => {
    expect(parseMinAge(text, { source: 'input min-age' })).toBe(seconds);
  });

  it.each(['2', '2 h', '1m1h', '1.5h', '-1h', 'h', '2H', 'soon', '1w'])(
    '%j is a configuration error',
    (text) => {
      const attempt = () => parseMinAge(text, { source: 'input min-age' });
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(
        /^input min-age: min-age .* is not a duration; expected .*30s, 15m, 2h, 1d/,
      );
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [5400, '1h30m'],
    [90061, '1d1h1m1s'],
  ])('%i → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('platform gate', () => {
  it.each([
    [['linux/amd64'], ['linux/amd64', 'linux/arm64'], []],
    [['linux/amd64', 'linux/arm64'], ['linux/amd64'], ['linux/arm64']],
    [['linux/arm64'], ['linux/arm64/v8'], []],
    [['linux/arm/v7'], ['linux/arm/v6'], ['linux/arm/v7']],
    [['linux/amd64'], [], ['linux/amd64']],
    [['windows/amd64'], ['linux/amd64'], ['windows/amd64']],
  ])('required %j, offered %j → missing %j', (required, offered, missing) => {
    expect(missingPlatforms(metadataOf('t', undefined, { platforms: offered }), required)).toEqual(
      missing,
    );
  });
});

describe('checkGates', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  it.each([
    {
      name: 'passes',
      created: '2024-05-01T09:00:00Z',
      platforms: ['linux/amd64'],
      minAge: 7200,
      cause: undefined,
    },
    {
      name: 'too young for min-age',
      created: '2024-05-01T11:00:00Z',
      platforms: ['linux/amd64'],
      minAge: 7200,
      cause: 'tooYoung',
    },
    {
      name: 'exactly min-age old passes',
      created: '2024-05-01T10:00:00Z',
      platforms: ['linux/amd64'],
      minAge: 7200,
      cause: undefined,
    },
    {
      name: 'min-age needs a build time',
      created: undefined,
      platforms: ['linux/amd64'],
      minAge: 60,
      cause: 'noCreated',
    },
    {
      name: 'no min-age, no build time needed',
      created: undefined,
      platforms: ['linux/amd64'],
      minAge: 0,
      cause: undefined,
    },
    {
      name: 'lacks a platform',
      created: '2024-05-01T09:00:00Z',
      platforms: ['linux/arm64'],
      minAge: 0,
      cause: 'platform',
    },
  ])('$name', ({ created, platforms, minAge, cause }) => {
    const rejection = checkGates(
      { tag: 'main-a', metadata: metadataOf('main-a', created, { platforms }) },
      policyWith({ minAgeSeconds: minAge }),
      now,
    );
    expect(rejection?.cause).toBe(cause);
  });

  it('says what is missing and what is offered', () => {
    const rejection = checkGates(
      { tag: 'main-a', metadata: metadataOf('main-a', undefined, { platforms: ['linux/amd64'] }) },
      policyWith({ platforms: ['linux/amd64', 'linux/arm64'] }),
      now,
    );
    expect(rejection?.detail).toBe('lacks linux/arm64 (offers linux/amd64)');
  });

  it('says how old a young build is', () => {
    const rejection = checkGates(
      { tag: 'main-a', metadata: metadataOf('main-a', '2024-05-01T11:30:00Z') },
      policyWith({ minAgeSeconds: 7200 }),
      now,
    );
    expect(rejection?.detail).toBe('is 30m old, younger than min-age 2h');
  });
});
