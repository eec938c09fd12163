/**
 * What a workspace answers about the base branch's history of one file (for `promote-from`):
 * which commits changed it, newest first, and what it held after each. The GitHub API answers
 * in the action, the checkout's git history on the command line.
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
