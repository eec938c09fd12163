/**
 * Where a source environment's history comes from: the GitHub API in the action, the checkout's
 * git history on the command line. Both answer the same two questions for one file on the base
 * branch: which commits changed it (newest first), and what it held after each.
 */

export interface SourceCommit {
  /** Full commit SHA. */
  readonly sha: string;
  /** When the commit landed: the committer date (a squash or rebase merge sets it). */
  readonly date: Date;
  /** First line of the message, for the explanation. */
  readonly subject: string;
  /** The pull request that made it, read from a `(#41)` or `Merge pull request #41` subject. */
  readonly pullRequest: number | undefined;
}

export interface FileHistory {
  /** Commits that changed the file on the base branch, newest first. */
  readonly commits: readonly SourceCommit[];
  /**
   * False when older commits exist than were read (page cap, shallow clone): the oldest value's
   * start is then only known to be no later than the oldest commit read.
   */
  readonly complete: boolean;
}

export interface HistoryRequest {
  /** Repository-relative path of the source file. */
  readonly path: string;
  /**
   * Reading may stop once it has reached a commit older than this instant and older pages are
   * not needed; providers that read everything at once may ignore it.
   */
  readonly until: Date;
}

export interface HistoryProvider {
  /** A short name for messages: `git history of /repo`, `GitHub acme/charts@main`. */
  readonly description: string;
  /** The commits that changed `path` on the base branch. */
  history(request: HistoryRequest): Promise<FileHistory>;
  /** The file's text as of `sha`; undefined when it did not exist there. */
  readAt(sha: string, path: string): Promise<string | undefined>;
}

/** `fix (#41)`, `Merge pull request #41 from acme/branch` → 41. */
export function pullRequestOf(subject: string): number | undefined {
  const squash = /\(#(\d+)\)\s*$/.exec(subject);
  const merge = /^Merge pull request #(\d+)\b/.exec(subject);
  const number = squash?.[1] ?? merge?.[1];
  return number === undefined ? undefined : Number(number);
}

/** Remembers every history and file read for the length of one run. */
export function cachedHistory(provider: HistoryProvider): HistoryProvider {
  const histories = new Map<string, { until: Date; history: Promise<FileHistory> }>();
  const files = new Map<string, Promise<string | undefined>>();
  return {
    description: provider.description,
    history: (request) => {
      const entry = histories.get(request.path);
      // A second reader with a longer soak may need older commits than the first one read.
      if (entry !== undefined && entry.until.getTime() <= request.until.getTime()) {
        return entry.history;
      }
      const history = provider.history(request);
      histories.set(request.path, { until: request.until, history });
      return history;
    },
    readAt: (sha, path) => {
      const key = `${sha}:${path}`;
      let entry = files.get(key);
      if (entry === undefined) {
        entry = provider.readAt(sha, path);
        files.set(key, entry);
      }
      return entry;
    },
  };
}
