import type { GitHubSettings, PublishPolicy } from '../../config/settings.js';
import { PublishError } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { ChangeSet, PublishResult } from '../../core/changes.js';
import { pullRequestBody, pullRequestTitle } from './body.js';
import { callGitHub } from './github-errors.js';
import { PublishConflict, branchName, createGitRefs } from './git-refs.js';
import { createMerging } from './merging.js';
import type { GitHubClient } from './octokit.js';
import { createPullRequests } from './pull-requests.js';
import type { OpenPull, RepositoryContext } from './repository-context.js';

export { PublishConflict, branchName } from './git-refs.js';

/** What a unit's branch and pull request look like; read fresh at the start of each attempt. */
export interface UnitBranchState {
  readonly baseBranch: string;
  readonly baseSha: string;
  /** `helm-image-updater/<target>[/<env>]` or the configured `publish.branch`. */
  readonly branch: string;
  /** Head of the pull request branch when it exists. */
  readonly branchSha: string | undefined;
  /** The open pull request from `branch` into the base branch. */
  readonly pull: OpenPull | undefined;
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

/**
 * Publishing of one unit, orchestrated: which branch and pull request it has, then push,
 * pull request (open, update, close when stale), merge or auto-merge. The git plumbing
 * (`git-refs.ts`), the pull-request calls (`pull-requests.ts`) and merging (`merging.ts`) are
 * separate pieces.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { client, settings, logger } = options;
  const { owner, repo } = settings;
  const context: RepositoryContext = { client, owner, repo, where: `${owner}/${repo}`, logger };
  const { where } = context;
  const refs = createGitRefs(context);
  const pulls = createPullRequests(context);
  const merging = createMerging(context, pulls, {
    sleep:
      options.sleep ??
      ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds))),
    mergeablePolls: options.mergeablePolls ?? DEFAULT_MERGEABLE_POLLS,
    graphqlUrl: settings.graphqlUrl,
  });

  const closeStale = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
    pull: OpenPull,
  ): Promise<PublishResult> => {
    await pulls.close(
      pull,
      `The base branch already has the image tags this pull request proposes ` +
        `(\`${state.baseBranch}\` at ${state.baseSha.slice(0, 12)}); closing it.`,
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
    const { tree, baseTree } = await refs.buildTree(changeSet, state.baseSha);
    if (tree === baseTree)
      return result(changeSet, 'unchanged', { branch: state.baseBranch, commit: state.baseSha });
    const commit = await refs.createCommit(changeSet, tree, [state.baseSha]);
    await refs.moveBranch(state.baseBranch, commit);
    logger.info(`Pushed ${commit.slice(0, 12)} to ${state.baseBranch} of ${where}.`);
    return result(changeSet, 'pushed', { branch: state.baseBranch, commit });
  };

  /** The branch holds the change set's tree: an existing head that has it, or a new commit. */
  const writeBranch = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
    tree: string,
  ): Promise<{ headSha: string; wrote: boolean }> => {
    const branchHead =
      state.branchSha === undefined ? undefined : await refs.readCommit(state.branchSha);
    if (state.branchSha === undefined || branchHead === undefined) {
      const headSha = await refs.createCommit(changeSet, tree, [state.baseSha]);
      await refs.createBranch(state.branch, headSha);
      return { headSha, wrote: true };
    }
    if (branchHead.tree === tree) return { headSha: state.branchSha, wrote: false };
    // The old head is always a parent, so the ref moves forward without force and a
    // concurrent writer's head makes the update fail instead of vanish. When the base moved,
    // the current base is a parent too: the pull request's diff is then only our files.
    const parents =
      state.branchSha === state.baseSha || branchHead.parents.includes(state.baseSha)
        ? [state.branchSha]
        : [state.baseSha, state.branchSha];
    const headSha = await refs.createCommit(changeSet, tree, parents);
    await refs.moveBranch(state.branch, headSha);
    return { headSha, wrote: true };
  };

  const pullRequest = async (
    changeSet: ChangeSet,
    state: UnitBranchState,
  ): Promise<PublishResult> => {
    const policy = changeSet.publish;
    const warnings: string[] = [];
    let headSha: string;
    let wrote: boolean;
    // A branch that already holds exactly these files on this base is found with reads only,
    // so a run with nothing new writes nothing (no blob or tree made just to compare).
    if (
      state.branchSha !== undefined &&
      (await refs.holdsChangeSet(changeSet, state.baseSha, state.branchSha)) === true
    ) {
      headSha = state.branchSha;
      wrote = false;
    } else {
      const { tree, baseTree } = await refs.buildTree(changeSet, state.baseSha);
      if (tree === baseTree) {
        return state.pull
          ? closeStale(changeSet, state, state.pull)
          : result(changeSet, 'none', { branch: state.branch });
      }
      ({ headSha, wrote } = await writeBranch(changeSet, state, tree));
    }

    const title = pullRequestTitle(changeSet);
    const body = pullRequestBody(changeSet);
    let pull: OpenPull;
    let action: PublishResult['action'];
    if (state.pull) {
      pull = state.pull;
      if (wrote) {
        await pulls.rewrite(pull.number, title, body);
        action = 'updated';
      } else {
        const current = await pulls.read(pull.number);
        if (current.title === title && (current.body ?? '') === body) action = 'unchanged';
        else {
          await pulls.rewrite(pull.number, title, body);
          action = 'updated';
        }
      }
    } else {
      const opened = await pulls.openOrAdopt(state.branch, state.baseBranch, title, body);
      pull = opened.pull;
      action = opened.created ? 'created' : 'updated';
    }
    // Another run may have moved the branch while this one rewrote the title and body; then the
    // text describes a head that is gone, and the unit is read and published again.
    const headNow = await refs.refSha(state.branch);
    if (headNow !== headSha)
      throw new PublishConflict(
        `${state.branch} in ${where} moved while #${pull.number} was being updated; reading it again.`,
      );
    if (action !== 'unchanged')
      warnings.push(...(await pulls.decorate(pull.number, policy, action === 'created')));
    logger.info(`${capitalise(action)} #${pull.number} ${pull.url} (${title}).`);

    let commit = headSha;
    if (policy.mode === 'merge') {
      commit = await merging.merge(changeSet, state.baseBranch, state.branch, pull, headSha);
      await refs.deleteBranch(state.branch);
      action = 'merged';
      logger.info(`Merged #${pull.number} into ${state.baseBranch} (${commit.slice(0, 12)}).`);
    } else if (policy.mode === 'auto-merge') {
      const outcome = await merging.enableAutoMerge(
        changeSet,
        state.baseBranch,
        state.branch,
        pull,
        headSha,
      );
      if (outcome.warning !== undefined) warnings.push(outcome.warning);
      if (outcome.action === 'merged') {
        await refs.deleteBranch(state.branch);
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
      const sha = await refs.refSha(branch);
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
      const [branchSha, pull] = await Promise.all([
        refs.refSha(branch),
        pulls.find(branch, base.branch),
      ]);
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
