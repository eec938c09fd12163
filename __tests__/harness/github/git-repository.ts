import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A bare git repository driven through git plumbing, so the emulated GitHub API stores real
 * objects: blob and tree SHAs match what github.com would compute for the same bytes.
 */

export interface Identity {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly time: number;
}

export interface TreeEntry {
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly sha: string;
  /** Path relative to the tree that was listed. */
  readonly path: string;
  /** Blob size in bytes (undefined for trees and submodules). */
  readonly size?: number;
}

export interface CommitObject {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: Identity;
  readonly committer: Identity;
  readonly message: string;
}

/** A file change applied on top of a tree: a blob to place, or `null` to delete. */
export type PathChange = { readonly mode: string; readonly sha: string } | null;

export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${String(exitCode)}): ${stderr.trim()}`);
  }
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SHA_PATTERN = /^[0-9a-f]{40}$/;

export class BareRepository {
  private constructor(
    readonly gitDir: string,
    private readonly tempRoot: string,
  ) {}

  static async create(defaultBranch: string): Promise<BareRepository> {
    const tempRoot = await mkdtemp(join(tmpdir(), 'github-emulator-'));
    const gitDir = join(tempRoot, 'repo.git');
    const repository = new BareRepository(gitDir, tempRoot);
    await repository.run(
      ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, gitDir],
      {
        noGitDir: true,
      },
    );
    return repository;
  }

  async remove(): Promise<void> {
    await rm(this.tempRoot, { recursive: true, force: true });
  }

  /** Runs git with an argument array (never a shell); returns stdout as a Buffer. */
  run(
    args: readonly string[],
    options: { input?: Buffer | string; env?: Record<string, string>; noGitDir?: boolean } = {},
  ): Promise<Buffer> {
    const fullArgs = options.noGitDir ? [...args] : ['--git-dir', this.gitDir, ...args];
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        fullArgs,
        {
          encoding: 'buffer',
          maxBuffer: 256 * 1024 * 1024,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: this.tempRoot,
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_CONFIG_GLOBAL: '/dev/null',
            LANG: 'C',
            ...options.env,
          },
        },
        (error, stdout, stderr) => {
          if (error) {
            reject(new GitCommandError(args, error.code ?? undefined, stderr.toString('utf8')));
          } else {
            resolve(stdout);
          }
        },
      );
      // Commands that ignore stdin may exit before reading it; their exit status tells the story.
      child.stdin?.on('error', () => undefined);
      if (options.input === undefined) child.stdin?.end();
      else child.stdin?.end(options.input);
    });
  }

  private async text(args: readonly string[], input?: Buffer | string): Promise<string> {
    return (await this.run(args, input === undefined ? {} : { input })).toString('utf8').trim();
  }

  async writeBlob(content: Buffer): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], content);
  }

  /** The object's type, or undefined when it does not exist. */
  async objectType(sha: string): Promise<'blob' | 'tree' | 'commit' | 'tag' | undefined> {
    if (!SHA_PATTERN.test(sha)) return undefined;
    try {
      return (await this.text(['cat-file', '-t', sha])) as 'blob' | 'tree' | 'commit' | 'tag';
    } catch {
      return undefined;
    }
  }

  async readBlob(sha: string): Promise<Buffer> {
    return this.run(['cat-file', 'blob', sha]);
  }

  /** Resolves a ref (`refs/heads/main`) or commit-ish to a SHA, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    try {
      return await this.text(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    } catch {
      return undefined;
    }
  }

  /** Lists refs under a prefix such as `refs/heads/`, as [name, sha] pairs. */
  async listRefs(prefix: string): Promise<[string, string][]> {
    const output = await this.text(['for-each-ref', '--format=%(refname) %(objectname)', prefix]);
    if (output === '') return [];
    return output.split('\n').map((line) => {
      const [name = '', sha = ''] = line.split(' ');
      return [name, sha];
    });
  }

  async isEmpty(): Promise<boolean> {
    return (await this.listRefs('refs/')).length === 0;
  }

  /**
   * Compare-and-swap: moves `ref` to `newSha` only if it still points at `oldSha`
   * (`undefined` = must not exist yet). Returns false when another writer won.
   */
  async compareAndSwap(ref: string, newSha: string, oldSha: string | undefined): Promise<boolean> {
    try {
      await this.run(['update-ref', ref, newSha, oldSha ?? '0'.repeat(40)]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  async deleteRef(ref: string, oldSha: string): Promise<boolean> {
    try {
      await this.run(['update-ref', '-d', ref, oldSha]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return false;
      throw error;
    }
  }

  async readCommit(sha: string): Promise<CommitObject> {
    const raw = (await this.run(['cat-file', 'commit', sha])).toString('utf8');
    const split = raw.indexOf('\n\n');
    const header = split === -1 ? raw : raw.slice(0, split);
    const message = split === -1 ? '' : raw.slice(split + 2);
    let tree = '';
    const parents: string[] = [];
    let author: Identity = { name: '', email: '', time: 0 };
    let committer: Identity = author;
    for (const line of header.split('\n')) {
      const space = line.indexOf(' ');
      const key = line.slice(0, space);
      const value = line.slice(space + 1);
      if (key === 'tree') tree = value;
      else if (key === 'parent') parents.push(value);
      else if (key === 'author') author = parseIdentity(value);
      else if (key === 'committer') committer = parseIdentity(value);
    }
    return { sha, tree, parents, author, committer, message };
  }

  async writeCommit(commit: Omit<CommitObject, 'sha'>): Promise<string> {
    const args = ['commit-tree', commit.tree];
    for (const parent of commit.parents) args.push('-p', parent);
    const output = await this.run(args, {
      input: commit.message,
      env: {
        GIT_AUTHOR_NAME: commit.author.name,
        GIT_AUTHOR_EMAIL: commit.author.email,
        GIT_AUTHOR_DATE: `@${commit.author.time} +0000`,
        GIT_COMMITTER_NAME: commit.committer.name,
        GIT_COMMITTER_EMAIL: commit.committer.email,
        GIT_COMMITTER_DATE: `@${commit.committer.time} +0000`,
      },
    });
    return output.toString('utf8').trim();
  }

  /** Entries of a tree; `recursive` lists blobs below sub-trees (and the sub-trees too). */
  async listTree(treeSha: string, recursive: boolean): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), treeSha];
    return parseTreeListing((await this.run(args)).toString('utf8'));
  }

  /** The entry at an exact path below a tree (a file, link, submodule or directory). */
  async entryAt(treeSha: string, path: string): Promise<TreeEntry | undefined> {
    if (path === '') return undefined;
    // Literal pathspecs: a path containing `*` must not be read as a glob.
    const output = (
      await this.run(['--literal-pathspecs', 'ls-tree', '-l', '-z', treeSha, '--', path])
    ).toString('utf8');
    return parseTreeListing(output).find((entry) => entry.path === path);
  }

  /** Builds a new tree from `baseTree` (or empty) with path changes applied; returns its SHA. */
  async writeTree(
    baseTree: string | undefined,
    changes: ReadonlyMap<string, PathChange>,
  ): Promise<string> {
    const files = new Map<string, { mode: string; sha: string; type: string }>();
    if (baseTree) {
      for (const entry of await this.listTree(baseTree, true)) {
        if (entry.type !== 'tree') files.set(entry.path, entry);
      }
    }
    for (const [path, change] of changes) {
      if (change === null) {
        // Deleting a directory path removes everything below it, as GitHub does.
        files.delete(path);
        for (const key of [...files.keys()]) if (key.startsWith(`${path}/`)) files.delete(key);
      } else {
        const type =
          change.mode === '160000' ? 'commit' : change.mode === '040000' ? 'tree' : 'blob';
        files.set(path, { mode: change.mode, sha: change.sha, type });
      }
    }
    return this.buildTree('', files);
  }

  private async buildTree(
    prefix: string,
    files: ReadonlyMap<string, { mode: string; sha: string; type: string }>,
  ): Promise<string> {
    const lines: string[] = [];
    const subdirectories = new Set<string>();
    for (const [path, entry] of files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) lines.push(`${entry.mode} ${entry.type} ${entry.sha}\t${rest}`);
      else subdirectories.add(rest.slice(0, slash));
    }
    for (const name of subdirectories) {
      const sha = await this.buildTree(`${prefix}${name}/`, files);
      if (sha !== EMPTY_TREE) lines.push(`040000 tree ${sha}\t${name}`);
    }
    return this.text(['mktree', '-z'], lines.map((line) => `${line}\0`).join(''));
  }

  /**
   * Three-way merge of two commits without a work tree (`git merge-tree --write-tree`):
   * the merged tree, or undefined when the changes conflict.
   */
  async mergeTrees(ours: string, theirs: string): Promise<string | undefined> {
    try {
      const output = await this.text(['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
      return output.split('\n')[0];
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  /**
   * Commits reachable from `tip` that changed `path` (every commit without one), newest first,
   * with git's default history simplification, as GitHub's list-commits answers.
   */
  async commitsTouching(tip: string, path: string | undefined): Promise<string[]> {
    const args = ['rev-list', tip];
    if (path !== undefined && path !== '') args.push('--', path);
    const output = await this.text(args);
    return output === '' ? [] : output.split('\n');
  }

  /** Commits reachable from `head` but not from `base`, oldest first. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const output = await this.text(['rev-list', '--reverse', '--topo-order', `${base}..${head}`]);
    return output === '' ? [] : output.split('\n');
  }

  /** File-level changes from commit `from` to commit `to` (renames as delete + add). */
  async diffCommits(from: string | undefined, to: string): Promise<Map<string, PathChange>> {
    const args = from
      ? ['diff-tree', '-r', '-z', '--no-renames', from, to]
      : ['diff-tree', '-r', '-z', '--no-renames', '--root', to];
    const fields = (await this.run(args))
      .toString('utf8')
      .split('\0')
      .filter((part) => part !== '');
    const changes = new Map<string, PathChange>();
    // Without `from`, the first field is the commit SHA itself.
    let index = fields[0] !== undefined && SHA_PATTERN.test(fields[0]) ? 1 : 0;
    while (index + 1 < fields.length) {
      const meta = (fields[index] ?? '').replace(/^:/, '').split(' ');
      const path = fields[index + 1] ?? '';
      const [, newMode = '', , newSha = '', status = ''] = meta;
      changes.set(path, status.startsWith('D') ? null : { mode: newMode, sha: newSha });
      index += 2;
    }
    return changes;
  }
}

/** Parses `git ls-tree -l -z` output. */
function parseTreeListing(output: string): TreeEntry[] {
  return output
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', sha = '', size = ''] = line.slice(0, tab).split(/ +/);
      const entry: TreeEntry = {
        mode,
        type: type as TreeEntry['type'],
        sha,
        path: line.slice(tab + 1),
      };
      return size === '-' ? entry : { ...entry, size: Number(size) };
    });
}

function parseIdentity(value: string): Identity {
  const match = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(value);
  if (!match) return { name: value, email: '', time: 0 };
  return { name: match[1] ?? '', email: match[2] ?? '', time: Number(match[3]) };
}
