import { execFile } from 'node:child_process';
import path from 'node:path/posix';
import { ConfigurationError } from '../../core/errors.js';
import { MAX_FILE_BYTES } from '../../core/files.js';
import {
  pullRequestOf,
  type FileHistory,
  type HistoryProvider,
  type HistoryRequest,
  type SourceCommit,
} from '../../promotion/history.js';

/** Commits read per file at most: enough for months of hourly changes, bounded all the same. */
export const MAX_LOCAL_COMMITS = 2_000;

interface GitResult {
  readonly stdout: string;
  readonly code: number;
  readonly stderr: string;
}

/** Runs git without a shell; the exit code is returned, not thrown. */
function git(dir: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', dir, ...args],
      {
        encoding: 'utf8',
        maxBuffer: 4 * MAX_FILE_BYTES,
        // Never ask for credentials or pick up a pager; read the repository as it is.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as { code?: unknown }).code !== 'number') {
          // git could not be started at all (not installed, not executable).
          reject(new Error(`git ${args.join(' ')}: ${error.message}`, { cause: error }));
          return;
        }
        resolve({
          stdout,
          stderr,
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
        });
      },
    );
  });
}

/**
 * The history of files on the checked-out branch of a local clone (the command line's `--dir`):
 * `git log --first-parent` of HEAD, so a merged pull request counts from its merge commit, when
 * it reached the branch, not from when it was written. Files are read with `git show`.
 * Throws a ConfigurationError when `dir` is not inside a git work tree with at least one commit.
 */
export async function createGitHistory(
  dir: string,
  options: { readonly maxCommits?: number; readonly why: string },
): Promise<HistoryProvider> {
  const maxCommits = options.maxCommits ?? MAX_LOCAL_COMMITS;
  const inside = await git(dir, ['rev-parse', '--is-inside-work-tree', '--show-prefix']);
  if (inside.code !== 0 || !inside.stdout.startsWith('true')) {
    throw new ConfigurationError(
      `${options.why}, which needs the source environment's history, but --dir ${dir} is not a git repository. ` +
        'Run on a clone of the chart repository (with its history, not a copy of the files).',
    );
  }
  const prefix = (inside.stdout.split('\n')[1] ?? '').trim();
  const head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.code !== 0) {
    throw new ConfigurationError(
      `${options.why}, but the git repository at ${dir} has no commits yet, so no environment has a history.`,
    );
  }
  const headSha = head.stdout.trim();
  const shallow =
    (await git(dir, ['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
  const repositoryPath = (file: string): string => path.join(prefix, file);

  return {
    description: `git history of ${dir}`,
    async history(request: HistoryRequest): Promise<FileHistory> {
      // %x1f and %x1e separate fields and records; a subject cannot contain either.
      const log = await git(dir, [
        'log',
        '--first-parent',
        `--max-count=${maxCommits + 1}`,
        '--format=%H%x1f%ct%x1f%s%x1e',
        headSha,
        '--',
        repositoryPath(request.path),
      ]);
      if (log.code !== 0) {
        throw new Error(`git log of ${request.path} in ${dir} failed: ${log.stderr.trim()}`);
      }
      const commits: SourceCommit[] = [];
      for (const record of log.stdout.split('\x1e')) {
        const [sha, seconds, subject = ''] = record.trim().split('\x1f');
        if (sha === undefined || sha === '' || seconds === undefined) continue;
        commits.push({
          sha,
          date: new Date(Number(seconds) * 1000),
          subject,
          pullRequest: pullRequestOf(subject),
        });
      }
      const complete = commits.length <= maxCommits && !shallow;
      return { commits: commits.slice(0, maxCommits), complete };
    },
    async readAt(sha: string, file: string): Promise<string | undefined> {
      const shown = await git(dir, ['cat-file', 'blob', `${sha}:${repositoryPath(file)}`]);
      if (shown.code !== 0) return undefined;
      return shown.stdout;
    },
  };
}
