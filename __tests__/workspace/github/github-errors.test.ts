import { describe, expect, it } from 'vitest';
import { PublishError } from '../../../src/core/errors.js';
import { gitHubFailure, publishError } from '../../../src/workspace/github/github-errors.js';

/** The shape Octokit throws: an Error with `status` and the parsed `response.data`. */
function httpError(status: number, data: unknown): Error {
  return Object.assign(new Error(`HTTP ${status} - https://docs.github.com/rest`), {
    status,
    response: { status, data, headers: {} },
  });
}

describe('publishError', () => {
  it.each([
    {
      name: '401',
      error: httpError(401, { message: 'Bad credentials' }),
      says: [
        'Could not create a commit in acme/charts',
        '401 (Bad credentials)',
        'invalid or has expired',
      ],
    },
    {
      name: '403 from GITHUB_TOKEN without permissions',
      error: httpError(403, { message: 'Resource not accessible by integration' }),
      says: ['permissions: contents: write, pull-requests: write'],
    },
    {
      name: '403 from a fine-grained token',
      error: httpError(403, { message: 'Resource not accessible by personal access token' }),
      says: ['grant Contents and Pull requests write access'],
    },
    {
      name: '403 when Actions may not open pull requests',
      error: httpError(403, {
        message: 'GitHub Actions is not permitted to create or approve pull requests.',
      }),
      says: ['Allow GitHub Actions to create and approve pull requests', 'GitHub App token'],
    },
    {
      name: '403 rate limit after the retries',
      error: httpError(403, { message: 'You have exceeded a secondary rate limit.' }),
      says: ["GitHub's rate limit stopped the run"],
    },
    {
      name: '404',
      error: httpError(404, { message: 'Not Found' }),
      says: ['404 (Not Found)', 'the token cannot see it'],
    },
    {
      name: '422 with validation details',
      error: httpError(422, {
        message: 'Validation Failed',
        errors: [
          { resource: 'PullRequest', code: 'custom', message: 'No commits between main and x' },
        ],
      }),
      says: ['422 (Validation Failed; No commits between main and x)'],
    },
    {
      name: '500',
      error: httpError(500, { message: 'Server Error' }),
      says: ['the next run will try again'],
    },
    {
      name: 'a network failure',
      error: new TypeError('fetch failed'),
      says: ['Could not create a commit in acme/charts: fetch failed', 'reachable'],
    },
  ])('$name', ({ error, says }) => {
    const mapped = publishError('create a commit in acme/charts', error);
    expect(mapped).toBeInstanceOf(PublishError);
    expect(mapped.details.operation).toBe('create a commit in acme/charts');
    expect(mapped.cause).toBe(error);
    for (const text of says) expect(mapped.message).toContain(text);
  });

  it('passes a PublishError through unchanged', () => {
    const original = new PublishError('already explained', { operation: 'x' });
    expect(publishError('y', original)).toBe(original);
  });
});

describe('gitHubFailure', () => {
  it('falls back to the error message without the documentation link', () => {
    expect(gitHubFailure(httpError(502, undefined))).toEqual({
      status: 502,
      message: 'HTTP 502',
      details: [],
    });
  });

  it('is undefined for errors without an HTTP status', () => {
    expect(gitHubFailure(new Error('boom'))).toBeUndefined();
    expect(gitHubFailure('text')).toBeUndefined();
  });
});
