import { getOctokit } from '@actions/github';
import { defaults as actionsDefaults } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';
import type { GitHubSettings } from '../../config/settings.js';
import type { Logger } from '../../core/logging.js';

/** The one Octokit type the publishing code talks to. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  readonly logger: Logger;
  /** Replaces the transport (tests, or a caller with its own proxy handling). */
  readonly fetch?: typeof fetch;
  /** Tests: no write spacing and millisecond retry delays instead of seconds. */
  readonly fast?: boolean;
  /** Upper bound of one HTTP exchange; a retry gets a fresh budget. */
  readonly timeoutMs?: number;
}

/**
 * Statuses that a plain retry cannot fix: 405 and 409 come from merges and ref updates and need a
 * re-read. 429 is left to the throttling plugin alone, which honours `retry-after`; retrying it
 * here too would double the attempts and ignore the wait GitHub asked for.
 */
export const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 429, 451];
const SERVER_ERROR_RETRIES = 2;
const SECONDARY_LIMIT_RETRIES = 3;
/** A secondary limit asking for a longer pause than this fails the run rather than stalling it. */
const SECONDARY_LIMIT_MAX_WAIT_SECONDS = 120;
/** A primary limit is waited out once, and only when it resets within this time. */
const PRIMARY_LIMIT_MAX_WAIT_SECONDS = 60;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Builds the Octokit used for every GitHub call: REST + GraphQL on `settings.apiUrl`, retrying
 * server errors a bounded number of times and honouring GitHub's rate limits.
 */
export function createGitHubClient(
  settings: GitHubSettings,
  options: GitHubClientOptions,
): GitHubClient {
  const { logger } = options;
  logger.setSecret(settings.token);
  const fast = options.fast === true;
  const retryAfterBaseValue = fast ? 5 : 1000;
  const where = `${settings.owner}/${settings.repo}`;

  return getOctokit(
    settings.token,
    {
      // @actions/github reads GITHUB_API_URL at import time; the settings are the truth.
      baseUrl: settings.apiUrl,
      request: { fetch: withTimeout(options.fetch ?? defaultFetch(), options.timeoutMs) },
      log: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message),
        warn: (message: string) => logger.warning(message),
        error: (message: string) => logger.error(message),
      },
      retry: {
        doNotRetry: DO_NOT_RETRY,
        retries: SERVER_ERROR_RETRIES,
        retryAfterBaseValue,
      },
      throttle: {
        retryAfterBaseValue,
        fallbackSecondaryRateRetryAfter: 60,
        ...(fast ? fastGroups() : {}),
        onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
          const retrying =
            retryCount < SECONDARY_LIMIT_RETRIES && retryAfter <= SECONDARY_LIMIT_MAX_WAIT_SECONDS;
          logger.warning(
            `GitHub's secondary rate limit hit on ${request.method} ${request.url} in ${where}; ` +
              (retrying
                ? `retrying in ${retryAfter}s (attempt ${retryCount + 1} of ${SECONDARY_LIMIT_RETRIES})`
                : 'giving up; run fewer updates at once or schedule the workflow less often'),
          );
          return retrying;
        },
        onRateLimit: (retryAfter, request, _octokit, retryCount) => {
          const retrying = retryCount < 1 && retryAfter <= PRIMARY_LIMIT_MAX_WAIT_SECONDS;
          logger.warning(
            `GitHub's rate limit is exhausted (${request.method} ${request.url} in ${where}); ` +
              (retrying
                ? `it resets in ${retryAfter}s, waiting once`
                : `it resets in ${retryAfter}s, too late for this run; use a GitHub App token for a higher limit`),
          );
          return retrying;
        },
      },
    },
    retry,
    throttling,
  );
}

/**
 * The proxy-aware fetch @actions/github prepares (it honours the runner's proxy settings);
 * global fetch when it is absent.
 */
function defaultFetch(): typeof fetch {
  const candidate: unknown = actionsDefaults.request?.fetch;
  return typeof candidate === 'function' ? (candidate as typeof fetch) : globalThis.fetch;
}

function withTimeout(base: typeof fetch, timeoutMs: number = DEFAULT_TIMEOUT_MS): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return base(input, { ...init, signal });
  };
}

/**
 * Separate limiter groups without the 1 s / 3 s spacing GitHub asks of real writes: the
 * plugin's default groups are module-wide, so tests get their own.
 */
function fastGroups(): {
  write: Bottleneck.Group;
  notifications: Bottleneck.Group;
  search: Bottleneck.Group;
} {
  return {
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
    search: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
  };
}
