import { createHash } from 'node:crypto';
import { BRANCH_PREFIX } from '../../config/settings.js';
import { errorMessage } from '../../core/errors.js';
import type { ChangeSet } from '../../core/changes.js';
import { commitMessage } from './body.js';
import {
  callGitHub,
  failureMentions,
  gitHubFailure,
  isNotFound,
  publishError,
} from './github-errors.js';
import type { RepositoryContext } from './repository-context.js';

/**
 * A lost compare-and-swap: a branch moved between reading it and writing it. The caller reads
 * the unit again and retries; nothing was lost because no ref was forced.
 */
export class PublishConflict extends Error {
  override readonly name = 'PublishConflict';
}

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

/** The id git gives a file's bytes (`git hash-object`): sha1 of `blob <length>\0<bytes>`. */
export function blobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Git data of the chart repository: refs moved only by compare-and-swap, commits, trees. */
export interface GitRefs {
  /** The head of a branch, or `undefined` when it does not exist. */
  refSha(branch: string): Promise<string | undefined>;
  readCommit(sha: string): Promise<{ tree: string; parents: string[] }>;
  /** Blobs for the change set's files, then one tree on top of the base commit's tree. */
  buildTree(changeSet: ChangeSet, baseSha: string): Promise<{ tree: string; baseTree: string }>;
  createCommit(changeSet: ChangeSet, tree: string, parents: string[]): Promise<string>;
  /**
   * Whether the tree of `commitSha` is the tree `buildTree(changeSet, baseSha)` would create,
   * found with reads only (two recursive tree listings, blob ids computed here). `undefined`
   * when GitHub truncates a listing and the question needs the writes of `buildTree`.
   */
  holdsChangeSet(
    changeSet: ChangeSet,
    baseSha: string,
    commitSha: string,
  ): Promise<boolean | undefined>;
  /** Moves a branch without force: a head that moved meanwhile raises `PublishConflict`. */
  moveBranch(branch: string, sha: string): Promise<void>;
  /** Creates a branch; one that appeared meanwhile raises `PublishConflict`. */
  createBranch(branch: string, sha: string): Promise<void>;
  /** Best effort: the repository may delete merged head branches itself. */
  deleteBranch(branch: string): Promise<void>;
}

export function createGitRefs(context: RepositoryContext): GitRefs {
  const { client, owner, repo, where, logger } = context;

  const readCommit = async (sha: string): Promise<{ tree: string; parents: string[] }> => {
    const response = await callGitHub(`read commit ${sha} of ${where}`, () =>
      client.rest.git.getCommit({ owner, repo, commit_sha: sha }),
    );
    return {
      tree: response.data.tree.sha,
      parents: response.data.parents.map((parent) => parent.sha),
    };
  };

  /** Every non-tree entry of a tree, by path; `undefined` when GitHub truncated the listing. */
  const listTree = async (
    treeSha: string,
  ): Promise<Map<string, { mode: string; sha: string }> | undefined> => {
    const response = await callGitHub(`read tree ${treeSha} of ${where}`, () =>
      client.rest.git.getTree({ owner, repo, tree_sha: treeSha, recursive: '1' }),
    );
    if (response.data.truncated) return undefined;
    const entries = new Map<string, { mode: string; sha: string }>();
    for (const item of response.data.tree) {
      if (item.type === 'tree' || item.path === undefined || item.sha === undefined) continue;
      entries.set(item.path, { mode: item.mode ?? '', sha: item.sha });
    }
    return entries;
  };

  return {
    async holdsChangeSet(changeSet, baseSha, commitSha) {
      const [base, head] = await Promise.all([readCommit(baseSha), readCommit(commitSha)]);
      if (base.tree === head.tree) return changeSet.files.length === 0;
      const [baseEntries, headEntries] = await Promise.all([
        listTree(base.tree),
        listTree(head.tree),
      ]);
      if (baseEntries === undefined || headEntries === undefined) return undefined;
      const wanted = new Map(baseEntries);
      for (const file of changeSet.files)
        wanted.set(file.path, { mode: FILE_MODE, sha: blobId(file.content) });
      if (wanted.size !== headEntries.size) return false;
      for (const [path, entry] of wanted) {
        const found = headEntries.get(path);
        if (found?.sha !== entry.sha || found.mode !== entry.mode) return false;
      }
      return true;
    },

    async refSha(branch) {
      try {
        const response = await client.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
        return response.data.object.sha;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw publishError(`read branch ${branch} of ${where}`, error);
      }
    },

    readCommit,

    async buildTree(changeSet, baseSha) {
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
    },

    async createCommit(changeSet, tree, parents) {
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
    },

    async moveBranch(branch, sha) {
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
    },

    async createBranch(branch, sha) {
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
    },

    async deleteBranch(branch) {
      try {
        await client.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
      } catch (error) {
        logger.debug(`Branch ${branch} of ${where} was not deleted: ${errorMessage(error)}`);
      }
    },
  };
}
