import { describe, expect, it } from 'vitest';
import { rateLimitLines, usageMarkdown, usageRecord } from '../../src/job/report.js';

describe('registry usage', () => {
  it('is a table per image, sorted, with a total row', () => {
    const usage = new Map([
      ['docker.io/lyzhang1999/frontend', { requests: 12, bytes: 4096 }],
      ['docker.io/lyzhang1999/backend', { requests: 3, bytes: 1000 }],
    ]);
    expect(usageMarkdown(usage)).toBe(
      [
        '### Registry requests',
        '',
        '| Image | Requests | Bytes |',
        '|---|---:|---:|',
        '| `docker.io/lyzhang1999/backend` | 3 | 1000 |',
        '| `docker.io/lyzhang1999/frontend` | 12 | 4096 |',
        '| **total** | **15** | **5096** |',
        '',
      ].join('\n'),
    );
    expect(usageRecord(usage)).toEqual({
      'docker.io/lyzhang1999/frontend': { requests: 12, bytes: 4096 },
      'docker.io/lyzhang1999/backend': { requests: 3, bytes: 1000 },
    });
  });

  it('is empty when no request was made', () => {
    expect(usageMarkdown(new Map())).toBe('');
  });
});

describe('rate limit lines', () => {
  it('name each registry that reported a limit, once', () => {
    const readings = new Map([['docker.io', { remaining: 87, limit: 100, windowSeconds: 21600 }]]);
    expect(
      rateLimitLines(['docker.io', 'ghcr.io', 'docker.io'], (name) => readings.get(name)),
    ).toEqual(['docker.io: 87 of 100 pulls remaining per 6 h']);
  });
});
