import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServerOptions, type RunningGitHub } from './github/index.js';
import { loadGitHubContract } from './github/openapi-contract.js';

const run = promisify(execFile);

const CHART_FILES = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n',
  'charts/app/values.yaml': 'image:\n  repository: ghcr.io/acme/app\n  tag: "1.0.0"\n',
  'env/prod/values.yaml': 'image:\n  tag: "1.0.0" # pinned\n',
  'README.md': '# charts\n',
};

const servers: RunningGitHub[] = [];

async function start(options: GitHubServerOptions = {}): Promise<RunningGitHub> {
  const server = await startGitHubServer({ files: CHART_FILES, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A client as the action builds one: no retry plugin, every request bounded by a timeout. */
function client(server: RunningGitHub, token = server.token): ReturnType<typeof getOctokit> {
  return getOctokit(token, {
    baseUrl: server.url,
    request: {
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
    },
  });
}

/** Runs a request and returns the HTTP error it failed with. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; message: string; body: unknown }> {
  try {
    await promise;
  } catch (error) {
    const failed = error as { status?: number; message?: string; response?: { data?: unknown } };
    return {
      status: failed.status ?? 0,
      message: failed.message ?? '',
      body: failed.response?.data,
    };
  }
  throw new Error('expected the request to fail');
}

async function commitOnBranch(
  server: RunningGitHub,
  branch: string,
  files: Record<string, string | null>,
  from = 'main',
): Promise<string> {
  const octokit = client(server);
  const owner = server.owner;
  const repo = server.repo;
  const base = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${from}` });
  const parent = await octokit.rest.git.getCommit({
    owner,
    repo,
    commit_sha: base.data.object.sha,
  });
  const tree = await octokit.rest.git.createTree({
    owner,
    repo,
    base_tree: parent.data.tree.sha,
    tree: Object.entries(files).map(([path, content]) =>
      content === null
        ? { path, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: `Update ${Object.keys(files).join(', ')}`,
    tree: tree.data.sha,
    parents: [parent.data.sha],
  });
  const existing = await server.branchSha(branch);
  if (existing) {
    await octokit.rest.git.updateRef({
      owner,
      repo,
      ref: `heads/${branch}`,
      sha: commit.data.sha,
      force: true,
    });
  } else {
    await octokit.rest.git.createRef({
      owner,
      repo,
      ref: `refs/heads/${branch}`,
      sha: commit.data.sha,
    });
  }
  return commit.data.sha;
}

describe('GitHub API emulator: a full publishing flow', () => {
  it('commits through blobs, trees, commits and refs, opens, labels and squash-merges a pull request', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;

    const repository = await octokit.rest.repos.get({ owner, repo });
    expect(repository.data.default_branch).toBe('main');
    expect(repository.data.allow_auto_merge).toBe(false);
    expect(repository.data.permissions?.push).toBe(true);

    const content = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: 'env/prod/values.yaml',
    });
    expect(Array.isArray(content.data)).toBe(false);
    const file = content.data as { content: string; sha: string; encoding: string };
    expect(file.encoding).toBe('base64');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe(
      CHART_FILES['env/prod/values.yaml'],
    );

    const main = await octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' });
    const baseCommit = await octokit.rest.git.getCommit({
      owner,
      repo,
      commit_sha: main.data.object.sha,
    });
    const tree = await octokit.rest.git.getTree({
      owner,
      repo,
      tree_sha: baseCommit.data.tree.sha,
      recursive: '1',
    });
    expect(tree.data.tree.find((entry) => entry.path === 'env/prod/values.yaml')?.sha).toBe(
      file.sha,
    );

    const newValues = 'image:\n  tag: "1.2.0" # pinned\n';
    const blob = await octokit.rest.git.createBlob({
      owner,
      repo,
      content: Buffer.from(newValues).toString('base64'),
      encoding: 'base64',
    });
    const newTree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: baseCommit.data.tree.sha,
      tree: [{ path: 'env/prod/values.yaml', mode: '100644', type: 'blob', sha: blob.data.sha }],
    });
    const commit = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'Update app to 1.2.0',
      tree: newTree.data.sha,
      parents: [baseCommit.data.sha],
    });
    await octokit.rest.git.createRef({
      owner,
      repo,
      ref: 'refs/heads/helm-image-updater/prod',
      sha: commit.data.sha,
    });

    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Update app to 1.2.0',
      head: 'helm-image-updater/prod',
      base: 'main',
      body: 'app: 1.0.0 → 1.2.0',
    });
    expect(created.status).toBe(201);
    expect(created.data.head.sha).toBe(commit.data.sha);
    expect(created.data.mergeable).toBeNull();

    await octokit.rest.issues.addLabels({
      owner,
      repo,
      issue_number: created.data.number,
      labels: ['dependencies', 'prod'],
    });
    await octokit.rest.pulls.requestReviewers({
      owner,
      repo,
      pull_number: created.data.number,
      reviewers: ['sre-lead'],
    });

    const listed = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:helm-image-updater/prod`,
      state: 'open',
    });
    expect(listed.data.map((pull) => pull.number)).toEqual([created.data.number]);

    const first = await octokit.rest.pulls.get({ owner, repo, pull_number: created.data.number });
    expect(first.data.mergeable).toBeNull();
    const second = await octokit.rest.pulls.get({ owner, repo, pull_number: created.data.number });
    expect(second.data.mergeable).toBe(true);
    expect(second.data.mergeable_state).toBe('clean');
    expect(second.data.labels.map((label) => label.name)).toEqual(['dependencies', 'prod']);

    const merged = await octokit.rest.pulls.merge({
      owner,
      repo,
      pull_number: created.data.number,
      merge_method: 'squash',
      sha: commit.data.sha,
    });
    expect(merged.data.merged).toBe(true);

    const mainAfter = await server.branchSha('main');
    expect(mainAfter).toBe(merged.data.sha);
    expect(await server.readFile('main', 'env/prod/values.yaml')).toBe(newValues);
    const { stdout: parents } = await run('git', [
      '--git-dir',
      server.gitDir,
      'rev-list',
      '--parents',
      '-n',
      '1',
      merged.data.sha,
    ]);
    expect(parents.trim().split(' ')).toEqual([merged.data.sha, baseCommit.data.sha]);
    const { stdout: bytes } = await run('git', [
      '--git-dir',
      server.gitDir,
      'show',
      `${merged.data.sha}:env/prod/values.yaml`,
    ]);
    expect(bytes).toBe(newValues);

    const pull = server.listPulls()[0];
    expect(pull).toMatchObject({
      state: 'closed',
      merged: true,
      labels: ['dependencies', 'prod'],
      requestedReviewers: ['sre-lead'],
    });
    expect(server.violations).toEqual([]);
  });
});

describe('GitHub API emulator: authentication and permissions', () => {
  const tokens = {
    ghs_reader: { contents: 'read', pullRequests: 'read' },
    github_pat_reader: { contents: 'read', pullRequests: 'none' },
    ghs_blind: { contents: 'none', pullRequests: 'none' },
    ghs_writer: { contents: 'write', pullRequests: 'write' },
  } as const;

  it.each([
    { token: 'ghs_unknown', status: 401, message: 'Bad credentials' },
    { token: 'ghs_reader', status: 403, message: 'Resource not accessible by integration' },
    {
      token: 'github_pat_reader',
      status: 403,
      message: 'Resource not accessible by personal access token',
    },
    { token: 'ghs_blind', status: 404, message: 'Not Found' },
  ])('answers $status for $token creating a blob', async ({ token, status, message }) => {
    const server = await start({ tokens: { ...tokens } });
    const octokit = client(server, token);
    const failed = await failure(
      octokit.rest.git.createBlob({ owner: server.owner, repo: server.repo, content: 'x' }),
    );
    expect(failed.status).toBe(status);
    expect(failed.body).toMatchObject({ message, status: String(status) });
    expect(server.violations).toEqual([]);
  });

  it('lets a read token read and picks a token with write access as the default', async () => {
    const server = await start({ tokens: { ...tokens } });
    expect(server.token).toBe('ghs_writer');
    const octokit = client(server, 'ghs_reader');
    const repository = await octokit.rest.repos.get({ owner: server.owner, repo: server.repo });
    expect(repository.data.permissions?.push).toBe(false);
    const other = await failure(octokit.rest.repos.get({ owner: 'someone', repo: 'else' }));
    expect(other.status).toBe(404);
  });

  it('refuses pull requests from GITHUB_TOKEN when Actions may not create them', async () => {
    const server = await start({ actionsCanCreatePullRequests: false });
    await server.commit('feature', { 'README.md': '# changed\n' });
    const failed = await failure(
      client(server).rest.pulls.create({
        owner: server.owner,
        repo: server.repo,
        title: 't',
        head: 'feature',
        base: 'main',
      }),
    );
    expect(failed.status).toBe(403);
    expect(failed.message).toContain(
      'GitHub Actions is not permitted to create or approve pull requests.',
    );
    expect(server.violations).toEqual([]);
  });
});

describe('GitHub API emulator: git data failures', () => {
  it('answers 422 for an existing ref, a non-fast-forward update and a missing ref', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const main = (await server.branchSha('main')) ?? '';
    const exists = await failure(
      octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/main', sha: main }),
    );
    expect([exists.status, exists.message]).toEqual([
      422,
      expect.stringContaining('Reference already exists'),
    ]);

    const ahead = await commitOnBranch(server, 'feature', { 'a.txt': 'a\n' });
    const behind = await commitOnBranch(server, 'other', { 'b.txt': 'b\n' });
    const notFastForward = await failure(
      octokit.rest.git.updateRef({ owner, repo, ref: 'heads/feature', sha: behind, force: false }),
    );
    expect([notFastForward.status, notFastForward.message]).toEqual([
      422,
      expect.stringContaining('Update is not a fast forward'),
    ]);
    expect(await server.branchSha('feature')).toBe(ahead);
    await octokit.rest.git.updateRef({
      owner,
      repo,
      ref: 'heads/feature',
      sha: behind,
      force: true,
    });
    expect(await server.branchSha('feature')).toBe(behind);

    const missing = await failure(octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/nope' }));
    expect([missing.status, missing.message]).toEqual([
      422,
      expect.stringContaining('Reference does not exist'),
    ]);
    await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/other' });
    expect(await server.branchSha('other')).toBeUndefined();
    expect(server.violations).toEqual([]);
  });

  it('loses a compare-and-swap race when another writer moves the branch first', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const start_ = await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    const next = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'next',
      tree: (await octokit.rest.git.getCommit({ owner, repo, commit_sha: start_ })).data.tree.sha,
      parents: [start_],
    });
    let raced = '';
    server.addFaults({
      method: 'PATCH',
      path: /\/git\/refs\/heads%2Fbump$/,
      before: async () => {
        raced = await server.commit('bump', { 'a.txt': 'someone else\n' });
      },
    });
    const lost = await failure(
      octokit.rest.git.updateRef({
        owner,
        repo,
        ref: 'heads/bump',
        sha: next.data.sha,
        force: false,
      }),
    );
    expect([lost.status, lost.message]).toEqual([
      422,
      expect.stringContaining('Update is not a fast forward'),
    ]);
    expect(await server.branchSha('bump')).toBe(raced);
    expect(await server.readFile('bump', 'a.txt')).toBe('someone else\n');
  });

  it('answers an empty repository the way GitHub does', async () => {
    const server = await startGitHubServer();
    servers.push(server);
    const octokit = client(server);
    const { owner, repo } = server;
    const content = await failure(
      octokit.rest.repos.getContent({ owner, repo, path: 'README.md' }),
    );
    expect([content.status, content.message]).toEqual([
      404,
      expect.stringContaining('This repository is empty.'),
    ]);
    const ref = await failure(octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' }));
    expect([ref.status, ref.message]).toEqual([
      409,
      expect.stringContaining('Git Repository is empty.'),
    ]);
    const blob = await failure(octokit.rest.git.createBlob({ owner, repo, content: 'x' }));
    expect(blob.status).toBe(409);
    expect(server.violations).toEqual([]);
  });

  it('lists directories, serves raw files and answers 404 for a missing path', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const root = await octokit.rest.repos.getContent({ owner, repo, path: '' });
    expect(
      (root.data as { name: string; type: string }[]).map((entry) => `${entry.type}:${entry.name}`),
    ).toEqual(['file:README.md', 'dir:charts', 'dir:env']);
    const raw = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: 'charts/app/values.yaml',
      mediaType: { format: 'raw' },
    });
    expect(raw.data as unknown).toBe(CHART_FILES['charts/app/values.yaml']);
    const missing = await failure(
      octokit.rest.repos.getContent({ owner, repo, path: 'charts/nope.yaml' }),
    );
    expect(missing.status).toBe(404);
    const blobSha =
      (root.data as { name: string; sha: string }[]).find((entry) => entry.name === 'README.md')
        ?.sha ?? '';
    const blob = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha });
    expect(Buffer.from(blob.data.content, 'base64').toString('utf8')).toBe(
      CHART_FILES['README.md'],
    );
    expect(
      (await failure(octokit.rest.git.getBlob({ owner, repo, file_sha: 'f'.repeat(40) }))).status,
    ).toBe(404);
    const branch = await octokit.rest.repos.getBranch({ owner, repo, branch: 'main' });
    expect(branch.data.commit.sha).toBe(await server.branchSha('main'));
    expect(server.violations).toEqual([]);
  });

  it('answers symbolic links with their target and reads glob characters literally', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const main = (await server.branchSha('main')) ?? '';
    const base = await octokit.rest.git.getCommit({ owner, repo, commit_sha: main });
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base.data.tree.sha,
      tree: [
        { path: 'link', mode: '120000', type: 'blob', content: 'README.md' },
        { path: 'weird/[a].yaml', mode: '100644', type: 'blob', content: 'bracket\n' },
        { path: 'weird/a.yaml', mode: '100644', type: 'blob', content: 'plain\n' },
      ],
    });
    const commit = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'links',
      tree: tree.data.sha,
      parents: [main],
    });
    await octokit.rest.git.createRef({
      owner,
      repo,
      ref: 'refs/heads/links',
      sha: commit.data.sha,
    });
    const link = await octokit.rest.repos.getContent({ owner, repo, path: 'link', ref: 'links' });
    expect(link.data).toMatchObject({ type: 'symlink', target: 'README.md' });
    const bracket = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: 'weird/[a].yaml',
      ref: 'links',
    });
    expect(
      Buffer.from((bracket.data as { content: string }).content, 'base64').toString('utf8'),
    ).toBe('bracket\n');
    expect(await server.readFile('links', 'weird/[a].yaml')).toBe('bracket\n');
    expect(server.violations).toEqual([]);
  });

  it('truncates recursive trees beyond the limit and leaves content out of files over 1 MB', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const server = await start({
      recursiveTreeLimit: 3,
      files: { ...CHART_FILES, 'big.bin': big },
    });
    const octokit = client(server);
    const { owner, repo } = server;
    const tip = (await server.branchSha('main')) ?? '';
    const full = await octokit.rest.git.getTree({ owner, repo, tree_sha: tip, recursive: 'true' });
    expect([full.data.truncated, full.data.tree.length]).toEqual([true, 3]);
    const top = await octokit.rest.git.getTree({ owner, repo, tree_sha: tip });
    expect(top.data.truncated).toBe(false);
    const file = await octokit.rest.repos.getContent({ owner, repo, path: 'big.bin' });
    expect(file.data).toMatchObject({ encoding: 'none', content: '', size: big.length });
    const blob = await octokit.rest.git.getBlob({
      owner,
      repo,
      file_sha: (file.data as { sha: string }).sha,
    });
    expect(Buffer.from(blob.data.content, 'base64').length).toBe(big.length);
    expect(server.violations).toEqual([]);
  });

  it('keeps the exact bytes of committed files (CRLF, no final newline, UTF-8)', async () => {
    const server = await start();
    const tricky = 'a: "ü"\r\nb: 1';
    await commitOnBranch(server, 'bytes', { 'tricky.yaml': tricky, 'README.md': null });
    expect(await server.readFile('bytes', 'tricky.yaml')).toBe(tricky);
    expect(await server.readFile('bytes', 'README.md')).toBeUndefined();
    const { stdout } = await run(
      'git',
      ['--git-dir', server.gitDir, 'cat-file', 'blob', `bytes:tricky.yaml`],
      {
        encoding: 'buffer',
      },
    );
    expect(Buffer.compare(stdout, Buffer.from(tricky, 'utf8'))).toBe(0);
  });
});

describe('GitHub API emulator: pull requests', () => {
  it('refuses a duplicate pull request and one without commits', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    await octokit.rest.pulls.create({ owner, repo, title: 'Bump', head: 'bump', base: 'main' });
    const duplicate = await failure(
      octokit.rest.pulls.create({
        owner,
        repo,
        title: 'Bump',
        head: `${owner}:bump`,
        base: 'main',
      }),
    );
    expect(duplicate.status).toBe(422);
    expect(duplicate.body).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'A pull request already exists for acme:bump.',
        },
      ],
    });
    await octokit.rest.git.createRef({
      owner,
      repo,
      ref: 'refs/heads/same',
      sha: (await server.branchSha('main')) ?? '',
    });
    const empty = await failure(
      octokit.rest.pulls.create({ owner, repo, title: 'Same', head: 'same', base: 'main' }),
    );
    expect(empty.status).toBe(422);
    expect(empty.body).toMatchObject({ errors: [{ message: 'No commits between main and same' }] });
    expect(server.violations).toEqual([]);
  });

  it('filters by owner:branch and silently ignores a head filter without the owner', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    await commitOnBranch(server, 'one', { 'a.txt': '1\n' });
    await commitOnBranch(server, 'two', { 'b.txt': '2\n' });
    const first = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'One',
      head: 'one',
      base: 'main',
    });
    const second = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Two',
      head: 'two',
      base: 'main',
    });
    await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: second.data.number,
      state: 'closed',
    });

    const cases = [
      { query: { head: `${owner}:one` }, expected: [first.data.number] },
      { query: { head: 'one' }, expected: [first.data.number] },
      {
        query: { head: 'two', state: 'all' as const },
        expected: [second.data.number, first.data.number],
      },
      { query: { head: `${owner}:two`, state: 'closed' as const }, expected: [second.data.number] },
      { query: { head: 'other-owner:one' }, expected: [] },
      { query: { base: 'release' }, expected: [] },
    ];
    for (const { query, expected } of cases) {
      const listed = await octokit.rest.pulls.list({ owner, repo, ...query });
      expect(
        listed.data.map((pull) => pull.number),
        JSON.stringify(query),
      ).toEqual(expected);
    }
    expect(server.violations).toEqual([]);
  });

  it('keeps head.sha in sync, updates title and body, and comments', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    const moved = await server.commit('bump', { 'a.txt': '2\n' });
    const fetched = await octokit.rest.pulls.get({ owner, repo, pull_number: created.data.number });
    expect(fetched.data.head.sha).toBe(moved);
    expect(fetched.data.mergeable).toBeNull();
    await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: created.data.number,
      title: 'Bump 2',
      body: 'new body',
    });
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: created.data.number,
      body: 'superseded',
    });
    expect(server.listPulls()[0]).toMatchObject({
      title: 'Bump 2',
      body: 'new body',
      headSha: moved,
      comments: [{ body: 'superseded', user: 'github-actions[bot]' }],
    });
    expect(server.violations).toEqual([]);
  });

  it('answers 409 for a stale sha and 405 when the pull request cannot merge', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const first = await commitOnBranch(server, 'bump', { 'README.md': '# bump\n' });
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    const number = created.data.number;
    await server.commit('bump', { 'extra.txt': 'x\n' });
    const stale = await failure(
      octokit.rest.pulls.merge({ owner, repo, pull_number: number, sha: first }),
    );
    expect([stale.status, stale.message]).toEqual([
      409,
      expect.stringContaining('Head branch was modified. Review and try the merge again.'),
    ]);

    server.setMergeable(number, false);
    const forced = await failure(octokit.rest.pulls.merge({ owner, repo, pull_number: number }));
    expect([forced.status, forced.message]).toEqual([
      405,
      expect.stringContaining('Pull Request is not mergeable'),
    ]);
    server.setMergeable(number, undefined);

    await server.commit('main', { 'README.md': '# conflicting\n' });
    await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    const computed = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    expect([computed.data.mergeable, computed.data.mergeable_state]).toEqual([false, 'dirty']);
    const conflict = await failure(octokit.rest.pulls.merge({ owner, repo, pull_number: number }));
    expect(conflict.status).toBe(405);
    expect(server.violations).toEqual([]);
  });

  it.each([
    { method: 'merge' as const, parents: 2, commits: 1 },
    { method: 'squash' as const, parents: 1, commits: 1 },
    { method: 'rebase' as const, parents: 1, commits: 2 },
  ])(
    '$method-merges into a base that moved on, with the right commit shape',
    async ({ method, parents, commits }) => {
      const server = await start();
      const octokit = client(server);
      const { owner, repo } = server;
      await commitOnBranch(server, 'bump', {
        'env/prod/values.yaml': 'image:\n  tag: "2.0.0" # pinned\n',
      });
      await server.commit('bump', { 'charts/app/values.yaml': 'image:\n  tag: "2.0.0"\n' });
      const created = await octokit.rest.pulls.create({
        owner,
        repo,
        title: 'Bump',
        head: 'bump',
        base: 'main',
      });
      const baseBefore = await server.commit('main', { 'README.md': '# moved on\n' });

      const merged = await octokit.rest.pulls.merge({
        owner,
        repo,
        pull_number: created.data.number,
        merge_method: method,
      });
      const tip = await server.branchSha('main');
      expect(tip).toBe(merged.data.sha);
      const { stdout: parentLine } = await run('git', [
        '--git-dir',
        server.gitDir,
        'rev-list',
        '--parents',
        '-n',
        '1',
        tip ?? '',
      ]);
      expect(parentLine.trim().split(' ')).toHaveLength(parents + 1);
      const { stdout: added } = await run('git', [
        '--git-dir',
        server.gitDir,
        'rev-list',
        `${baseBefore}..${tip ?? ''}`,
        '--no-merges',
      ]);
      expect(added.trim().split('\n')).toHaveLength(method === 'merge' ? 2 : commits);
      expect(await server.readFile('main', 'env/prod/values.yaml')).toBe(
        'image:\n  tag: "2.0.0" # pinned\n',
      );
      expect(await server.readFile('main', 'charts/app/values.yaml')).toBe(
        'image:\n  tag: "2.0.0"\n',
      );
      expect(await server.readFile('main', 'README.md')).toBe('# moved on\n');
      expect(server.violations).toEqual([]);
    },
  );
});

describe('GitHub API emulator: GraphQL', () => {
  it('creates a commit on a branch and answers STALE_DATA for a wrong expectedHeadOid', async () => {
    const server = await start();
    const octokit = client(server);
    const head = (await server.branchSha('main')) ?? '';
    const mutation = `mutation($input: CreateCommitOnBranchInput!) {
      createCommitOnBranch(input: $input) { commit { oid url } }
    }`;
    const input = (expectedHeadOid: string): Record<string, unknown> => ({
      branch: { repositoryNameWithOwner: 'acme/charts', branchName: 'main' },
      expectedHeadOid,
      message: { headline: 'Update app to 1.3.0', body: 'env prod' },
      fileChanges: {
        additions: [
          {
            path: 'env/prod/values.yaml',
            contents: Buffer.from('image:\n  tag: "1.3.0"\n').toString('base64'),
          },
        ],
        deletions: [{ path: 'README.md' }],
      },
    });
    const result = await octokit.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(
      mutation,
      {
        input: input(head),
      },
    );
    const oid = result.createCommitOnBranch.commit.oid;
    expect(await server.branchSha('main')).toBe(oid);
    expect(await server.readFile('main', 'env/prod/values.yaml')).toBe('image:\n  tag: "1.3.0"\n');
    expect(await server.readFile('main', 'README.md')).toBeUndefined();

    let errors: unknown;
    try {
      await octokit.graphql(mutation, { input: input(head) });
    } catch (error) {
      errors = (error as { errors?: unknown }).errors;
    }
    expect(errors).toEqual([
      expect.objectContaining({
        type: 'STALE_DATA',
        path: ['createCommitOnBranch'],
        message: `Expected branch to point to "${head}" but it did not. Pull and try again.`,
      }),
    ]);
    expect(await server.branchSha('main')).toBe(oid);
    expect(server.requests.at(-1)?.operationId).toBe('graphql/createCommitOnBranch');
  });

  it('enables auto-merge only where GitHub allows it', async () => {
    const mutation = `mutation($id: ID!) {
      enablePullRequestAutoMerge(input: { pullRequestId: $id, mergeMethod: SQUASH }) {
        pullRequest { number autoMergeRequest { mergeMethod } }
      }
    }`;
    const errorOf = async (promise: Promise<unknown>): Promise<unknown> => {
      try {
        await promise;
      } catch (error) {
        return (error as { errors?: unknown[] }).errors?.[0];
      }
      throw new Error('expected a GraphQL error');
    };
    const open = async (server: RunningGitHub): Promise<{ number: number; node_id: string }> => {
      await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
      const created = await client(server).rest.pulls.create({
        owner: 'acme',
        repo: 'charts',
        title: 'Bump',
        head: 'bump',
        base: 'main',
      });
      return created.data;
    };

    const disallowed = await start();
    const pull1 = await open(disallowed);
    expect(
      await errorOf(client(disallowed).graphql(mutation, { id: pull1.node_id })),
    ).toMatchObject({
      type: 'UNPROCESSABLE',
      message: 'Auto merge is not allowed for this repository',
    });

    const allowed = await start({ allowAutoMerge: true });
    const octokit = client(allowed);
    const pull2 = await open(allowed);
    await octokit.rest.pulls.get({ owner: 'acme', repo: 'charts', pull_number: pull2.number });
    expect(await errorOf(octokit.graphql(mutation, { id: pull2.node_id }))).toMatchObject({
      message: 'Pull request Pull request is in clean status',
    });

    allowed.setMergeable(pull2.number, null);
    const enabled = await octokit.graphql<{
      enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: string } } };
    }>(mutation, { id: pull2.node_id });
    expect(enabled.enablePullRequestAutoMerge.pullRequest.autoMergeRequest.mergeMethod).toBe(
      'SQUASH',
    );
    const fetched = await octokit.rest.pulls.get({
      owner: 'acme',
      repo: 'charts',
      pull_number: pull2.number,
    });
    expect(fetched.data.auto_merge?.merge_method).toBe('squash');
    expect(await allowed.completeAutoMerges()).toEqual([pull2.number]);
    expect(allowed.listPulls()[0]).toMatchObject({ merged: true });
    expect(await allowed.readFile('main', 'a.txt')).toBe('1\n');
    expect([...disallowed.violations, ...allowed.violations]).toEqual([]);
  });

  it('answers queries, and FORBIDDEN for a mutation the token may not make', async () => {
    const server = await start({
      tokens: {
        ghs_writer: { contents: 'write', pullRequests: 'write' },
        ghs_reader: { contents: 'read', pullRequests: 'read' },
      },
    });
    await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    const created = await client(server).rest.pulls.create({
      owner: 'acme',
      repo: 'charts',
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    const reader = client(server, 'ghs_reader');
    const answer = await reader.graphql<{
      viewer: { login: string };
      repository: {
        autoMergeAllowed: boolean;
        pullRequest: { id: string; state: string; headRefOid: string };
        defaultBranchRef: { target: { oid: string } };
      };
    }>(`query {
      viewer { login }
      repository(owner: "acme", name: "charts") {
        autoMergeAllowed
        pullRequest(number: ${created.data.number}) { id state headRefOid }
        defaultBranchRef { target { oid } }
      }
    }`);
    expect(answer.viewer.login).toBe('github-actions[bot]');
    expect(answer.repository).toEqual({
      autoMergeAllowed: false,
      pullRequest: { id: created.data.node_id, state: 'OPEN', headRefOid: created.data.head.sha },
      defaultBranchRef: { target: { oid: await server.branchSha('main') } },
    });
    let forbidden: unknown;
    try {
      await reader.graphql(
        `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }`,
        {
          input: {
            branch: { repositoryNameWithOwner: 'acme/charts', branchName: 'main' },
            expectedHeadOid: await server.branchSha('main'),
            message: { headline: 'x' },
            fileChanges: { additions: [{ path: 'x', contents: 'eA==' }] },
          },
        },
      );
    } catch (error) {
      forbidden = (error as { errors?: unknown[] }).errors?.[0];
    }
    expect(forbidden).toMatchObject({
      type: 'FORBIDDEN',
      message: 'Resource not accessible by integration',
    });
    expect(await server.readFile('main', 'x')).toBeUndefined();
  });

  it('answers invalid documents with errors and HTTP 200', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ repository(owner: "acme", name: "charts") { noSuchField } }',
      }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0]?.message).toContain('noSuchField');
    expect(server.violations.join('\n')).toContain('noSuchField');
  });
});

describe('GitHub API emulator: faults and the OpenAPI check', () => {
  it('injects a secondary rate limit that plugin-throttling recognises and retries', async () => {
    const server = await start();
    server.addFaults({
      method: 'POST',
      path: /\/pulls$/,
      status: 403,
      headers: { 'retry-after': '0' },
    });
    await server.commit('bump', { 'a.txt': '1\n' });
    const limited: string[] = [];
    const octokit = getOctokit(
      server.token,
      {
        baseUrl: server.url,
        throttle: {
          onRateLimit: () => true,
          onSecondaryRateLimit: (_after: number, options: { method: string; url: string }) => {
            limited.push(`${options.method} ${options.url}`);
            return true;
          },
          write: new Bottleneck.Group({ minTime: 0 }),
          notifications: new Bottleneck.Group({ minTime: 0 }),
          search: new Bottleneck.Group({ minTime: 0 }),
          retryAfterBaseValue: 1,
        },
        retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451] },
        request: {
          fetch: (input: string | URL | Request, init?: RequestInit) =>
            fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
        },
      },
      retry,
      throttling,
    );
    const created = await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'charts',
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    expect(created.status).toBe(201);
    expect(limited).toEqual(['POST /repos/{owner}/{repo}/pulls']);
    expect(
      server.requests
        .filter((request) => request.operationId === 'pulls/create')
        .map((r) => r.status),
    ).toEqual([403, 201]);
    expect(server.violations).toEqual([]);
  });

  it('injects server errors a given number of times, then answers normally', async () => {
    const server = await start();
    server.addFaults({ path: /\/git\/ref\//, status: 502, times: 2 });
    const octokit = client(server);
    for (const expected of [502, 502]) {
      expect(
        (
          await failure(
            octokit.rest.git.getRef({ owner: 'acme', repo: 'charts', ref: 'heads/main' }),
          )
        ).status,
      ).toBe(expected);
    }
    const ref = await octokit.rest.git.getRef({ owner: 'acme', repo: 'charts', ref: 'heads/main' });
    expect(ref.data.object.sha).toBe(await server.branchSha('main'));
  });

  it.each([
    {
      name: 'a body missing a required field',
      method: 'POST',
      path: '/repos/acme/charts/git/blobs',
      body: { encoding: 'utf-8' },
      violation: "must have required property 'content'",
    },
    {
      name: 'a wrong type in the body',
      method: 'PATCH',
      path: '/repos/acme/charts/git/refs/heads%2Fmain',
      body: { sha: 42 },
      violation: '/sha must be string',
    },
    {
      name: 'an undocumented path',
      method: 'GET',
      path: '/repos/acme/charts/not-an-endpoint',
      violation: "no operation in GitHub's OpenAPI description matches",
    },
    {
      name: 'an undocumented query parameter',
      method: 'GET',
      path: '/repos/acme/charts/pulls?owner_branch=x',
      violation: 'query parameter "owner_branch" is not documented',
    },
    {
      name: 'a bare label array (not in the schema)',
      method: 'POST',
      path: '/repos/acme/charts/issues/1/labels',
      body: ['x'],
      violation: 'request body',
    },
  ])('records a violation for $name', async ({ method, path, body, violation }) => {
    const server = await start();
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `token ${server.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    expect(server.violations.join('\n')).toContain(violation);
  });
});

describe('GitHub API emulator: contents writes and dispatches', () => {
  it('creates and updates a file through the contents API with the blob sha as a guard', async () => {
    const server = await start();
    const octokit = client(server);
    const { owner, repo } = server;
    const content = (text: string): string => Buffer.from(text).toString('base64');
    const created = await octokit.rest.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'env/dev/values.yaml',
      message: 'Add dev',
      content: content('tag: "1"\n'),
    });
    expect(created.status).toBe(201);
    expect(await server.readFile('main', 'env/dev/values.yaml')).toBe('tag: "1"\n');
    const blobSha = created.data.content?.sha ?? '';
    const stale = await failure(
      octokit.rest.repos.createOrUpdateFileContents({
        owner,
        repo,
        path: 'env/dev/values.yaml',
        message: 'x',
        content: content('x'),
        sha: 'f'.repeat(40),
      }),
    );
    expect(stale.status).toBe(409);
    const updated = await octokit.rest.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'env/dev/values.yaml',
      message: 'Bump dev',
      content: content('tag: "2"\n'),
      sha: blobSha,
    });
    expect(updated.status).toBe(200);
    expect(updated.data.commit.parents?.[0]?.sha).toBe(created.data.commit.sha);
    expect(await server.readFile('main', 'env/dev/values.yaml')).toBe('tag: "2"\n');
    expect(server.violations).toEqual([]);
  });

  it('accepts a repository dispatch and refuses a payload with more than 10 keys', async () => {
    const server = await start();
    const octokit = client(server);
    const accepted = await octokit.rest.repos.createDispatchEvent({
      owner: 'acme',
      repo: 'charts',
      event_type: 'image-pushed',
      client_payload: { image: 'ghcr.io/acme/app', tag: '1.2.0' },
    });
    expect(accepted.status).toBe(204);
    const tooMany = Object.fromEntries(
      Array.from({ length: 11 }, (_, index) => [`k${index}`, index]),
    );
    const refused = await failure(
      octokit.rest.repos.createDispatchEvent({
        owner: 'acme',
        repo: 'charts',
        event_type: 'x',
        client_payload: tooMany,
      }),
    );
    expect([refused.status, refused.message]).toEqual([
      422,
      expect.stringContaining('No more than 10 properties'),
    ]);
    // The description says so too (maxProperties: 10), so the request is also a violation.
    expect(server.violations.join('\n')).toContain(
      'client_payload must NOT have more than 10 properties',
    );
  });
});

describe('GitHub API emulator: pagination', () => {
  it('pages pulls/list with a Link header that octokit.paginate follows', async () => {
    const server = await start();
    const octokit = client(server);
    for (const branch of ['one', 'two', 'three']) {
      await server.commit(branch, { [`${branch}.txt`]: `${branch}\n` });
      await octokit.rest.pulls.create({
        owner: 'acme',
        repo: 'charts',
        title: branch,
        head: branch,
        base: 'main',
      });
    }
    const firstPage = await octokit.rest.pulls.list({ owner: 'acme', repo: 'charts', per_page: 2 });
    expect(firstPage.data.map((pull) => pull.title)).toEqual(['three', 'two']);
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.pulls.list, {
      owner: 'acme',
      repo: 'charts',
      per_page: 2,
    });
    expect(all.map((pull) => pull.title)).toEqual(['three', 'two', 'one']);
    const oldestFirst = await octokit.rest.pulls.list({
      owner: 'acme',
      repo: 'charts',
      sort: 'updated',
    });
    expect(oldestFirst.data.map((pull) => pull.number)).toEqual([1, 2, 3]);
    expect(server.violations).toEqual([]);
  });
});

describe('GitHub API emulator: concurrency', () => {
  it('lets only one of two simultaneous creates of the same pull request succeed', async () => {
    const server = await start();
    await server.commit('bump', { 'a.txt': '1\n' });
    const octokit = client(server);
    const create = (): Promise<number> =>
      octokit.rest.pulls
        .create({ owner: 'acme', repo: 'charts', title: 'Bump', head: 'bump', base: 'main' })
        .then(
          (response) => response.status,
          (error: { status: number }) => error.status,
        );
    const statuses = await Promise.all([create(), create()]);
    expect(statuses.sort()).toEqual([201, 422]);
    expect(server.listPulls()).toHaveLength(1);
  });
});

describe('GitHub API emulator: test-side writers', () => {
  it('queues concurrent commit() calls with API requests, so none of them loses a race', async () => {
    const server = await start();
    const before = (await server.branchSha('main')) ?? '';
    const octokit = client(server);
    const writes = Array.from({ length: 8 }, (_, index) =>
      server.commit('main', { [`file-${index}.txt`]: `${index}\n` }),
    );
    const reads = Array.from({ length: 4 }, () =>
      octokit.rest.git.getRef({ owner: 'acme', repo: 'charts', ref: 'heads/main' }),
    );
    await Promise.all([...writes, ...reads]);
    const { stdout } = await run('git', [
      '--git-dir',
      server.gitDir,
      'rev-list',
      '--count',
      `${before}..main`,
    ]);
    expect(Number(stdout.trim())).toBe(8);
    for (let index = 0; index < 8; index++)
      expect(await server.readFile('main', `file-${index}.txt`)).toBe(`${index}\n`);
  });
});

describe('OpenAPI contract', () => {
  const contract = loadGitHubContract();

  it.each([
    ['GET', '/repos/acme/charts', 'repos/get', {}],
    ['GET', '/repos/acme/charts/contents', 'repos/get-content', { path: '' }],
    ['GET', '/repos/acme/charts/contents/', 'repos/get-content', { path: '' }],
    [
      'GET',
      '/repos/acme/charts/contents/env%2Fprod%2Fvalues.yaml',
      'repos/get-content',
      { path: 'env/prod/values.yaml' },
    ],
    [
      'GET',
      '/repos/acme/charts/contents/env/prod/values.yaml',
      'repos/get-content',
      { path: 'env/prod/values.yaml' },
    ],
    ['GET', '/repos/acme/charts/git/ref/heads%2Fbump%2Fx', 'git/get-ref', { ref: 'heads/bump/x' }],
    [
      'PATCH',
      '/repos/acme/charts/git/refs/heads/bump/x',
      'git/update-ref',
      { ref: 'heads/bump/x' },
    ],
    [
      'GET',
      '/repos/acme/charts/git/matching-refs/heads/bump',
      'git/list-matching-refs',
      { ref: 'heads/bump' },
    ],
    [
      'GET',
      '/repos/acme/charts/branches/release%2F1.x',
      'repos/get-branch',
      { branch: 'release/1.x' },
    ],
    [
      'GET',
      '/repos/acme/charts/branches/release/1.x/protection',
      'repos/get-branch-protection',
      { branch: 'release/1.x' },
    ],
    ['PUT', '/repos/acme/charts/pulls/7/merge', 'pulls/merge', { pull_number: '7' }],
    ['POST', '/repos/acme/charts/issues/7/labels', 'issues/add-labels', { issue_number: '7' }],
  ])('matches %s %s to %s', (method, path, operationId, params) => {
    const match = contract.match(method, path);
    expect(match?.operationId).toBe(operationId);
    expect(match?.pathParams).toMatchObject({ owner: 'acme', repo: 'charts', ...params });
  });

  it.each([
    ['GET', '/repos/acme/charts/pulls/7/nothing'],
    ['DELETE', '/repos/acme/charts/pulls/7'],
    ['GET', '/repos/acme'],
  ])('matches nothing for %s %s', (method, path) => {
    expect(contract.match(method, path)).toBeUndefined();
  });

  it('catches a response that drifts from the documented schema', () => {
    const match = contract.match('PUT', '/repos/acme/charts/pulls/7/merge');
    expect(match).toBeDefined();
    if (!match) return;
    const good = { sha: 'a'.repeat(40), merged: true, message: 'Pull Request successfully merged' };
    expect(contract.checkResponse(match, 200, 'application/json', good)).toEqual([]);
    expect(
      contract.checkResponse(match, 200, 'application/json', { ...good, merged: 'yes' })[0],
    ).toContain('/merged must be boolean');
    expect(contract.checkResponse(match, 201, 'application/json', good)).toEqual([
      'status 201 is not documented',
    ]);
    const notFoundBody = {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    };
    expect(contract.checkResponse(match, 404, 'application/json', notFoundBody)).toEqual([]);
    expect(
      contract.checkResponse(match, 404, 'application/json', { ...notFoundBody, status: 404 }),
    ).not.toEqual([]);
  });

  it('accepts null where the description says nullable (normalised OpenAPI 3.0 `nullable`)', () => {
    const match = contract.match('GET', '/repos/acme/charts/git/commits/' + 'a'.repeat(40));
    expect(match?.operationId).toBe('git/get-commit');
    if (!match) return;
    const identity = { name: 'a', email: 'a@example.com', date: '2024-01-01T00:00:00Z' };
    const commit = {
      sha: 'a'.repeat(40),
      node_id: 'C_1',
      url: 'http://127.0.0.1/c',
      html_url: 'http://127.0.0.1/c',
      author: identity,
      committer: identity,
      tree: { sha: 'b'.repeat(40), url: 'http://127.0.0.1/t' },
      message: 'm',
      parents: [],
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
    expect(contract.checkResponse(match, 200, 'application/json', commit)).toEqual([]);
  });
});

describe('GitHub API emulator: required status checks', () => {
  it('blocks merges and pushes to the protected base until the checks pass', async () => {
    const server = await start({ requiredChecks: ['ci'], allowAutoMerge: true });
    const octokit = client(server);
    const { owner, repo } = server;
    const head = await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    const number = created.data.number;
    await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    const blocked = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    expect([blocked.data.mergeable, blocked.data.mergeable_state]).toEqual([true, 'blocked']);
    expect(
      (await octokit.rest.repos.getBranch({ owner, repo, branch: 'main' })).data.protected,
    ).toBe(true);

    const merge = await failure(octokit.rest.pulls.merge({ owner, repo, pull_number: number }));
    expect([merge.status, merge.message]).toEqual([
      405,
      expect.stringContaining('Required status check "ci" is expected.'),
    ]);
    const push = await failure(
      octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: head }),
    );
    expect([push.status, push.message]).toEqual([
      422,
      expect.stringContaining('Required status check "ci" is expected.'),
    ]);

    // Blocked is exactly when GitHub accepts auto-merge.
    await octokit.graphql(
      `mutation($id: ID!) { enablePullRequestAutoMerge(input: { pullRequestId: $id, mergeMethod: MERGE }) { clientMutationId } }`,
      { id: created.data.node_id },
    );
    expect(server.listPulls()[0]?.autoMerge).toMatchObject({
      mergeMethod: 'merge',
      enabledBy: 'github-actions[bot]',
    });

    server.passChecks(number);
    const clean = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    expect(clean.data.mergeable_state).toBe('clean');
    await octokit.rest.pulls.merge({ owner, repo, pull_number: number, merge_method: 'merge' });
    expect(await server.readFile('main', 'a.txt')).toBe('1\n');
    expect(server.violations).toEqual([]);
  });

  it('merges auto-merge pull requests when completeAutoMerges says the checks passed', async () => {
    const server = await start({ requiredChecks: ['ci'], allowAutoMerge: true });
    const octokit = client(server);
    await commitOnBranch(server, 'bump', { 'a.txt': '1\n' });
    const created = await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'charts',
      title: 'Bump',
      head: 'bump',
      base: 'main',
    });
    await octokit.graphql(
      `mutation($id: ID!) { enablePullRequestAutoMerge(input: { pullRequestId: $id, mergeMethod: SQUASH }) { clientMutationId } }`,
      { id: created.data.node_id },
    );
    expect(await server.completeAutoMerges()).toEqual([created.data.number]);
    const tip = await server.branchSha('main');
    const { stdout } = await run('git', [
      '--git-dir',
      server.gitDir,
      'log',
      '-1',
      '--format=%s',
      tip ?? '',
    ]);
    expect(stdout.trim()).toBe(`Bump (#${created.data.number})`);
  });
});
