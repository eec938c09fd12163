import { describe, expect, it } from 'vitest';
import { nextPageUrl, parseLinkHeader } from '../../src/registry/tags.js';

describe('parseLinkHeader', () => {
  it.each([
    [
      '</v2/a/tags/list?n=2&last=b>; rel="next"',
      [{ target: '/v2/a/tags/list?n=2&last=b', rel: ['next'] }],
    ],
    ['<https://h/x>; rel=next', [{ target: 'https://h/x', rel: ['next'] }]],
    [
      '<https://h/p?a=1,2>; rel="prev", <https://h/n>; title="a, b"; rel="next last"',
      [
        { target: 'https://h/p?a=1,2', rel: ['prev'] },
        { target: 'https://h/n', rel: ['next', 'last'] },
      ],
    ],
    ['<https://h/x>', [{ target: 'https://h/x', rel: [] }]],
    ['garbage', []],
  ])('%s', (header, expected) => {
    expect(parseLinkHeader(header)).toEqual(expected);
  });
});

describe('nextPageUrl', () => {
  const current = new URL('https://registry.example.com/v2/a/tags/list?n=100');
  it.each([
    [
      '</v2/a/tags/list?n=100&last=x>; rel="next"',
      'https://registry.example.com/v2/a/tags/list?n=100&last=x',
    ],
    [
      '<https://other.example.com/v2/a/tags/list?last=x>; rel="next"',
      'https://other.example.com/v2/a/tags/list?last=x',
    ],
    ['</v2/a/tags/list?last=x>; rel="prev"', undefined],
    [undefined, undefined],
  ])('%s → %s', (header, expected) => {
    expect(nextPageUrl(header, current)?.href).toBe(expected);
  });
});
