import picomatch from 'picomatch';

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
  glob(pattern: string, options?: GlobOptions): Promise<string[]>;
}

export interface GlobOptions {
  /**
   * Warn (once per pattern and link) about symbolic links the glob would look into or match:
   * they are never followed. Set for values globs, whose files the run means to update.
   */
  readonly reportLinks?: boolean;
}

/** Values and override files larger than this are refused rather than parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;

/**
 * True when files below `path` (a directory, or a link that may be one) could match `pattern`:
 * every segment of `path` matches the glob's segment at that depth, or a `**` comes first.
 */
export function mayHoldMatches(pattern: string, path: string): boolean {
  const globSegments = pattern.split('/');
  const pathSegments = path.split('/');
  for (const [index, segment] of pathSegments.entries()) {
    const glob = globSegments[index];
    if (glob === undefined) return false;
    if (glob === '**') return true;
    if (!picomatch(glob, { dot: true })(segment)) return false;
  }
  return pathSegments.length < globSegments.length;
}

/**
 * The warning for a symbolic link where a glob looks for files. Links are not followed (ADR
 * 0019): a link can point outside the repository, so its target is never read or written.
 */
export function skippedLinkWarning(pattern: string, path: string, where: string): string {
  return (
    `\`${path}\` is a symbolic link${where}; it is not followed, so no file behind it is updated for \`${pattern}\`. ` +
    'Replace the link with the file or directory, or list the real path.'
  );
}
