import type { MergeMethod } from '../../config/settings.js';
import { PublishError } from '../../core/errors.js';
import type { ChangeSet } from '../../core/changes.js';
import { commitMessage, pullRequestTitle } from './body.js';
import { gitHubFailure, publishError } from './github-errors.js';
import { PublishConflict } from './git-refs.js';
import type { PullRequests } from './pull-requests.js';
import type { OpenPull, RepositoryContext } from './repository-context.js';

/** Merging a pull request now, or asking GitHub to merge it once its checks pass. */
export interface Merging {
  /** Merges `pull` at `headSha` with the change set's method; returns the merge commit. */
  merge(
    changeSet: ChangeSet,
    baseBranch: string,
    branch: string,
    pull: OpenPull,
    headSha: string,
  ): Promise<string>;
  /**
   * Enables auto-merge; merges directly when GitHub says there is nothing to wait for. A
   * repository that does not allow auto-merge gives a warning and `action: undefined`.
   */
  enableAutoMerge(
    changeSet: ChangeSet,
    baseBranch: string,
    branch: string,
    pull: OpenPull,
    headSha: string,
  ): Promise<{
    action: 'auto-merge-enabled' | 'merged' | undefined;
    commit?: string;
    warning?: string;
  }>;
}

export interface MergingOptions {
  /** Waits between polls of a pull request's `mergeable`; injected so tests need no real time. */
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** How often `mergeable` is read while GitHub still computes it. */
  readonly mergeablePolls: number;
  /** The GraphQL endpoint (auto-merge has no REST operation). */
  readonly graphqlUrl: string;
}

const MERGEABLE_POLL_STEP_MS = 1000;

export function createMerging(
  context: RepositoryContext,
  pulls: PullRequests,
  options: MergingOptions,
): Merging {
  const { client, owner, repo, where, logger } = context;

  const merge: Merging['merge'] = async (changeSet, baseBranch, branch, pull, headSha) => {
    const method = changeSet.publish.mergeMethod;
    // GitHub computes `mergeable` in the background after a push; merging before that fails.
    for (let poll = 0; poll < options.mergeablePolls; poll += 1) {
      const current = await pulls.read(pull.number);
      if (current.merged) return current.merge_commit_sha ?? headSha;
      if (current.mergeable === false && current.mergeable_state === 'dirty')
        throw new PublishConflict(
          `#${pull.number} in ${where} conflicts with ${baseBranch}; re-creating the branch from it.`,
        );
      if (current.mergeable !== null) break;
      await options.sleep(MERGEABLE_POLL_STEP_MS * (poll + 1));
    }
    try {
      const response = await client.rest.pulls.merge({
        owner,
        repo,
        pull_number: pull.number,
        merge_method: method,
        sha: headSha,
        commit_title: `${pullRequestTitle(changeSet)} (#${pull.number})`,
        commit_message: commitMessage(changeSet).split('\n').slice(2).join('\n'),
      });
      return response.data.sha;
    } catch (error) {
      const failure = gitHubFailure(error);
      if (failure?.status === 409)
        throw new PublishConflict(
          `${branch} in ${where} moved before #${pull.number} could be merged; reading it again.`,
          { cause: error },
        );
      if (failure?.status === 405)
        throw new PublishError(
          `Could not merge #${pull.number} into ${baseBranch} of ${where}: GitHub answered 405 ` +
            `(${failure.message}). Branch protection or required checks block a direct merge; ` +
            'use `mode: auto-merge` so GitHub merges once the checks pass, or `mode: pull-request`.',
          { operation: `merge pull request #${pull.number}`, status: 405 },
          { cause: error },
        );
      throw publishError(`merge pull request #${pull.number} of ${where}`, error);
    }
  };

  return {
    merge,
    async enableAutoMerge(changeSet, baseBranch, branch, pull, headSha) {
      const current = await pulls.read(pull.number);
      if (current.merged) return { action: 'merged', commit: current.merge_commit_sha ?? headSha };
      if (current.auto_merge !== null && current.auto_merge !== undefined)
        return { action: 'auto-merge-enabled' };
      try {
        await client.graphql(ENABLE_AUTO_MERGE, {
          pullRequestId: pull.nodeId,
          mergeMethod: graphqlMergeMethod(changeSet.publish.mergeMethod),
          baseUrl: graphqlBaseUrl(options.graphqlUrl),
        });
        return { action: 'auto-merge-enabled' };
      } catch (error) {
        const messages = graphqlMessages(error);
        const text = messages.join('; ').toLowerCase();
        if (text.includes('clean status') || text.includes('unstable status')) {
          // Nothing to wait for: GitHub refuses auto-merge on a pull request it can merge now.
          logger.info(`#${pull.number} can be merged now; merging it directly.`);
          return {
            action: 'merged',
            commit: await merge(changeSet, baseBranch, branch, pull, headSha),
          };
        }
        if (messages.length === 0)
          throw publishError(`enable auto-merge on #${pull.number}`, error);
        return {
          action: undefined,
          warning:
            `Auto-merge could not be enabled on #${pull.number} (${messages.join('; ')}); the pull request stays open. ` +
            'Turn on "Allow auto-merge" in the repository settings (and protect the base branch with required checks), ' +
            'or use `mode: merge`.',
        };
      }
    },
  };
}

const ENABLE_AUTO_MERGE = `
  mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
    enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
      pullRequest { number }
    }
  }
`;

function graphqlMergeMethod(method: MergeMethod): 'SQUASH' | 'MERGE' | 'REBASE' {
  switch (method) {
    case 'squash':
      return 'SQUASH';
    case 'merge':
      return 'MERGE';
    case 'rebase':
      return 'REBASE';
  }
}

/** Octokit's GraphQL client appends `/graphql` to a base; GitHub Enterprise serves `/api/graphql`. */
function graphqlBaseUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql\/?$/, '');
}

/** The `errors[].message` of a GraphQL answer, empty for a transport failure. */
function graphqlMessages(error: unknown): string[] {
  if (typeof error !== 'object' || error === null || !('errors' in error)) return [];
  const { errors } = error;
  if (!Array.isArray(errors)) return [];
  return (errors as unknown[]).flatMap((item) =>
    typeof item === 'object' &&
    item !== null &&
    'message' in item &&
    typeof item.message === 'string'
      ? [item.message]
      : [],
  );
}
