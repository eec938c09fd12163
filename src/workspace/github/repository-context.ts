import type { Logger } from '../../core/logging.js';
import type { GitHubClient } from './octokit.js';

/** The chart repository as every publishing piece addresses it. */
export interface RepositoryContext {
  readonly client: GitHubClient;
  readonly owner: string;
  readonly repo: string;
  /** `owner/repo`, for messages. */
  readonly where: string;
  readonly logger: Logger;
}

/** An open pull request as publishing tracks it. */
export interface OpenPull {
  readonly number: number;
  readonly url: string;
  readonly nodeId: string;
  readonly headSha: string;
}
