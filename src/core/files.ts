/**
 * Read access to the chart repository, the same for a local checkout (CLI `--dir`) and for the
 * GitHub API (the action). Paths are repository-relative with `/` separators.
 */
export interface ChartFiles {
  /**
   * The text of a file, or undefined when it does not exist. Throws a ConfigurationError for
   * a path outside the repository, a symlink, or a file above the size limit.
   */
  read(path: string): Promise<string | undefined>;
  /** Repository-relative paths of regular files matching a glob, sorted. */
  glob(pattern: string): Promise<string[]>;
}

/** Values and override files larger than this are refused rather than parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
