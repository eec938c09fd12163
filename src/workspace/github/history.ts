import type { Logger } from '../../core/logging.js';
import { MAX_FILE_BYTES } from '../../core/files.js';
import {
  pullRequestOf,
  type FileHistory,
  type HistoryProvider,
  type HistoryRequest,
  type SourceCommit,
} from '../../promotion/history.js';
import { callGitHub, isNotFound, publishError } from './github-errors.js';
import type { GitHubClient } from './octokit.js';

/** Commits per page of list-commits (GitHub's maximum). */
export const HISTORY_PAGE_SIZE = 100;
/** Pages read per file at most: 1 000 commits, bounded whatever the repository holds. */
export const MAX_HISTORY_PAGES = 10;

export interface GitHubHistoryOptions {
  readonly client: GitHubClient;
  readonly owner: string;
  readonly repo: string;
  /** The base branch's commit the run read its files at. */
  readonly baseSha: string;
  readonly logger: Logger;
  readonly pageSize?: number;
  readonly maxPages?: number;
}

/**
 * A file's history on the base branch through the GitHub API: `GET /repos/{o}/{r}/commits` with
 * `sha` and `path`, newest first, page by page until a commit older than the soak horizon (or
 * the start of the file, or the page cap); the file at each commit with one raw contents read
 * (`?ref=<sha>`), the cheapest way to get one file of one commit.
 */
export function createGitHubHistory(options: GitHubHistoryOptions): HistoryProvider {
  const { client, owner, repo, baseSha, logger } = options;
  const pageSize = options.pageSize ?? HISTORY_PAGE_SIZE;
  const maxPages = options.maxPages ?? MAX_HISTORY_PAGES;
  const where = `${owner}/${repo}`;
  return {
    description: `GitHub ${where} at ${baseSha.slice(0, 7)}`,
    async history(request: HistoryRequest): Promise<FileHistory> {
      const commits: SourceCommit[] = [];
      for (let page = 1; page <= maxPages; page++) {
        const response = await callGitHub(`list commits of ${request.path} in ${where}`, () =>
          client.rest.repos.listCommits({
            owner,
            repo,
            sha: baseSha,
            path: request.path,
            per_page: pageSize,
            page,
          }),
        );
        for (const item of response.data) {
          const date = item.commit.committer?.date ?? item.commit.author?.date;
          const subject = item.commit.message.split('\n')[0] ?? '';
          commits.push({
            sha: item.sha,
            // A commit without a date cannot prove any soak time: it counts as landing now.
            date: date === undefined ? new Date(8.64e15) : new Date(date),
            subject,
            pullRequest: pullRequestOf(subject),
          });
        }
        if (response.data.length < pageSize) return { commits, complete: true };
        const oldest = commits[commits.length - 1];
        if (oldest !== undefined && oldest.date.getTime() < request.until.getTime()) {
          return { commits, complete: false };
        }
      }
      logger.warning(
        `${request.path}: read the newest ${commits.length} commits of its history in ${where} (the cap); older values count from the oldest commit read.`,
      );
      return { commits, complete: false };
    },
    async readAt(sha: string, path: string): Promise<string | undefined> {
      let response;
      try {
        response = await client.rest.repos.getContent({
          owner,
          repo,
          path,
          ref: sha,
          mediaType: { format: 'raw' },
        });
      } catch (error) {
        // The file did not exist at that commit (the commit deleted it).
        if (isNotFound(error)) return undefined;
        throw publishError(`read ${path} at ${sha.slice(0, 7)} in ${where}`, error);
      }
      const text = response.data as unknown;
      // A version that is not text, or too large to be a values file, holds nothing to promote.
      if (typeof text !== 'string' || Buffer.byteLength(text) > MAX_FILE_BYTES) return undefined;
      return text;
    },
  };
}
