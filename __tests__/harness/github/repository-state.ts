import { emptyRepository, GitHubApiError } from './api-error.js';
import type { BareRepository, Identity, PathChange } from './git-repository.js';
import type { LabelRecord, Mergeability, PullRecord, RepositoryView } from './resources.js';
import { stableId } from './resources.js';

/**
 * Everything the emulated repository knows beyond git itself: pull requests, labels, repository
 * settings and mergeability, shared by the REST routes, GraphQL and the test-side helpers.
 */

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface RepositorySettings {
  readonly owner: string;
  readonly repo: string;
  readonly defaultBranch: string;
  readonly allowAutoMerge: boolean;
  readonly actionsCanCreatePullRequests: boolean;
  /** Required status checks on the default branch (branch protection); empty = unprotected. */
  readonly requiredChecks: readonly string[];
  /** Entries a recursive get-tree returns before it answers `truncated: true`. */
  readonly recursiveTreeLimit: number;
}

export function identityOf(login: string, time: number = nowSeconds()): Identity {
  return { name: login, email: `${stableId(login)}+${login}@users.noreply.127.0.0.1`, time };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The committer GitHub uses for merges made on the server. */
const SERVER_COMMITTER = 'GitHub';

export class RepositoryState {
  readonly pulls: PullRecord[] = [];
  readonly labels = new Map<string, LabelRecord>();
  /** Set by tests: a forced answer for `mergeable` (null = still computing). */
  readonly mergeableOverrides = new Map<number, boolean | null>();
  /** Pull requests whose next read answers `mergeable: null` (GitHub computes it lazily). */
  private readonly mergeabilityPending = new Set<number>();
  /** Commits whose required checks have passed (`passChecks`). */
  readonly passedChecks = new Set<string>();
  private nextNumber = 1;
  private nextId = 1000;
  readonly createdAt = timestamp();
  readonly id: number;

  constructor(
    readonly git: BareRepository,
    readonly settings: RepositorySettings,
    private readonly apiUrl: () => string,
  ) {
    this.id = stableId(`${settings.owner}/${settings.repo}`);
  }

  view(permissions?: RepositoryView['permissions']): RepositoryView {
    return {
      apiUrl: this.apiUrl(),
      owner: this.settings.owner,
      repo: this.settings.repo,
      id: this.id,
      defaultBranch: this.settings.defaultBranch,
      allowAutoMerge: this.settings.allowAutoMerge,
      createdAt: this.createdAt,
      ...(permissions ? { permissions } : {}),
    };
  }

  newId(): number {
    return this.nextId++;
  }

  branchSha(branch: string): Promise<string | undefined> {
    return this.git.resolve(`refs/heads/${branch}`);
  }

  /** Resolves a branch, tag or commit SHA the way the contents API does. */
  async resolveCommitish(ref: string): Promise<string | undefined> {
    for (const candidate of [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
      const sha = await this.git.resolve(candidate);
      if (sha) return sha;
    }
    if (/^[0-9a-f]{40}$/.test(ref) && (await this.git.objectType(ref)) === 'commit') return ref;
    return undefined;
  }

  async assertNotEmpty(): Promise<void> {
    if (await this.git.isEmpty()) throw emptyRepository();
  }

  /**
   * Brings pull requests in line with the branches: a moved head updates `head.sha` and resets
   * mergeability; a deleted head branch closes the pull request, as on GitHub.
   */
  async syncPulls(): Promise<void> {
    const open = this.pulls.filter((pull) => pull.state === 'open');
    if (open.length === 0) return;
    const tips = new Map(await this.git.listRefs('refs/heads/'));
    for (const pull of open) {
      const headSha = tips.get(`refs/heads/${pull.head}`);
      const baseSha = tips.get(`refs/heads/${pull.base}`);
      if (headSha === undefined) {
        pull.state = 'closed';
        pull.closedAt = timestamp();
        pull.updatedAt = pull.closedAt;
        continue;
      }
      if (headSha !== pull.headSha || (baseSha !== undefined && baseSha !== pull.baseSha)) {
        pull.headSha = headSha;
        if (baseSha !== undefined) pull.baseSha = baseSha;
        pull.updatedAt = timestamp();
        this.mergeabilityPending.add(pull.number);
      }
    }
  }

  createPull(fields: {
    title: string;
    body: string | null;
    head: string;
    headSha: string;
    base: string;
    baseSha: string;
    draft: boolean;
    user: string;
  }): PullRecord {
    const now = timestamp();
    const number = this.nextNumber++;
    const id = this.newId();
    const pull: PullRecord = {
      number,
      id,
      nodeId: `PR_${Buffer.from(`${this.id}:${number}`).toString('base64url')}`,
      state: 'open',
      ...fields,
      labels: [],
      requestedReviewers: [],
      requestedTeams: [],
      comments: [],
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      autoMerge: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    this.pulls.push(pull);
    this.mergeabilityPending.add(number);
    return pull;
  }

  findPull(number: number): PullRecord | undefined {
    return this.pulls.find((pull) => pull.number === number);
  }

  findPullByNodeId(nodeId: string): PullRecord | undefined {
    return this.pulls.find((pull) => pull.nodeId === nodeId);
  }

  labelsOf(pull: PullRecord): LabelRecord[] {
    return pull.labels.flatMap((name) => {
      const label = this.labels.get(name.toLowerCase());
      return label ? [label] : [];
    });
  }

  /** Finds a label case-insensitively or creates it (GitHub creates unknown labels, `ededed`). */
  ensureLabel(name: string): LabelRecord {
    const key = name.toLowerCase();
    let label = this.labels.get(key);
    if (!label) {
      label = { id: this.newId(), name, color: 'ededed', description: null };
      this.labels.set(key, label);
    }
    return label;
  }

  /**
   * What `pulls/get` reports. The first read after a change answers `null` (GitHub computes
   * mergeability in the background); later reads do a real three-way merge of head into base.
   */
  async mergeability(pull: PullRecord, consumePending: boolean): Promise<Mergeability> {
    const override = this.mergeableOverrides.get(pull.number);
    if (override !== undefined) return this.describe(pull, override);
    if (pull.state !== 'open') return this.describe(pull, null);
    if (this.mergeabilityPending.has(pull.number)) {
      if (consumePending) this.mergeabilityPending.delete(pull.number);
      return this.describe(pull, null);
    }
    const baseTip = await this.branchSha(pull.base);
    if (!baseTip) return this.describe(pull, false);
    const merged = await this.git.mergeTrees(baseTip, pull.headSha);
    return this.describe(pull, merged !== undefined);
  }

  /** The first required check that has not passed for a commit pushed to `branch`, if any. */
  missingCheck(branch: string, sha: string): string | undefined {
    if (branch !== this.settings.defaultBranch || this.passedChecks.has(sha)) return undefined;
    return this.settings.requiredChecks[0];
  }

  private describe(pull: PullRecord, mergeable: boolean | null): Mergeability {
    if (mergeable === null) return { mergeable, mergeableState: 'unknown' };
    if (!mergeable) return { mergeable, mergeableState: 'dirty' };
    const blocked = this.missingCheck(pull.base, pull.headSha) !== undefined;
    return { mergeable, mergeableState: blocked ? 'blocked' : 'clean' };
  }

  /** GitHub's answer for a push or merge that a required status check blocks. */
  requiredCheckError(status: 405 | 409 | 422, check: string): GitHubApiError {
    return new GitHubApiError(status, `Required status check "${check}" is expected.`);
  }

  /** Merges a pull request into its base with GitHub's commit shapes for each method. */
  async mergePull(
    pull: PullRecord,
    options: {
      method: MergeMethod;
      actor: string;
      sha?: string;
      commitTitle?: string;
      commitMessage?: string;
    },
  ): Promise<string> {
    if (pull.state !== 'open' || pull.merged) {
      throw new GitHubApiError(405, 'Pull Request is not mergeable');
    }
    if (options.sha !== undefined && options.sha !== pull.headSha) {
      throw new GitHubApiError(409, 'Head branch was modified. Review and try the merge again.');
    }
    const override = this.mergeableOverrides.get(pull.number);
    if (override === false) throw new GitHubApiError(405, 'Pull Request is not mergeable');
    const baseTip = await this.branchSha(pull.base);
    if (!baseTip) throw new GitHubApiError(405, 'Pull Request is not mergeable');
    const mergedTree = await this.git.mergeTrees(baseTip, pull.headSha);
    if (mergedTree === undefined) throw new GitHubApiError(405, 'Pull Request is not mergeable');
    const check = this.missingCheck(pull.base, pull.headSha);
    if (check) throw this.requiredCheckError(405, check);

    const committer = identityOf(SERVER_COMMITTER);
    let newTip: string;
    if (options.method === 'merge') {
      const title =
        options.commitTitle ??
        `Merge pull request #${pull.number} from ${this.settings.owner}/${pull.head}`;
      newTip = await this.git.writeCommit({
        tree: mergedTree,
        parents: [baseTip, pull.headSha],
        author: identityOf(options.actor),
        committer,
        message: `${title}\n\n${options.commitMessage ?? pull.title}\n`,
      });
    } else if (options.method === 'squash') {
      const title = options.commitTitle ?? `${pull.title} (#${pull.number})`;
      const body = options.commitMessage ?? (await this.squashBody(baseTip, pull.headSha));
      newTip = await this.git.writeCommit({
        tree: mergedTree,
        parents: [baseTip],
        author: identityOf(pull.user),
        committer,
        message: body === '' ? `${title}\n` : `${title}\n\n${body}\n`,
      });
    } else {
      newTip = await this.replayCommits(baseTip, pull.headSha, committer);
    }
    if (!(await this.git.compareAndSwap(`refs/heads/${pull.base}`, newTip, baseTip))) {
      throw new GitHubApiError(409, 'Base branch was modified. Review and try the merge again.');
    }
    const now = timestamp();
    pull.state = 'closed';
    pull.merged = true;
    pull.mergedAt = now;
    pull.closedAt = now;
    pull.updatedAt = now;
    pull.mergedBy = options.actor;
    pull.mergeCommitSha = newTip;
    pull.baseSha = baseTip;
    await this.syncPulls();
    return newTip;
  }

  private async squashBody(baseTip: string, headSha: string): Promise<string> {
    const messages: string[] = [];
    for (const sha of await this.git.commitsBetween(baseTip, headSha)) {
      const commit = await this.git.readCommit(sha);
      messages.push(`* ${commit.message.trim()}`);
    }
    return messages.join('\n\n');
  }

  /** Rebase-merge: each head commit's changes re-applied on the base tip, authors kept. */
  private async replayCommits(
    baseTip: string,
    headSha: string,
    committer: Identity,
  ): Promise<string> {
    let tip = baseTip;
    let tree = (await this.git.readCommit(baseTip)).tree;
    for (const sha of await this.git.commitsBetween(baseTip, headSha)) {
      const commit = await this.git.readCommit(sha);
      if (commit.parents.length > 1) continue;
      const changes: ReadonlyMap<string, PathChange> = await this.git.diffCommits(
        commit.parents[0],
        sha,
      );
      tree = await this.git.writeTree(tree, changes);
      tip = await this.git.writeCommit({
        tree,
        parents: [tip],
        author: commit.author,
        committer,
        message: commit.message,
      });
    }
    return tip;
  }
}
