import {
  BRANCH_PREFIX,
  type GitHubSettings,
  type MergeMethod,
  type PublishPolicy,
} from '../../config/settings.js';
import { PublishError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { ChangeSet, PublishResult } from '../../core/changes.js';
import { commitMessage, pullRequestBody, pullRequestTitle } from './body.js';
import {
  callGitHub,
  failureMentions,
  gitHubFailure,
  isNotFound,
  publishError,
} from './github-errors.js';
import type { GitHubClient } from './octokit.js';

/** What a unit's branch and pull request look like; read fresh at the start of each attempt. */
export interface UnitBranchState {
  readonly baseBranch: string;
  readonly baseSha: string;
  /** `helm-image-updater/<target>[/<env>]` or the configured `publish.branch`. */
  readonly branch: string;
  /** Head of the pull request branch when it exists. */
  readonly branchSha: string | undefined;
  /** The open pull request from `branch` into the base branch. */
  readonly pull: { number: number; url: string; nodeId: string; headSha: string } | undefined;
}

/**
 * A lost compare-and-swap: a branch moved between reading it and writing it. The caller reads
 * the unit again and retries; nothing was lost because no ref was forced.
 */
export class PublishConflict extends Error {
  override readonly name = 'PublishConflict';
}

export interface Publisher {
  /** The configured base branch, or the repository's default branch, and its head. */
  baseBranch(): Promise<{ branch: string; sha: string }>;
  readUnit(
    target: string,
    environment: string | undefined,
    publish: PublishPolicy,
    base: { branch: string; sha: string },
  ): Promise<UnitBranchState>;
  publish(changeSet: ChangeSet, state: UnitBranchState): Promise<PublishResult>;
}

export interface PublisherOptions {
  readonly client: GitHubClient;
  readonly settings: GitHubSettings;
  readonly logger: Logger;
  /** Waits between polls of a pull request's `mergeable`; injected so tests need no real time. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** How often `mergeable` is read while GitHub still computes it. */
  readonly mergeablePolls?: number;
}

const DEFAULT_MERGEABLE_POLLS = 10;
const MERGEABLE_POLL_STEP_MS = 1000;
const FILE_MODE = '100644';

/** `helm-image-updater/<target>[/<environment>]`, or the configured branch. */
export function branchName(
  target: string,
  environment: string | undefined,
  override: string | undefined,
): string {
  if (override !== undefined && override.trim() !== '') return override.trim();
  // An environment named by several wildcards (`web/qa`) keeps its `/`: one ref segment per part.
  const segments = [BRANCH_PREFIX, target, ...(environment?.split('/') ?? [])];
  return segments.map(refSegment).join('/');
}

/** A target or environment name made safe as one segment of a git ref name. */
function refSegment(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/(\.lock)+$/i, '')
    .replace(/\.+$/, '');
  return safe === '' ? 'unnamed' : safe;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { client, settings, logger } = options;
  const { owner, repo } = settings;
  const where = `${owner}/${repo}`;
  const sleep =
    options.sleep ??
    ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const mergeablePolls = options.mergeablePolls ?? DEFAULT_MERGEABLE_POLLS;

  const refSha = async (branch: string): Promise<string | undefined> => {
    try {
      const response = await client.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
      return response.data.object.sha;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw publishError(`read branch ${branch} of ${where}`, error);
    }
  };

  const openPull = async (
    branch: string,
    base: string,
  ): Promise<UnitBranchState['pull'] | undefined> => {
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

  const readCommit = async (sha: string): Promise<{ tree: string; parents: string[] }> => {
    const response = await callGitHub(`read commit ${sha} of ${where}`, () =>
      client.rest.git.getCommit({ owner, repo, commit_sha: sha }),
    );
    return {
      tree: response.data.tree.sha,
      parents: response.data.parents.map((parent) => parent.sha),
    };
  };

  /** Blobs, then one tree on top of the base commit's tree. */
  const buildTree = async (
    changeSet: ChangeSet,
    baseSha: string,
  ): Promise<{ tree: string; baseTree: string }> => {
    const baseTree = (await readCommit(baseSha)).tree;
    const entries: { path: string; mode: typeof FILE_MODE; type: 'blob'; sha: string }[] = [];
    for (const file of changeSet.files) {
      const blob = await callGitHub(`store ${file.path} in ${where}`, () =>
        client.rest.git.createBlob({
          owner,
          repo,
          // base64 carries the exact bytes, whatever the file holds.
          content: Buffer.from(file.content, 'utf8').toString('base64'),
          encoding: 'base64',
        }),
      );
      entries.push({ path: file.path, mode: FILE_MODE, type: 'blob', sha: blob.data.sha });
    }
    const tree = await callGitHub(`create a tree in ${where}`, () =>
      client.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries }),
    );
    return { tree: tree.data.sha, baseTree };
  };

  const createCommit = async (
    changeSet: ChangeSet,
    tree: string,
    parents: string[],
  ): Promise<string> => {
    const response = await callGitHub(`create a commit in ${where}`, () =>
      client.rest.git.createCommit({
        owner,
        repo,
        message: commitMessage(changeSet),
        tree,
        parents,
      }),
    );
    return response.data.sha;
  };

  /** Moves a branch without force: GitHub refuses unless `sha` descends from the current head. */
  const moveBranch = async (branch: string, sha: string): Promise<void> => {
    try {
      await client.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: false });
    } catch (error) {
      const status = gitHubFailure(error)?.status;
      if (status === 422 || status === 409)
        throw new PublishConflict(
          `${branch} in ${where} moved while this run was writing to it; reading it again.`,
          { cause: error },
        );
      throw publishError(`update branch ${branch} of ${where}`, error);
    }
  };

  const createBranch = async (branch: string, sha: string): Promise<void> => {
    try {
      await client.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
    } catch (error) {
      const failure = gitHubFailure(error);
      if (failure?.status === 422 && failureMentions(failure, 'already exists'))
        throw new PublishConflict(
          `${branch} appeared in ${where} while this run was creating it; reading it again.`,
          { cause: error },
        );
      throw publishError(`create branch ${branch} in ${where}`, error);
    }
  };

  const deleteBranch = async (branch: string): Promise<void> => {
    try {
      await client.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
    } catch (error) {
      // The repository may delete merged head branches itself.
      logger.debug(`Branch ${branch} of ${where} was not deleted: ${errorMessage(error)}`);
    }
  };

  /** Labels and reviewers are wishes: a failure leaves the pull request open with a warning. */
  const decorate = async (
    number: number,
    policy: PublishPolicy,
    requestReviews: boolean,
    warnings: string[],
  ): Promise<void> => {
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
  };

  const readPull = async (number: number) =>
    (
      await callGitHub(`read pull request #${number} of ${where}`, () =>
        client.rest.pulls.get({ owner, repo, pull_number: number }),
      )
    ).data;

  const rewritePull = async (number: number, title: string, body: string): Promise<void> => {
    await callGitHub(`update pull request #${number} of ${where}`, () =>
      client.rest.pulls.update({ owner, repo, pull_number: number, title, body }),
    );
  };

  /** Opens the pull request; when another run opened it first, that one is updated instead. */
  const openOrAdopt = async (
    state: UnitBranchState,
    title: string,
    body: string,
  ): Promise<{ pull: NonNullable<UnitBranchState['pull']>; created: boolean }> => {
    try {
      const response = await client.rest.pulls.create({
        owner,
        repo,
        title,
        body,
        head: state.branch,
        base: state.baseBranch,
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
        throw publishError(`open a pull request from ${state.branch} in ${where}`, error);
      const existing = await openPull(state.branch, state.baseBranch);
      if (existing === undefined)
        throw new PublishConflict(
          `GitHub reports a pull request from ${state.branch} in ${where}, but none is open; reading it again.`,
          { cause: error },
        );
      await rewritePull(existing.number, title, body);
      return { pull: existing, created: false };
    }
  };

  const merge = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
    pull: NonNullable<UnitBranchState['pull']>,
    headSha: string,
  ): Promise<string> => {
    const method = changeSet.publish.mergeMethod;
    // GitHub computes `mergeable` in the background after a push; merging before that fails.
    for (let poll = 0; poll < mergeablePolls; poll += 1) {
      const current = await readPull(pull.number);
      if (current.merged) return current.merge_commit_sha ?? headSha;
      if (current.mergeable === false && current.mergeable_state === 'dirty')
        throw new PublishConflict(
          `#${pull.number} in ${where} conflicts with ${state.baseBranch}; re-creating the branch from it.`,
        );
      if (current.mergeable !== null) break;
      await sleep(MERGEABLE_POLL_STEP_MS * (poll + 1));
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
          `${state.branch} in ${where} moved before #${pull.number} could be merged; reading it again.`,
          { cause: error },
        );
      if (failure?.status === 405)
        throw new PublishError(
          `Could not merge #${pull.number} into ${state.baseBranch} of ${where}: GitHub answered 405 ` +
            `(${failure.message}). Branch protection or required checks block a direct merge; ` +
            'use `mode: auto-merge` so GitHub merges once the checks pass, or `mode: pull-request`.',
          { operation: `merge pull request #${pull.number}`, status: 405 },
          { cause: error },
        );
      throw publishError(`merge pull request #${pull.number} of ${where}`, error);
    }
  };

  /** Asks GitHub to merge once checks pass; the outcome decides the reported action. */
  const enableAutoMerge = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
    pull: NonNullable<UnitBranchState['pull']>,
    headSha: string,
    warnings: string[],
  ): Promise<{ action: 'auto-merge-enabled' | 'merged' | undefined; commit?: string }> => {
    const current = await readPull(pull.number);
    if (current.merged) return { action: 'merged', commit: current.merge_commit_sha ?? headSha };
    if (current.auto_merge !== null && current.auto_merge !== undefined)
      return { action: 'auto-merge-enabled' };
    try {
      await client.graphql(ENABLE_AUTO_MERGE, {
        pullRequestId: pull.nodeId,
        mergeMethod: graphqlMergeMethod(changeSet.publish.mergeMethod),
        baseUrl: graphqlBaseUrl(settings.graphqlUrl),
      });
      return { action: 'auto-merge-enabled' };
    } catch (error) {
      const messages = graphqlMessages(error);
      const text = messages.join('; ').toLowerCase();
      if (text.includes('clean status') || text.includes('unstable status')) {
        // Nothing to wait for: GitHub refuses auto-merge on a pull request it can merge now.
        logger.info(`#${pull.number} can be merged now; merging it directly.`);
        return { action: 'merged', commit: await merge(changeSet, state, pull, headSha) };
      }
      if (messages.length === 0) throw publishError(`enable auto-merge on #${pull.number}`, error);
      warnings.push(
        `Auto-merge could not be enabled on #${pull.number} (${messages.join('; ')}); the pull request stays open. ` +
          'Turn on "Allow auto-merge" in the repository settings (and protect the base branch with required checks), ' +
          'or use `mode: merge`.',
      );
      return { action: undefined };
    }
  };

  const closeStale = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
    pull: NonNullable<UnitBranchState['pull']>,
  ): Promise<PublishResult> => {
    await callGitHub(`comment on pull request #${pull.number} of ${where}`, () =>
      client.rest.issues.createComment({
        owner,
        repo,
        issue_number: pull.number,
        body:
          `The base branch already has the image tags this pull request proposes ` +
          `(\`${state.baseBranch}\` at ${state.baseSha.slice(0, 12)}); closing it.`,
      }),
    );
    await callGitHub(`close pull request #${pull.number} of ${where}`, () =>
      client.rest.pulls.update({ owner, repo, pull_number: pull.number, state: 'closed' }),
    );
    logger.info(
      `Closed #${pull.number} (${pull.url}): ${state.baseBranch} already has its changes.`,
    );
    return result(changeSet, 'closed', {
      number: pull.number,
      url: pull.url,
      branch: state.branch,
    });
  };

  const push = async (changeSet: ChangeSet, state: UnitBranchState): Promise<PublishResult> => {
    const { tree, baseTree } = await buildTree(changeSet, state.baseSha);
    if (tree === baseTree)
      return result(changeSet, 'unchanged', { branch: state.baseBranch, commit: state.baseSha });
    const commit = await createCommit(changeSet, tree, [state.baseSha]);
    await moveBranch(state.baseBranch, commit);
    logger.info(`Pushed ${commit.slice(0, 12)} to ${state.baseBranch} of ${where}.`);
    return result(changeSet, 'pushed', { branch: state.baseBranch, commit });
  };

  const pullRequest = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
  ): Promise<PublishResult> => {
    const policy = changeSet.publish;
    const warnings: string[] = [];
    const { tree, baseTree } = await buildTree(changeSet, state.baseSha);
    if (tree === baseTree) {
      return state.pull
        ? closeStale(changeSet, state, state.pull)
        : result(changeSet, 'none', { branch: state.branch });
    }

    let headSha: string;
    let wrote = false;
    const branchHead =
      state.branchSha === undefined ? undefined : await readCommit(state.branchSha);
    if (state.branchSha === undefined || branchHead === undefined) {
      headSha = await createCommit(changeSet, tree, [state.baseSha]);
      await createBranch(state.branch, headSha);
      wrote = true;
    } else if (branchHead.tree === tree) {
      headSha = state.branchSha;
    } else {
      // The old head is always a parent, so the ref moves forward without force and a
      // concurrent writer's head makes the update fail instead of vanish. When the base moved,
      // the current base is a parent too: the pull request's diff is then only our files.
      const parents =
        state.branchSha === state.baseSha || branchHead.parents.includes(state.baseSha)
          ? [state.branchSha]
          : [state.baseSha, state.branchSha];
      headSha = await createCommit(changeSet, tree, parents);
      await moveBranch(state.branch, headSha);
      wrote = true;
    }

    const title = pullRequestTitle(changeSet);
    const body = pullRequestBody(changeSet);
    let pull: NonNullable<UnitBranchState['pull']>;
    let action: PublishResult['action'];
    if (state.pull) {
      pull = state.pull;
      if (wrote) {
        await rewritePull(pull.number, title, body);
        action = 'updated';
      } else {
        const current = await readPull(pull.number);
        if (current.title === title && (current.body ?? '') === body) action = 'unchanged';
        else {
          await rewritePull(pull.number, title, body);
          action = 'updated';
        }
      }
    } else {
      const opened = await openOrAdopt(state, title, body);
      pull = opened.pull;
      action = opened.created ? 'created' : 'updated';
    }
    // Another run may have moved the branch while this one rewrote the title and body; then the
    // text describes a head that is gone, and the unit is read and published again.
    const headNow = await refSha(state.branch);
    if (headNow !== headSha)
      throw new PublishConflict(
        `${state.branch} in ${where} moved while #${pull.number} was being updated; reading it again.`,
      );
    if (action !== 'unchanged') await decorate(pull.number, policy, action === 'created', warnings);
    logger.info(`${capitalise(action)} #${pull.number} ${pull.url} (${title}).`);

    let commit = headSha;
    if (policy.mode === 'merge') {
      commit = await merge(changeSet, state, pull, headSha);
      await deleteBranch(state.branch);
      action = 'merged';
      logger.info(`Merged #${pull.number} into ${state.baseBranch} (${commit.slice(0, 12)}).`);
    } else if (policy.mode === 'auto-merge') {
      const outcome = await enableAutoMerge(changeSet, state, pull, headSha, warnings);
      if (outcome.action === 'merged') {
        await deleteBranch(state.branch);
        commit = outcome.commit ?? commit;
      }
      if (outcome.action !== undefined) action = outcome.action;
    }
    for (const warning of warnings) logger.warning(warning);
    return result(changeSet, action, {
      number: pull.number,
      url: pull.url,
      branch: state.branch,
      commit,
      warnings,
    });
  };

  return {
    async baseBranch() {
      let branch = settings.baseBranch;
      if (branch === undefined || branch === '') {
        const response = await callGitHub(`read repository ${where}`, () =>
          client.rest.repos.get({ owner, repo }),
        );
        branch = response.data.default_branch;
      }
      const sha = await refSha(branch);
      if (sha === undefined)
        throw new PublishError(
          `The base branch ${branch} does not exist in ${where}; set \`base-branch\` to an existing branch.`,
          { operation: `read branch ${branch} of ${where}`, status: 404 },
        );
      return { branch, sha };
    },

    async readUnit(target, environment, publish, base) {
      const branch = branchName(target, environment, publish.branch);
      if (publish.mode === 'push')
        return {
          baseBranch: base.branch,
          baseSha: base.sha,
          branch: base.branch,
          branchSha: undefined,
          pull: undefined,
        };
      if (branch === base.branch)
        throw new PublishError(
          `The pull request branch of target "${target}"${environment === undefined ? '' : ` (${environment})`} ` +
            `is the base branch ${base.branch}; choose another \`branch\` or use \`mode: push\`.`,
          { operation: `read branch ${branch} of ${where}` },
        );
      const [branchSha, pull] = await Promise.all([refSha(branch), openPull(branch, base.branch)]);
      return { baseBranch: base.branch, baseSha: base.sha, branch, branchSha, pull };
    },

    async publish(changeSet, state) {
      const mode = changeSet.publish.mode;
      if (changeSet.files.length === 0) {
        if (state.pull && mode !== 'push' && mode !== 'dry-run')
          return closeStale(changeSet, state, state.pull);
        return result(changeSet, 'none', {
          branch: mode === 'push' ? state.baseBranch : state.branch,
          number: state.pull?.number,
          url: state.pull?.url,
        });
      }
      switch (mode) {
        case 'dry-run':
          logger.info(
            `Dry run: would publish ${changeSet.files.map((file) => file.path).join(', ')} ` +
              `for ${unitName(changeSet)} on ${state.branch}.`,
          );
          return result(changeSet, 'dry-run', {
            branch: state.branch,
            number: state.pull?.number,
            url: state.pull?.url,
          });
        case 'push':
          return push(changeSet, state);
        case 'pull-request':
        case 'auto-merge':
        case 'merge':
          return pullRequest(changeSet, state);
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

function result(
  changeSet: ChangeSet,
  action: PublishResult['action'],
  fields: Partial<Pick<PublishResult, 'number' | 'url' | 'branch' | 'commit' | 'warnings'>>,
): PublishResult {
  return {
    target: changeSet.target,
    environment: changeSet.environment,
    action,
    number: fields.number,
    url: fields.url,
    branch: fields.branch,
    commit: fields.commit,
    warnings: fields.warnings ?? [],
  };
}

function unitName(changeSet: ChangeSet): string {
  return changeSet.environment === undefined
    ? `target ${changeSet.target}`
    : `target ${changeSet.target} (${changeSet.environment})`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
