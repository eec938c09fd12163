import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSettings } from '../../../src/config/settings.js';
import { PublishError } from '../../../src/core/errors.js';
import type { GitHubClient } from '../../../src/workspace/github/octokit.js';
import {
  PublishConflict,
  branchName,
  createPublisher,
  type Publisher,
} from '../../../src/workspace/github/publisher.js';
import type { ChangeSet, PublishResult } from '../../../src/core/changes.js';
import { startGitHubServer, type RunningGitHub } from '../../harness/github/index.js';
import {
  VALUES_PATH,
  clientFor,
  devChangeSet,
  emptyChangeSet,
  recordingLogger,
  settingsFor,
  valuesFile,
  type RecordingLogger,
} from './github-fixture.js';

const run = promisify(execFile);
const BRANCH = 'helm-image-updater/environments/dev';

interface Context {
  server: RunningGitHub;
  settings: GitHubSettings;
  client: GitHubClient;
  logger: RecordingLogger;
  publisher: Publisher;
}

async function start(
  options: Parameters<typeof startGitHubServer>[0] = {},
  overrides: Partial<GitHubSettings> = {},
): Promise<Context> {
  const server = await startGitHubServer({
    files: { [VALUES_PATH]: valuesFile('main-1'), 'README.md': '# charts\n' },
    ...options,
  });
  servers.push(server);
  const settings = settingsFor(server, overrides);
  const logger = recordingLogger();
  const client = clientFor(settings, logger);
  const publisher = createPublisher({ client, settings, logger, sleep: () => Promise.resolve() });
  return { server, settings, client, logger, publisher };
}

/** One attempt as the main program makes it: read the base and the unit, then publish. */
async function publishOnce(context: Context, changeSet: ChangeSet): Promise<PublishResult> {
  const base = await context.publisher.baseBranch();
  const state = await context.publisher.readUnit(
    changeSet.target,
    changeSet.environment,
    changeSet.publish,
    base,
  );
  return context.publisher.publish(changeSet, state);
}

/** Files a pull request's diff shows: merge base of main and the branch, to the branch. */
async function pullRequestDiff(server: RunningGitHub, branch: string): Promise<string[]> {
  const { stdout } = await run('git', [
    '-C',
    server.gitDir,
    'diff',
    '--name-only',
    `main...${branch}`,
  ]);
  return stdout.split('\n').filter((line) => line !== '');
}

async function parentsOf(server: RunningGitHub, sha: string): Promise<string[]> {
  const { stdout } = await run('git', [
    '-C',
    server.gitDir,
    'rev-list',
    '--parents',
    '-n',
    '1',
    sha,
  ]);
  return stdout.trim().split(' ').slice(1);
}

function count(server: RunningGitHub, operationId: string): number {
  return server.requests.filter((request) => request.operationId === operationId).length;
}

const servers: RunningGitHub[] = [];

beforeEach(() => {
  servers.length = 0;
});

afterEach(async () => {
  for (const server of servers) {
    expect(server.violations).toEqual([]);
    await server.close();
  }
});

describe('branchName', () => {
  it.each([
    {
      target: 'example',
      environment: undefined,
      override: undefined,
      name: 'helm-image-updater/example',
    },
    { target: 'environments', environment: 'dev', override: undefined, name: BRANCH },
    { target: 'environments', environment: 'dev', override: 'bump/dev', name: 'bump/dev' },
    {
      target: 'my app',
      environment: 'eu:west',
      override: '',
      name: 'helm-image-updater/my-app/eu-west',
    },
    {
      target: 'charts',
      environment: 'web/qa',
      override: undefined,
      name: 'helm-image-updater/charts/web/qa',
    },
    {
      target: 'charts',
      environment: 'web:eu/q a',
      override: undefined,
      name: 'helm-image-updater/charts/web-eu/q-a',
    },
    {
      target: '..hidden',
      environment: 'x.lock',
      override: undefined,
      name: 'helm-image-updater/hidden/x',
    },
  ])('$target / $environment / $override → $name', ({ target, environment, override, name }) => {
    expect(branchName(target, environment, override)).toBe(name);
  });
});

describe('pull-request mode', () => {
  it('opens one pull request whose branch holds exactly the new bytes', async () => {
    const context = await start();
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const result = await publishOnce(context, changeSet);

    expect(result).toMatchObject({ action: 'created', number: 1, branch: BRANCH, warnings: [] });
    const pulls = context.server.listPulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({
      state: 'open',
      head: BRANCH,
      base: 'main',
      title: 'chore(images): update frontend to main-2 (dev)',
    });
    expect(pulls[0]?.body).toContain('`main-1` → `main-2`');
    expect(await context.server.readFile(BRANCH, VALUES_PATH)).toBe(valuesFile('main-2'));
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-1'));
    expect(await pullRequestDiff(context.server, BRANCH)).toEqual([VALUES_PATH]);
    expect(result.commit).toBe(await context.server.branchSha(BRANCH));
  });

  it('opens a pull request for an environment named by two wildcards (web/qa), on a valid branch', async () => {
    const context = await start();
    const dev = devChangeSet('pull-request', 'main-1', 'main-2');
    const changeSet = {
      ...dev,
      target: 'charts',
      environment: 'web/qa',
      updates: dev.updates.map((update) => ({
        ...update,
        target: 'charts',
        environment: 'web/qa',
      })),
    };
    const result = await publishOnce(context, changeSet);
    const branch = 'helm-image-updater/charts/web/qa';
    expect(result).toMatchObject({ action: 'created', number: 1, branch });
    expect(context.server.listPulls()[0]).toMatchObject({
      head: branch,
      title: 'chore(images): update frontend to main-2 (web/qa)',
    });
    expect(await context.server.readFile(branch, VALUES_PATH)).toBe(valuesFile('main-2'));
    // Published again: the same pull request is found by its branch and left as it is.
    await expect(publishOnce(context, changeSet)).resolves.toMatchObject({
      action: 'unchanged',
      number: 1,
    });
    expect(context.server.listPulls()).toHaveLength(1);
  });

  it('changes nothing when the same content is published again', async () => {
    const context = await start();
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    await publishOnce(context, changeSet);
    const head = await context.server.branchSha(BRANCH);
    const commits = count(context.server, 'git/create-commit');

    const again = await publishOnce(context, changeSet);

    expect(again).toMatchObject({ action: 'unchanged', number: 1, commit: head });
    expect(await context.server.branchSha(BRANCH)).toBe(head);
    expect(count(context.server, 'git/create-commit')).toBe(commits);
    expect(count(context.server, 'pulls/update')).toBe(0);
    expect(context.server.listPulls()).toHaveLength(1);
  });

  it('updates the same pull request when a newer tag arrives, also after the base moved', async () => {
    const context = await start();
    await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2'));
    const firstHead = await context.server.branchSha(BRANCH);
    await context.server.commit('main', { 'README.md': '# charts, edited\n' });

    const result = await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-3'));

    expect(result).toMatchObject({ action: 'updated', number: 1 });
    const pulls = context.server.listPulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.title).toBe('chore(images): update frontend to main-3 (dev)');
    expect(pulls[0]?.body).toContain('`main-1` → `main-3`');
    expect(await context.server.readFile(BRANCH, VALUES_PATH)).toBe(valuesFile('main-3'));
    // Re-created from the current base: the base's new README is on the branch, the diff is ours.
    expect(await context.server.readFile(BRANCH, 'README.md')).toBe('# charts, edited\n');
    expect(await pullRequestDiff(context.server, BRANCH)).toEqual([VALUES_PATH]);
    const head = await context.server.branchSha(BRANCH);
    expect(await parentsOf(context.server, head ?? '')).toEqual([
      await context.server.branchSha('main'),
      firstHead,
    ]);
  });

  it('adds a linear commit when the base did not move', async () => {
    const context = await start();
    await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2'));
    const firstHead = await context.server.branchSha(BRANCH);

    await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-3'));

    const head = await context.server.branchSha(BRANCH);
    expect(await parentsOf(context.server, head ?? '')).toEqual([firstHead]);
    expect(await pullRequestDiff(context.server, BRANCH)).toEqual([VALUES_PATH]);
  });

  it('closes the pull request with a comment when the base already has the values', async () => {
    const context = await start();
    await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2'));
    await context.server.commit('main', { [VALUES_PATH]: valuesFile('main-2') }, 'Bumped by hand');

    const result = await publishOnce(context, emptyChangeSet('pull-request', 'main-2'));

    expect(result).toMatchObject({ action: 'closed', number: 1 });
    const [pull] = context.server.listPulls();
    expect(pull?.state).toBe('closed');
    expect(pull?.merged).toBe(false);
    expect(pull?.comments).toHaveLength(1);
    expect(pull?.comments[0]?.body).toContain('The base branch already has');
  });

  it('does nothing for an empty change set without a pull request', async () => {
    const context = await start();
    const result = await publishOnce(context, emptyChangeSet('pull-request', 'main-1'));
    expect(result.action).toBe('none');
    expect(context.server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('adds labels and requests reviewers', async () => {
    const context = await start();
    const result = await publishOnce(
      context,
      devChangeSet('pull-request', 'main-1', 'main-2', {
        labels: ['dependencies', 'images'],
        reviewers: ['sre-lead', 'dev-lead'],
      }),
    );
    expect(result).toMatchObject({ action: 'created', warnings: [] });
    const [pull] = context.server.listPulls();
    expect(pull?.labels).toEqual(['dependencies', 'images']);
    expect(pull?.requestedReviewers).toEqual(['sre-lead', 'dev-lead']);
  });

  it('keeps the pull request when GitHub refuses the reviewers, with a warning', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'POST',
      path: /\/requested_reviewers$/,
      status: 422,
      body: {
        message:
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/charts repository.',
        documentation_url: 'https://docs.github.com/rest',
        status: '422',
      },
    });
    const result = await publishOnce(
      context,
      devChangeSet('pull-request', 'main-1', 'main-2', {
        labels: ['images'],
        reviewers: ['stranger'],
      }),
    );

    expect(result.action).toBe('created');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('Reviews may only be requested from collaborators');
    expect(context.logger.warnings()).toEqual(result.warnings);
    expect(context.server.listPulls()[0]).toMatchObject({ state: 'open', labels: ['images'] });
  });

  it('adopts the pull request another run opened a moment earlier (422 already exists)', async () => {
    const context = await start();
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    context.server.addFaults({
      method: 'POST',
      path: /\/pulls$/,
      before: async () => {
        await context.client.rest.pulls.create({
          owner: context.server.owner,
          repo: context.server.repo,
          head: BRANCH,
          base: 'main',
          title: 'opened by the other run',
        });
      },
    });

    const result = await publishOnce(context, changeSet);

    expect(result).toMatchObject({ action: 'updated', number: 1 });
    const pulls = context.server.listPulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.title).toBe('chore(images): update frontend to main-2 (dev)');
    expect(
      context.server.requests
        .filter((request) => request.operationId === 'pulls/create')
        .map((request) => request.status)
        .sort(),
    ).toEqual([201, 422]);
  });
});

describe('rate limits during a publish', () => {
  it('a secondary rate limit on create-blob is waited out and the pull request opened', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'POST',
      path: /\/git\/blobs$/,
      status: 403,
      headers: { 'retry-after': '1' },
    });
    const result = await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2'));
    expect(result.action).toBe('created');
    expect(
      context.server.requests
        .filter((request) => request.path.endsWith('/git/blobs'))
        .map((request) => request.status),
    ).toEqual([403, 201]);
    expect(context.logger.warnings()[0]).toContain('secondary rate limit');
    expect(await context.server.readFile(BRANCH, VALUES_PATH)).toBe(valuesFile('main-2'));
  });
});

describe('compare-and-swap', () => {
  it('reports a conflict when the branch moves between reading and updating it, and the retry wins', async () => {
    const context = await start();
    await publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2'));
    context.server.addFaults({
      method: 'PATCH',
      path: /\/git\/refs\/heads/,
      before: async () => {
        await context.server.commit(BRANCH, { 'other.txt': 'pushed by someone else\n' });
      },
    });
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-3');

    await expect(publishOnce(context, changeSet)).rejects.toBeInstanceOf(PublishConflict);
    const moved = await context.server.branchSha(BRANCH);

    const retry = await publishOnce(context, changeSet);
    expect(retry.action).toBe('updated');
    expect(await context.server.readFile(BRANCH, VALUES_PATH)).toBe(valuesFile('main-3'));
    // The other writer's head is an ancestor: nothing was force-pushed away.
    expect(await parentsOf(context.server, retry.commit ?? '')).toContain(moved);
    expect(context.server.listPulls()).toHaveLength(1);
  });

  it('reports a conflict when another run creates the branch first', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'POST',
      path: /\/git\/refs$/,
      before: async () => {
        await context.server.commit(BRANCH, { 'other.txt': 'x\n' });
      },
    });
    await expect(
      publishOnce(context, devChangeSet('pull-request', 'main-1', 'main-2')),
    ).rejects.toBeInstanceOf(PublishConflict);
  });

  it('reports a conflict when the base moves before a push', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'PATCH',
      path: /\/git\/refs\/heads%2Fmain|\/git\/refs\/heads\/main/,
      before: async () => {
        await context.server.commit('main', { 'README.md': 'raced\n' });
      },
    });
    const changeSet = devChangeSet('push', 'main-1', 'main-2');
    await expect(publishOnce(context, changeSet)).rejects.toBeInstanceOf(PublishConflict);
    expect(await context.server.readFile('main', 'README.md')).toBe('raced\n');

    const retry = await publishOnce(context, changeSet);
    expect(retry.action).toBe('pushed');
    expect(await context.server.readFile('main', 'README.md')).toBe('raced\n');
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-2'));
  });
});

describe('two runs at once', () => {
  /** The main program's loop: on a lost compare-and-swap, read the unit again and retry. */
  async function publishWithRetry(context: Context, changeSet: ChangeSet): Promise<PublishResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await publishOnce(context, changeSet);
      } catch (error) {
        if (!(error instanceof PublishConflict) || attempt === 6) throw error;
      }
    }
  }

  it('end with one pull request whose title, body and branch agree', async () => {
    const first = await start();
    const secondLogger = recordingLogger();
    const secondClient = clientFor(first.settings, secondLogger);
    const second: Context = {
      ...first,
      client: secondClient,
      logger: secondLogger,
      publisher: createPublisher({
        client: secondClient,
        settings: first.settings,
        logger: secondLogger,
        sleep: () => Promise.resolve(),
      }),
    };

    await Promise.all([
      publishWithRetry(first, devChangeSet('pull-request', 'main-1', 'main-2')),
      publishWithRetry(second, devChangeSet('pull-request', 'main-1', 'main-3')),
    ]);

    const pulls = first.server.listPulls();
    expect(pulls).toHaveLength(1);
    const onBranch = await first.server.readFile(BRANCH, VALUES_PATH);
    const tag = pulls[0]?.title.match(/to (main-\d)/)?.[1] ?? 'no tag in title';
    expect(onBranch).toBe(valuesFile(tag));
    expect(pulls[0]?.body).toContain(`\`${tag}\``);
    expect(await pullRequestDiff(first.server, BRANCH)).toEqual([VALUES_PATH]);
  });
});

describe('merge, auto-merge, push, dry-run', () => {
  it('merge: lands on the base with a squash commit and deletes the branch', async () => {
    const context = await start();
    const before = await context.server.branchSha('main');
    const result = await publishOnce(context, devChangeSet('merge', 'main-1', 'main-2'));

    expect(result).toMatchObject({ action: 'merged', number: 1 });
    const main = await context.server.branchSha('main');
    expect(result.commit).toBe(main);
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-2'));
    expect(await parentsOf(context.server, main ?? '')).toEqual([before]);
    expect(await context.server.branchSha(BRANCH)).toBeUndefined();
    expect(context.server.listPulls()[0]).toMatchObject({ merged: true, state: 'closed' });
  });

  it('merge: the merge method is passed on', async () => {
    const context = await start();
    const before = await context.server.branchSha('main');
    await publishOnce(context, devChangeSet('merge', 'main-1', 'main-2', { mergeMethod: 'merge' }));
    const main = await context.server.branchSha('main');
    expect(await parentsOf(context.server, main ?? '')).toHaveLength(2);
    expect((await parentsOf(context.server, main ?? ''))[0]).toBe(before);
  });

  it('merge: a 405 names branch protection and what to use instead', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'PUT',
      path: /\/merge$/,
      status: 405,
      body: {
        message: 'Required status check "ci" is expected.',
        documentation_url: 'https://docs.github.com/rest',
        status: '405',
      },
    });
    const error = await publishOnce(context, devChangeSet('merge', 'main-1', 'main-2')).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toMatch(
      /Required status check "ci".*Branch protection.*auto-merge/s,
    );
    expect(context.server.listPulls()[0]?.state).toBe('open');
  });

  it('merge: a head that moved (409) is a conflict', async () => {
    const context = await start();
    context.server.addFaults({
      method: 'PUT',
      path: /\/merge$/,
      before: async () => {
        await context.server.commit(BRANCH, { 'other.txt': 'x\n' });
      },
    });
    await expect(
      publishOnce(context, devChangeSet('merge', 'main-1', 'main-2')),
    ).rejects.toBeInstanceOf(PublishConflict);
  });

  it('auto-merge: enabled when the repository allows it, merged by GitHub later', async () => {
    const context = await start({ allowAutoMerge: true });
    // Checks still running: GitHub cannot tell yet whether the pull request can be merged.
    context.server.setMergeable(1, null);
    const result = await publishOnce(context, devChangeSet('auto-merge', 'main-1', 'main-2'));

    expect(result).toMatchObject({ action: 'auto-merge-enabled', number: 1, warnings: [] });
    expect(context.server.listPulls()[0]?.autoMerge).toMatchObject({ mergeMethod: 'squash' });
    expect(await context.server.completeAutoMerges()).toEqual([1]);
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-2'));
  });

  it('auto-merge: a newer tag keeps the auto-merge already enabled', async () => {
    const context = await start({ allowAutoMerge: true });
    context.server.setMergeable(1, null);
    await publishOnce(context, devChangeSet('auto-merge', 'main-1', 'main-2'));
    const result = await publishOnce(context, devChangeSet('auto-merge', 'main-1', 'main-3'));

    expect(result).toMatchObject({ action: 'auto-merge-enabled', number: 1 });
    expect(count(context.server, 'graphql/enablePullRequestAutoMerge')).toBe(1);
    expect(await context.server.completeAutoMerges()).toEqual([1]);
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-3'));
  });

  it('auto-merge: a pull request in clean status is merged directly', async () => {
    const context = await start({ allowAutoMerge: true });
    const result = await publishOnce(context, devChangeSet('auto-merge', 'main-1', 'main-2'));
    expect(result).toMatchObject({ action: 'merged', number: 1 });
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-2'));
  });

  it('auto-merge: a repository without auto-merge keeps the pull request open with a warning', async () => {
    const context = await start({ allowAutoMerge: false });
    context.server.setMergeable(1, null);
    const result = await publishOnce(context, devChangeSet('auto-merge', 'main-1', 'main-2'));

    expect(result.action).toBe('created');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(
      /Auto merge is not allowed for this repository.*Allow auto-merge/,
    );
    expect(context.server.listPulls()[0]).toMatchObject({ state: 'open', autoMerge: null });
    expect(context.logger.warnings()).toEqual(result.warnings);
  });

  it('push: one commit on the base branch, parent = the old head', async () => {
    const context = await start();
    const before = await context.server.branchSha('main');
    const result = await publishOnce(context, devChangeSet('push', 'main-1', 'main-2'));

    const main = await context.server.branchSha('main');
    expect(result).toMatchObject({
      action: 'pushed',
      branch: 'main',
      commit: main,
      number: undefined,
    });
    expect(await parentsOf(context.server, main ?? '')).toEqual([before]);
    expect(await context.server.readFile('main', VALUES_PATH)).toBe(valuesFile('main-2'));
    const { stdout } = await run('git', [
      '-C',
      context.server.gitDir,
      'log',
      '-1',
      '--format=%B',
      'main',
    ]);
    expect(stdout.trim()).toBe(
      'chore(images): update frontend to main-2 (dev)\n\nfrontend.tag in helm-env/env/dev/values.yaml: main-1 → main-2',
    );
    expect(context.server.listPulls()).toEqual([]);
  });

  it('dry-run: writes nothing', async () => {
    const context = await start();
    const result = await publishOnce(context, devChangeSet('dry-run', 'main-1', 'main-2'));
    expect(result).toMatchObject({ action: 'dry-run', branch: BRANCH });
    expect(context.server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});

describe('errors the user can act on', () => {
  it('401: the token is invalid or expired', async () => {
    const context = await start({}, { token: 'ghs_not_a_known_token' });
    const error = await context.publisher.baseBranch().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).details.status).toBe(401);
    expect((error as PublishError).message).toMatch(
      /401 \(Bad credentials\).*invalid or has expired/,
    );
    expect((error as PublishError).message).not.toContain('ghs_not_a_known_token');
    expect(context.logger.secrets).toContain('ghs_not_a_known_token');
  });

  it('403 Resource not accessible: names the workflow permissions', async () => {
    const token = 'ghs_readonlytoken';
    const context = await start(
      { tokens: { [token]: { contents: 'read', pullRequests: 'read' } } },
      { token },
    );
    const error = await publishOnce(
      context,
      devChangeSet('pull-request', 'main-1', 'main-2'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toContain('Resource not accessible by integration');
    expect((error as PublishError).message).toContain(
      'permissions: contents: write, pull-requests: write',
    );
  });

  it('403 Actions may not create pull requests: names the setting', async () => {
    const context = await start({ actionsCanCreatePullRequests: false });
    const error = await publishOnce(
      context,
      devChangeSet('pull-request', 'main-1', 'main-2'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).details.operation).toContain('open a pull request');
    expect((error as PublishError).message).toContain(
      'Allow GitHub Actions to create and approve pull requests',
    );
  });

  it('404: the repository does not exist or the token cannot see it', async () => {
    const context = await start({}, { repo: 'secret-charts' });
    const error = await context.publisher.baseBranch().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toMatch(/acme\/secret-charts.*404.*cannot see it/s);
  });

  it('a configured base branch that does not exist', async () => {
    const context = await start({}, { baseBranch: 'release' });
    await expect(context.publisher.baseBranch()).rejects.toThrow(
      /base branch release does not exist in acme\/charts/,
    );
  });

  it('a pull request branch equal to the base branch is refused', async () => {
    const context = await start();
    const base = await context.publisher.baseBranch();
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2', { branch: 'main' });
    await expect(
      context.publisher.readUnit('environments', 'dev', changeSet.publish, base),
    ).rejects.toThrow(/is the base branch main/);
  });
});
