import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/core/errors.js';
import type { ChartFiles } from '../../../src/core/files.js';
import { MAX_FILE_BYTES } from '../../../src/core/files.js';
import type { GitHubClient } from '../../../src/workspace/github/octokit.js';
import { createGitHubChartFiles } from '../../../src/workspace/github/repository-files.js';
import { startGitHubServer, type RunningGitHub } from '../../harness/github/index.js';
import { clientFor, recordingLogger, settingsFor } from './github-fixture.js';

const servers: RunningGitHub[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.violations).toEqual([]);
    await server.close();
  }
});

/** Exact bytes worth keeping: CRLF, a BOM, non-ASCII, no final newline. */
const TRICKY = '\uFEFFfrontend:\r\n  tag: "main-1"  # ünïcødé ✓\r\n  note: |\n    keep\tme';

const FILES: Record<string, string> = {
  'helm/values.yaml': 'frontend:\n  tag: main-1\n',
  'helm/.argocd-source-example.yaml': 'helm:\n  parameters: []\n',
  'helm-env/env/dev/values.yaml': TRICKY,
  'helm-env/env/prod/values.yaml': 'frontend:\n  tag: v1.0.0\n',
  'helm-env/env/prod/notes.txt': 'not yaml\n',
  'README.md': '# charts\n',
};

async function start(files: Record<string, string> = FILES): Promise<{
  server: RunningGitHub;
  client: GitHubClient;
  files: (sha?: string) => Promise<ChartFiles>;
  logger: ReturnType<typeof recordingLogger>;
}> {
  const server = await startGitHubServer({ files });
  servers.push(server);
  const logger = recordingLogger();
  const client = clientFor(settingsFor(server), logger);
  return {
    server,
    client,
    logger,
    files: async (sha) =>
      createGitHubChartFiles(
        client,
        server.owner,
        server.repo,
        sha ?? (await server.branchSha('main')) ?? '',
        logger,
      ),
  };
}

/** Commits entries with explicit modes and raw bytes through the API (what `commit()` cannot). */
async function commitEntries(
  server: RunningGitHub,
  client: GitHubClient,
  entries: { path: string; mode: '100644' | '120000'; bytes: Buffer }[],
): Promise<string> {
  const { owner, repo } = server;
  const head = (await server.branchSha('main')) ?? '';
  const base = await client.rest.git.getCommit({ owner, repo, commit_sha: head });
  const tree = [];
  for (const entry of entries) {
    const blob = await client.rest.git.createBlob({
      owner,
      repo,
      content: entry.bytes.toString('base64'),
      encoding: 'base64',
    });
    tree.push({ path: entry.path, mode: entry.mode, type: 'blob' as const, sha: blob.data.sha });
  }
  const created = await client.rest.git.createTree({
    owner,
    repo,
    base_tree: base.data.tree.sha,
    tree,
  });
  const commit = await client.rest.git.createCommit({
    owner,
    repo,
    message: 'special entries',
    tree: created.data.sha,
    parents: [head],
  });
  await client.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: commit.data.sha });
  return commit.data.sha;
}

function operations(server: RunningGitHub, operationId: string): string[] {
  return server.requests
    .filter((request) => request.operationId === operationId)
    .map((request) => request.path);
}

describe('createGitHubChartFiles', () => {
  it('reads the exact bytes of every file, and undefined for a missing one', async () => {
    const { files } = await start();
    const chart = await files();
    for (const [path, content] of Object.entries(FILES)) {
      expect(await chart.read(path)).toBe(content);
    }
    expect(await chart.read('helm-env/env/qa/values.yaml')).toBeUndefined();
    await expect(chart.read('helm')).rejects.toThrow(/^helm: is a directory/);
  });

  it('reads at the given commit, not at the branch head', async () => {
    const { server, files } = await start();
    const before = (await server.branchSha('main')) ?? '';
    await server.commit('main', { 'helm/values.yaml': 'frontend:\n  tag: main-2\n' });
    expect(await (await files(before)).read('helm/values.yaml')).toBe(FILES['helm/values.yaml']);
    expect(await (await files()).read('helm/values.yaml')).toBe('frontend:\n  tag: main-2\n');
  });

  it('reads the tree once and each blob once', async () => {
    const { server, files } = await start();
    const chart = await files();
    await chart.glob('helm-env/env/*/values.yaml');
    await chart.read('helm-env/env/dev/values.yaml');
    await chart.read('helm-env/env/dev/values.yaml');
    await chart.read('README.md');
    expect(operations(server, 'git/get-tree')).toHaveLength(1);
    expect(operations(server, 'git/get-blob')).toHaveLength(2);
  });

  it.each([
    {
      pattern: 'helm-env/env/*/values.yaml',
      matches: ['helm-env/env/dev/values.yaml', 'helm-env/env/prod/values.yaml'],
    },
    { pattern: 'helm/.argocd-source-*.yaml', matches: ['helm/.argocd-source-example.yaml'] },
    {
      pattern: '**/values.yaml',
      matches: [
        'helm-env/env/dev/values.yaml',
        'helm-env/env/prod/values.yaml',
        'helm/values.yaml',
      ],
    },
    { pattern: 'helm/values.yaml', matches: ['helm/values.yaml'] },
    { pattern: 'charts/*/values.yaml', matches: [] },
  ])('glob $pattern', async ({ pattern, matches }) => {
    const { files } = await start();
    expect(await (await files()).glob(pattern)).toEqual(matches);
  });

  it.each([
    { path: '../outside.yaml', problem: 'contains `..`' },
    { path: 'helm/../../etc/passwd', problem: 'contains `..`' },
    { path: '/etc/passwd', problem: 'is absolute' },
    { path: 'C:/charts/values.yaml', problem: 'is absolute' },
    { path: 'helm\\values.yaml', problem: 'write repository paths with `/`' },
    { path: 'helm/values\0.yaml', problem: 'NUL' },
    { path: '.', problem: 'is the repository root' },
  ])('refuses $path before any request', async ({ path, problem }) => {
    const { server, files } = await start();
    const chart = await files();
    const requestsBefore = server.requests.length;
    const error = await chart.read(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(problem);
    expect(server.requests.length).toBe(requestsBefore);
  });

  it.each(['./helm/values.yaml', 'helm//values.yaml', 'helm/./values.yaml'])(
    'reads %s like a checkout does',
    async (path) => {
      const { files } = await start();
      expect(await (await files()).read(path)).toBe(FILES['helm/values.yaml']);
    },
  );

  it('refuses a path through a linked directory', async () => {
    const { server, client, files } = await start();
    await commitEntries(server, client, [
      { path: 'linked', mode: '120000', bytes: Buffer.from('/etc') },
    ]);
    await expect((await files()).read('linked/passwd')).rejects.toThrow(
      /^linked\/passwd: `linked` is a symbolic link/,
    );
  });

  it('refuses a symbolic link, and leaves it out of globs with one warning naming it', async () => {
    const { server, client, files, logger } = await start();
    await commitEntries(server, client, [
      {
        path: 'helm-env/env/qa/values.yaml',
        mode: '120000',
        bytes: Buffer.from('../dev/values.yaml'),
      },
    ]);
    const chart = await files();
    const error = await chart
      .read('helm-env/env/qa/values.yaml')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^helm-env\/env\/qa\/values\.yaml: is a symbolic link/,
    );
    expect(await chart.glob('helm-env/env/*/values.yaml')).toEqual([
      'helm-env/env/dev/values.yaml',
      'helm-env/env/prod/values.yaml',
    ]);
    // Nothing is said by a search that does not update files; a values glob, listed twice
    // (config loading, then units), says it once.
    expect(logger.warnings()).toEqual([]);
    await chart.glob('helm-env/env/*/values.yaml', { reportLinks: true });
    await chart.glob('helm-env/env/*/values.yaml', { reportLinks: true });
    expect(logger.warnings()).toEqual([
      `\`helm-env/env/qa/values.yaml\` is a symbolic link in ${server.owner}/${server.repo}; it is not followed, so no file behind it is updated for \`helm-env/env/*/values.yaml\`. Replace the link with the file or directory, or list the real path.`,
    ]);
    expect(operations(server, 'git/get-blob')).toHaveLength(0);
  });

  it('warns about a linked environment directory under a glob, and not about unrelated links', async () => {
    const { server, client, files, logger } = await start();
    await commitEntries(server, client, [
      { path: 'helm-env/env/staging', mode: '120000', bytes: Buffer.from('prod') },
      { path: 'helm-env/env/outside', mode: '120000', bytes: Buffer.from('/etc') },
      { path: 'helm-env/env/dangling', mode: '120000', bytes: Buffer.from('missing') },
      { path: 'helm-env/env/prod/README', mode: '120000', bytes: Buffer.from('../../README.md') },
    ]);
    const chart = await files();
    expect(await chart.glob('helm-env/env/*/values.yaml', { reportLinks: true })).toEqual([
      'helm-env/env/dev/values.yaml',
      'helm-env/env/prod/values.yaml',
    ]);
    expect(logger.warnings().map((line) => line.split(' is a symbolic link')[0])).toEqual([
      '`helm-env/env/dangling`',
      '`helm-env/env/outside`',
      '`helm-env/env/staging`',
    ]);
  });

  it('refuses a file above the size limit without downloading it', async () => {
    const { server, files } = await start();
    await server.commit('main', { 'helm/huge.yaml': `a: "${'x'.repeat(MAX_FILE_BYTES)}"\n` });
    const error = await (await files()).read('helm/huge.yaml').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^helm\/huge\.yaml: is \d+ bytes .* above the 1048576-byte limit/,
    );
    expect(operations(server, 'git/get-blob')).toHaveLength(0);
  });

  it('refuses a file that is not UTF-8', async () => {
    const { server, client, files } = await start();
    await commitEntries(server, client, [
      {
        path: 'helm/latin1.yaml',
        mode: '100644',
        bytes: Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]),
      },
    ]);
    await expect((await files()).read('helm/latin1.yaml')).rejects.toThrow(
      `helm/latin1.yaml: the encoding is not UTF-8: the bytes at offset 3 (0xE9 0x0A) are not a UTF-8 sequence (Latin-1 or Windows-1252 text?) in ${server.owner}/${server.repo}; values, override and configuration files must be UTF-8 text, and the file was not changed.`,
    );
  });

  it.each([
    ['with a byte order mark', Buffer.from('\uFEFFa: 1\n', 'utf16le'), 'UTF-16 little-endian'],
    ['without a byte order mark', Buffer.from('a: 1\n', 'utf16le'), 'UTF-16 or UTF-32 without'],
  ])('refuses UTF-16 %s, saying encoding', async (_name, bytes, encoding) => {
    const { server, client, files } = await start();
    await commitEntries(server, client, [{ path: 'helm/utf16.yaml', mode: '100644', bytes }]);
    await expect((await files()).read('helm/utf16.yaml')).rejects.toThrow(
      `helm/utf16.yaml: the encoding is ${encoding}`,
    );
  });

  it('reads directory by directory when GitHub truncates the recursive tree', async () => {
    const { server, files } = await start();
    server.addFaults({
      method: 'GET',
      path: /\/git\/trees\/[0-9a-f]{40}\?recursive=1$/,
      status: 200,
      body: { sha: '0'.repeat(40), url: `${server.url}/x`, tree: [], truncated: true },
    });
    const chart = await files();
    expect(await chart.glob('helm-env/env/*/values.yaml')).toEqual([
      'helm-env/env/dev/values.yaml',
      'helm-env/env/prod/values.yaml',
    ]);
    expect(await chart.read('helm-env/env/dev/values.yaml')).toBe(TRICKY);
    expect(await chart.read('helm/values.yaml')).toBe(FILES['helm/values.yaml']);
    expect(await chart.read('helm/missing.yaml')).toBeUndefined();
    const trees = operations(server, 'git/get-tree');
    expect(trees.filter((path) => path.includes('recursive'))).toHaveLength(1);
    // Only the directories on the way: root, helm-env, env, dev, prod, helm.
    expect(trees.filter((path) => !path.includes('recursive'))).toHaveLength(6);
  });

  it('names the repository when the commit does not exist', async () => {
    const { files } = await start();
    await expect((await files('f'.repeat(40))).read('helm/values.yaml')).rejects.toThrow(
      /Could not read commit f{40} of acme\/charts: GitHub answered 404/,
    );
  });
});
