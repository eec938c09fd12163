import { constants } from 'node:fs';
import { statSync } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { normaliseRepositoryPath } from '../../config/repository-path.js';
import { ConfigurationError } from '../../core/errors.js';
import {
  MAX_FILE_BYTES,
  mayHoldMatches,
  skippedLinkWarning,
  type ChartFiles,
} from '../../core/files.js';
import type { Logger } from '../../core/logging.js';
import { decodeChartText } from '../../core/text-encoding.js';

/** Directories never worth searching for charts or manifests. */
const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', 'node_modules']);
/** Bounds of one glob walk, so a huge checkout fails with a message instead of hanging. */
export const MAX_WALK_ENTRIES = 20_000;
export const MAX_WALK_DEPTH = 32;

/**
 * ChartFiles over a local checkout (the CLI's `--dir`, or the workspace). Only regular files
 * inside `dir` are read: a symlink anywhere on the way is refused, because a chart repository
 * is untrusted input and a link to `/etc/passwd` must not end up in a pull request.
 */
export function createLocalChartFiles(
  dir: string,
  options: { readonly maxWalkEntries?: number; readonly logger?: Logger } = {},
): ChartFiles {
  checkCheckoutDirectory(dir);
  const maxWalkEntries = options.maxWalkEntries ?? MAX_WALK_ENTRIES;
  // Each skipped link is reported once, however often a glob is listed during a run.
  const reported = new Set<string>();
  const onLink = (pattern: string, path: string): void => {
    if (reported.has(`${pattern}\n${path}`)) return;
    reported.add(`${pattern}\n${path}`);
    options.logger?.warning(skippedLinkWarning(pattern, path, ' in the checkout'));
  };
  return {
    read: (path) => readChartFile(dir, path),
    glob: (pattern, globOptions) =>
      globChartFiles(dir, pattern, maxWalkEntries, globOptions?.reportLinks ? onLink : ignoreLink),
  };
}

function ignoreLink(): void {}

/**
 * The checkout must be a directory that exists; said at once, naming it, rather than after the
 * registry was asked and a file could not be written.
 */
function checkCheckoutDirectory(dir: string): void {
  let stats;
  try {
    stats = statSync(dir);
  } catch (error) {
    const code = errorCode(error);
    throw new ConfigurationError(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `the checkout directory \`${dir}\` does not exist; point the directory option (--dir) at a checkout of the chart repository.`
        : `the checkout directory \`${dir}\` cannot be read (${code ?? 'unknown error'}).`,
    );
  }
  if (!stats.isDirectory()) {
    throw new ConfigurationError(
      `the checkout directory \`${dir}\` is a file, not a directory; point the directory option (--dir) at a checkout of the chart repository.`,
    );
  }
}

async function readChartFile(dir: string, path: string): Promise<string | undefined> {
  const relative = normaliseRepositoryPath(path, 'file path');
  if (relative === '.') {
    throw new ConfigurationError(`\`${path}\` is the repository root, not a file.`);
  }
  const segments = relative.split('/');
  // lstat every directory on the way: O_NOFOLLOW below only guards the last component.
  let current = dir;
  for (let index = 0; index < segments.length - 1; index++) {
    current = join(current, segments[index] ?? '');
    const stats = await lstatOrUndefined(current);
    if (stats === undefined) return undefined;
    if (stats.isSymbolicLink()) {
      throw new ConfigurationError(
        `\`${relative}\`: \`${segments.slice(0, index + 1).join('/')}\` is a symbolic link; ` +
          'this action reads only regular files inside the repository. Replace the link with the directory.',
      );
    }
    if (!stats.isDirectory()) return undefined;
  }
  const fullPath = join(dir, ...segments);
  let handle;
  try {
    handle = await open(fullPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') {
      throw new ConfigurationError(
        `\`${relative}\` is a symbolic link; this action reads only regular files inside the repository. ` +
          'Replace the link with the file.',
      );
    }
    throw new ConfigurationError(`\`${relative}\` cannot be read (${code ?? 'unknown error'}).`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new ConfigurationError(`\`${relative}\` is not a regular file.`);
    }
    if (stats.size > MAX_FILE_BYTES) {
      throw new ConfigurationError(
        `\`${relative}\` is ${stats.size} bytes, above the limit of ${MAX_FILE_BYTES} bytes for chart files; ` +
          'split it or point the configuration at a smaller file.',
      );
    }
    // Read at most one byte past the limit, in case the file grew after fstat.
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_FILE_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_FILE_BYTES) {
      throw new ConfigurationError(
        `\`${relative}\` is above the limit of ${MAX_FILE_BYTES} bytes for chart files.`,
      );
    }
    return decodeChartText(buffer.subarray(0, bytesRead), relative);
  } finally {
    await handle.close();
  }
}

async function globChartFiles(
  dir: string,
  pattern: string,
  maxWalkEntries: number,
  onLink: (pattern: string, path: string) => void,
): Promise<string[]> {
  const normalised = normaliseRepositoryPath(pattern, 'glob');
  const isMatch = picomatch(normalised, { dot: true });
  // Start at the glob's literal prefix (`helm-env/env` for `helm-env/env/*/values.yaml`).
  const base = normaliseRepositoryPath(picomatch.scan(normalised).base, 'glob', {
    source: pattern,
  });
  const startSegments = base === '.' ? [] : base.split('/');
  for (let i = 1; i <= startSegments.length; i++) {
    const stats = await lstatOrUndefined(join(dir, ...startSegments.slice(0, i)));
    if (stats === undefined) return [];
    if (stats.isSymbolicLink()) {
      onLink(normalised, startSegments.slice(0, i).join('/'));
      return [];
    }
    if (!stats.isDirectory()) {
      // A pattern without wildcards names one file.
      return i === startSegments.length && stats.isFile() && isMatch(base) ? [base] : [];
    }
  }
  const matches: string[] = [];
  let visited = 0;
  const walk = async (relativeDir: string, depth: number): Promise<void> => {
    if (depth > MAX_WALK_DEPTH) return;
    let entries;
    try {
      entries = await readdir(join(dir, relativeDir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      visited += 1;
      if (visited > maxWalkEntries) {
        throw new ConfigurationError(
          `glob \`${normalised}\` walks more than ${maxWalkEntries} entries; use a narrower pattern.`,
        );
      }
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      // Dirent types come from lstat semantics: symlinks are neither files nor directories here.
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(relative, depth + 1);
      } else if (entry.isFile() && isMatch(relative)) {
        matches.push(relative);
      } else if (
        entry.isSymbolicLink() &&
        (isMatch(relative) || mayHoldMatches(normalised, relative))
      ) {
        onLink(normalised, relative);
      }
    }
  };
  await walk(startSegments.join('/'), startSegments.length);
  return matches.sort();
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
