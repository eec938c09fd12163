import picomatch from 'picomatch';
import { normaliseRepositoryPath } from '../../config/repository-path.js';
import { ConfigurationError } from '../../core/errors.js';
import {
  MAX_FILE_BYTES,
  mayHoldMatches,
  skippedLinkWarning,
  type ChartFiles,
  type GlobOptions,
} from '../../core/files.js';
import { decodeChartText } from '../../core/text-encoding.js';
import type { Logger } from '../../core/logging.js';
import { callGitHub } from './github-errors.js';
import type { GitHubClient } from './octokit.js';

/** One entry of a git tree, as far as reading files needs it. */
interface TreeEntry {
  readonly path: string;
  readonly mode: string;
  readonly type: string;
  readonly sha: string;
  readonly size: number | undefined;
}

const SYMLINK_MODE = '120000';
const REGULAR_FILE_MODES = new Set(['100644', '100755']);

/**
 * The chart repository at one commit, read through the Git data API: one recursive tree read
 * answers `glob` and existence, and each file is one blob read, cached by blob sha.
 */
export function createGitHubChartFiles(
  client: GitHubClient,
  owner: string,
  repo: string,
  commitSha: string,
  logger: Logger,
): ChartFiles {
  const where = `${owner}/${repo}`;
  const blobs = new Map<string, Promise<string>>();
  // Each skipped link is reported once, however often a glob is listed during a run.
  const reportedLinks = new Set<string>();
  let index: Promise<RepositoryIndex> | undefined;

  const repositoryIndex = (): Promise<RepositoryIndex> => {
    if (!index) {
      const loading = loadIndex(client, owner, repo, commitSha, logger);
      // A failed read is not cached: the next call asks again.
      loading.catch(() => {
        if (index === loading) index = undefined;
      });
      index = loading;
    }
    return index;
  };

  const readBlob = (entry: TreeEntry): Promise<string> => {
    let text = blobs.get(entry.sha);
    if (!text) {
      text = fetchBlob(client, owner, repo, entry);
      text.catch(() => blobs.delete(entry.sha));
      blobs.set(entry.sha, text);
    }
    return text;
  };

  return {
    async read(path: string): Promise<string | undefined> {
      // The same path rules as a local checkout: nothing outside the repository.
      const relative = normaliseRepositoryPath(path, 'file path');
      if (relative === '.')
        throw new ConfigurationError(`\`${path}\` is the repository root, not a file.`);
      const index = await repositoryIndex();
      const entry = await index.entry(relative);
      if (entry === undefined) {
        await refuseLinkedDirectory(index, relative, where);
        return undefined;
      }
      refuseIrregular(entry, where);
      return readBlob(entry);
    },
    async glob(pattern: string, options?: GlobOptions): Promise<string[]> {
      const normalised = normaliseRepositoryPath(pattern, 'glob');
      const isMatch = picomatch(normalised, { dot: true });
      const base = picomatch.scan(normalised).base;
      const entries = await (await repositoryIndex()).entriesUnder(base === '.' ? '' : base);
      for (const entry of options?.reportLinks ? entries : []) {
        if (entry.mode !== SYMLINK_MODE) continue;
        if (!isMatch(entry.path) && !mayHoldMatches(normalised, entry.path)) continue;
        const key = `${normalised}\n${entry.path}`;
        if (reportedLinks.has(key)) continue;
        reportedLinks.add(key);
        logger.warning(skippedLinkWarning(normalised, entry.path, ` in ${where}`));
      }
      return entries
        .filter((entry) => isRegularFile(entry) && isMatch(entry.path))
        .map((entry) => entry.path)
        .sort();
    },
  };
}

/** A whole tree when GitHub returns it in one piece; directory by directory when it truncates. */
interface RepositoryIndex {
  entry(path: string): Promise<TreeEntry | undefined>;
  /** Every entry at or below `directory` (repository-relative, '' for the root). */
  entriesUnder(directory: string): Promise<TreeEntry[]>;
}

async function loadIndex(
  client: GitHubClient,
  owner: string,
  repo: string,
  commitSha: string,
  logger: Logger,
): Promise<RepositoryIndex> {
  const where = `${owner}/${repo}`;
  const commit = await callGitHub(`read commit ${commitSha} of ${where}`, () =>
    client.rest.git.getCommit({ owner, repo, commit_sha: commitSha }),
  );
  const rootTree = commit.data.tree.sha;
  const whole = await readTree(client, owner, repo, rootTree, true);
  if (!whole.truncated) {
    const byPath = new Map(whole.entries.map((entry) => [entry.path, entry]));
    return {
      entry: (path) => Promise.resolve(byPath.get(path)),
      entriesUnder: (directory) =>
        Promise.resolve(whole.entries.filter((entry) => isUnder(entry.path, directory))),
    };
  }
  logger.debug(
    `The tree of ${where} at ${commitSha} is too large for one read; reading directories one by one.`,
  );
  return directoryIndex(client, owner, repo, rootTree);
}

/** Reads only the directories a path or glob needs, each once. */
function directoryIndex(
  client: GitHubClient,
  owner: string,
  repo: string,
  rootTree: string,
): RepositoryIndex {
  const directories = new Map<string, Promise<TreeEntry[]>>();
  const list = (directory: string, treeSha: string): Promise<TreeEntry[]> => {
    let listing = directories.get(directory);
    if (!listing) {
      listing = readTree(client, owner, repo, treeSha, false).then(({ entries }) =>
        entries.map((entry) => ({
          ...entry,
          path: directory === '' ? entry.path : `${directory}/${entry.path}`,
        })),
      );
      directories.set(directory, listing);
    }
    return listing;
  };
  const entry = async (path: string): Promise<TreeEntry | undefined> => {
    let treeSha = rootTree;
    let directory = '';
    const segments = path.split('/');
    for (const [position, segment] of segments.entries()) {
      const current = `${directory === '' ? '' : `${directory}/`}${segment}`;
      const found = (await list(directory, treeSha)).find(
        (candidate) => candidate.path === current,
      );
      if (found === undefined) return undefined;
      if (position === segments.length - 1) return found;
      if (found.type !== 'tree') return undefined;
      treeSha = found.sha;
      directory = current;
    }
    return undefined;
  };
  const walk = async (directory: string, treeSha: string): Promise<TreeEntry[]> => {
    const entries = await list(directory, treeSha);
    const nested = await Promise.all(
      entries
        .filter((candidate) => candidate.type === 'tree')
        .map((candidate) => walk(candidate.path, candidate.sha)),
    );
    return [...entries, ...nested.flat()];
  };
  return {
    entry,
    async entriesUnder(directory) {
      if (directory === '') return walk('', rootTree);
      const start = await entry(directory);
      if (start === undefined) return [];
      if (start.type !== 'tree') return [start];
      return walk(start.path, start.sha);
    },
  };
}

async function readTree(
  client: GitHubClient,
  owner: string,
  repo: string,
  treeSha: string,
  recursive: boolean,
): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  const response = await callGitHub(`read tree ${treeSha} of ${owner}/${repo}`, () =>
    client.rest.git.getTree({
      owner,
      repo,
      tree_sha: treeSha,
      ...(recursive ? { recursive: '1' } : {}),
    }),
  );
  const entries: TreeEntry[] = [];
  for (const item of response.data.tree) {
    if (item.path === undefined || item.sha === undefined) continue;
    entries.push({
      path: item.path,
      mode: item.mode ?? '',
      type: item.type ?? '',
      sha: item.sha,
      size: item.size,
    });
  }
  return { entries, truncated: response.data.truncated };
}

async function fetchBlob(
  client: GitHubClient,
  owner: string,
  repo: string,
  entry: TreeEntry,
): Promise<string> {
  const response = await callGitHub(`read ${entry.path} from ${owner}/${repo}`, () =>
    client.rest.git.getBlob({ owner, repo, file_sha: entry.sha }),
  );
  const { content, encoding } = response.data;
  const bytes =
    encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(entry.path, bytes.length, `${owner}/${repo}`);
  // A byte order mark stays in the text, so a rewritten file keeps its exact bytes.
  return decodeChartText(bytes, entry.path, `${owner}/${repo}`);
}

/** Git does not follow a linked directory; a checkout would, into wherever it points. */
async function refuseLinkedDirectory(
  index: RepositoryIndex,
  path: string,
  where: string,
): Promise<void> {
  const segments = path.split('/');
  for (let length = 1; length < segments.length; length += 1) {
    const prefix = segments.slice(0, length).join('/');
    const entry = await index.entry(prefix);
    if (entry === undefined || entry.type === 'tree') continue;
    if (entry.mode === SYMLINK_MODE)
      throw new ConfigurationError(
        `\`${prefix}\` is a symbolic link in ${where}; links are not followed, replace it with the directory`,
        { source: path },
      );
    return;
  }
}

function refuseIrregular(entry: TreeEntry, where: string): void {
  if (entry.mode === SYMLINK_MODE)
    throw new ConfigurationError(
      `is a symbolic link in ${where}; links are not followed, point the configuration at the real file`,
      { source: entry.path },
    );
  if (entry.type === 'tree')
    throw new ConfigurationError(`is a directory in ${where}, not a file`, { source: entry.path });
  if (entry.type === 'commit')
    throw new ConfigurationError(`is a git submodule in ${where}, not a file`, {
      source: entry.path,
    });
  if (entry.size !== undefined && entry.size > MAX_FILE_BYTES)
    throw tooLarge(entry.path, entry.size, where);
}

function tooLarge(path: string, size: number, where: string): ConfigurationError {
  return new ConfigurationError(
    `is ${size} bytes in ${where}, above the ${MAX_FILE_BYTES}-byte limit for values and override files`,
    { source: path },
  );
}

function isRegularFile(entry: TreeEntry): boolean {
  return entry.type === 'blob' && REGULAR_FILE_MODES.has(entry.mode);
}

function isUnder(path: string, directory: string): boolean {
  return directory === '' || path === directory || path.startsWith(`${directory}/`);
}
