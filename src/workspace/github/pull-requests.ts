import type { PublishPolicy } from '../../config/settings.js';
import { callGitHub, failureMentions, gitHubFailure, publishError } from './github-errors.js';
import { PublishConflict } from './git-refs.js';
import type { OpenPull, RepositoryContext } from './repository-context.js';

/** The pull-request side of publishing: find, open (or adopt), rewrite, decorate, close. */
export interface PullRequests {
  /** The open pull request from `branch` into `base`, the oldest when there are several. */
  find(branch: string, base: string): Promise<OpenPull | undefined>;
  read(number: number): Promise<PullDetails>;
  rewrite(number: number, title: string, body: string): Promise<void>;
  /** Opens the pull request; when another run opened it first, that one is rewritten instead. */
  openOrAdopt(
    branch: string,
    base: string,
    title: string,
    body: string,
  ): Promise<{ pull: OpenPull; created: boolean }>;
  /** Labels and reviewers are wishes: a failure is returned as a warning, never thrown. */
  decorate(number: number, policy: PublishPolicy, requestReviews: boolean): Promise<string[]>;
  /** Comments why, then closes the pull request. */
  close(pull: OpenPull, comment: string): Promise<void>;
}

/** What publishing reads of a pull request. */
export interface PullDetails {
  readonly title: string;
  readonly body: string | null;
  readonly merged: boolean;
  readonly merge_commit_sha: string | null;
  readonly mergeable: boolean | null;
  readonly mergeable_state: string;
  readonly auto_merge: unknown;
}

export function createPullRequests(context: RepositoryContext): PullRequests {
  const { client, owner, repo, where, logger } = context;

  const find = async (branch: string, base: string): Promise<OpenPull | undefined> => {
    const response = await callGitHub(`list pull requests of ${where}`, () =>
      // `head` must be `owner:branch`: a bare branch name is ignored and lists every PR.
      client.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${branch}`, base }),
    );
    const matching = response.data.filter(
      (pull) => pull.head.ref === branch && pull.base.ref === base,
    );
    if (matching.length > 1)
      logger.warning(
        `${where} has ${matching.length} open pull requests from ${branch}; updating #${Math.min(...matching.map((pull) => pull.number))}.`,
      );
    const pull = matching.sort((a, b) => a.number - b.number)[0];
    return pull === undefined
      ? undefined
      : { number: pull.number, url: pull.html_url, nodeId: pull.node_id, headSha: pull.head.sha };
  };

  const rewrite = async (number: number, title: string, body: string): Promise<void> => {
    await callGitHub(`update pull request #${number} of ${where}`, () =>
      client.rest.pulls.update({ owner, repo, pull_number: number, title, body }),
    );
  };

  return {
    find,
    rewrite,

    async read(number) {
      return (
        await callGitHub(`read pull request #${number} of ${where}`, () =>
          client.rest.pulls.get({ owner, repo, pull_number: number }),
        )
      ).data;
    },

    async openOrAdopt(branch, base, title, body) {
      try {
        const response = await client.rest.pulls.create({
          owner,
          repo,
          title,
          body,
          head: branch,
          base,
          maintainer_can_modify: false,
        });
        const pull = response.data;
        return {
          pull: {
            number: pull.number,
            url: pull.html_url,
            nodeId: pull.node_id,
            headSha: pull.head.sha,
          },
          created: true,
        };
      } catch (error) {
        const failure = gitHubFailure(error);
        if (failure?.status !== 422 || !failureMentions(failure, 'pull request already exists'))
          throw publishError(`open a pull request from ${branch} in ${where}`, error);
        const existing = await find(branch, base);
        if (existing === undefined)
          throw new PublishConflict(
            `GitHub reports a pull request from ${branch} in ${where}, but none is open; reading it again.`,
            { cause: error },
          );
        await rewrite(existing.number, title, body);
        return { pull: existing, created: false };
      }
    },

    async decorate(number, policy, requestReviews) {
      const warnings: string[] = [];
      if (policy.labels.length > 0) {
        try {
          await client.rest.issues.addLabels({
            owner,
            repo,
            issue_number: number,
            labels: [...policy.labels],
          });
        } catch (error) {
          warnings.push(
            `Labels ${policy.labels.join(', ')} could not be added to #${number}: ${publishError('add labels', error).message}`,
          );
        }
      }
      if (requestReviews && policy.reviewers.length > 0) {
        const reviewers = policy.reviewers.filter((name) => !name.includes('/'));
        // `org/team` asks a team; GitHub wants the team's slug.
        const teams = policy.reviewers
          .filter((name) => name.includes('/'))
          .map((name) => name.slice(name.lastIndexOf('/') + 1));
        try {
          await client.rest.pulls.requestReviewers({
            owner,
            repo,
            pull_number: number,
            reviewers,
            ...(teams.length > 0 ? { team_reviewers: teams } : {}),
          });
        } catch (error) {
          warnings.push(
            `Reviewers ${policy.reviewers.join(', ')} could not be requested on #${number}: ${publishError('request reviewers', error).message}`,
          );
        }
      }
      return warnings;
    },

    async close(pull, comment) {
      await callGitHub(`comment on pull request #${pull.number} of ${where}`, () =>
        client.rest.issues.createComment({ owner, repo, issue_number: pull.number, body: comment }),
      );
      await callGitHub(`close pull request #${pull.number} of ${where}`, () =>
        client.rest.pulls.update({ owner, repo, pull_number: pull.number, state: 'closed' }),
      );
    },
  };
}
