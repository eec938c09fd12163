/**
 * The pieces of publishing on their own, against the git-backed GitHub API server: refs move
 * only by compare-and-swap, a pull request opened by another run is adopted, and merging
 * reports why GitHub refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { PublishError } from '../../../src/core/errors.js';
import { PublishConflict, blobId, createGitRefs } from '../../../src/workspace/github/git-refs.js';
import { createMerging } from '../../../src/workspace/github/merging.js';
import { createPullRequests } from '../../../src/workspace/github/pull-requests.js';
import type { RepositoryContext } from '../../../src/workspace/github/repository-context.js';
import { startGitHubServer, type RunningGitHub } from '../../harness/github/index.js';
import { recordingLogger } from '../../harness/recording-logger.js';
import { VALUES_PATH, clientFor, devChangeSet, settingsFor, valuesFile } from './github-fixture.js';

const BRANCH = 'helm-image-updater/environments/dev';

let server: RunningGitHub;
let context: RepositoryContext;

beforeEach(async () => {
  server = await startGitHubServer({ files: { [VALUES_PATH]: valuesFile('main-1') } });
  const settings = settingsFor(server);
  const logger = recordingLogger();
  context = {
    client: clientFor(settings, logger),
    owner: server.owner,
    repo: server.repo,
    where: `${server.owner}/${server.repo}`,
    logger,
  };
});

afterEach(async () => {
  await server?.close();
});

describe('git refs', () => {
  it('creates a branch once; a second create is a conflict, not an overwrite', async () => {
    const refs = createGitRefs(context);
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const { tree, baseTree } = await refs.buildTree(changeSet, base);
    expect(tree).not.toBe(baseTree);
    const commit = await refs.createCommit(changeSet, tree, [base]);
    await refs.createBranch(BRANCH, commit);
    expect(await refs.refSha(BRANCH)).toBe(commit);
    await expect(refs.createBranch(BRANCH, base)).rejects.toBeInstanceOf(PublishConflict);
    expect(await server.branchSha(BRANCH)).toBe(commit);
    expect(await server.readFile(BRANCH, VALUES_PATH)).toBe(valuesFile('main-2'));
  });

  it('moves a branch only forward: a head that moved meanwhile is a conflict and survives', async () => {
    const refs = createGitRefs(context);
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const { tree } = await refs.buildTree(changeSet, base);
    const ours = await refs.createCommit(changeSet, tree, [base]);
    // Someone else commits to main after we read it.
    await server.commit('main', { 'README.md': 'theirs\n' });
    const theirs = await server.branchSha('main');
    await expect(refs.moveBranch('main', ours)).rejects.toBeInstanceOf(PublishConflict);
    expect(await server.branchSha('main')).toBe(theirs);
    expect(server.violations).toEqual([]);
  });

  it('an identical tree is recognised without a commit', async () => {
    const refs = createGitRefs(context);
    const base = (await refs.refSha('main')) as string;
    const same = { ...devChangeSet('push', 'main-1', 'main-1') };
    const { tree, baseTree } = await refs.buildTree(same, base);
    expect(tree).toBe(baseTree);
  });
});

describe('blob ids and trees compared with reads only', () => {
  it('computes the blob id git computes', () => {
    expect(blobId('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(blobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    // Multi-byte characters count as bytes, not as characters.
    expect(blobId('tag: "ü"\n')).not.toBe(blobId('tag: "u"\n'));
  });

  it('tells whether a branch holds a change set, without writing', async () => {
    const refs = createGitRefs(context);
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const { tree } = await refs.buildTree(changeSet, base);
    const head = await refs.createCommit(changeSet, tree, [base]);
    await refs.createBranch(BRANCH, head);
    const writesBefore = server.requests.filter((request) => request.method !== 'GET').length;
    expect(await refs.holdsChangeSet(changeSet, base, head)).toBe(true);
    expect(
      await refs.holdsChangeSet(devChangeSet('pull-request', 'main-1', 'main-3'), base, head),
    ).toBe(false);
    // Another file on the branch (someone pushed to it) is not the change set's tree either.
    const theirs = await server.commit(BRANCH, { 'notes.txt': 'x\n' });
    expect(await refs.holdsChangeSet(changeSet, base, theirs)).toBe(false);
    expect(server.requests.filter((request) => request.method !== 'GET').length).toBe(writesBefore);
  });
});

describe('pull requests', () => {
  it('adopts the pull request another run opened instead of opening a second one', async () => {
    const refs = createGitRefs(context);
    const pulls = createPullRequests(context);
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const { tree } = await refs.buildTree(changeSet, base);
    await refs.createBranch(BRANCH, await refs.createCommit(changeSet, tree, [base]));
    const first = await pulls.openOrAdopt(BRANCH, 'main', 'first', 'body 1');
    const second = await pulls.openOrAdopt(BRANCH, 'main', 'second', 'body 2');
    expect(first.created).toBe(true);
    expect(second).toEqual({ pull: first.pull, created: false });
    expect(server.listPulls().map((pull) => [pull.state, pull.title])).toEqual([
      ['open', 'second'],
    ]);
    expect((await pulls.find(BRANCH, 'main'))?.number).toBe(first.pull.number);
  });

  it('labels that cannot be added come back as a warning, never as a failure', async () => {
    const pulls = createPullRequests(context);
    server.addFaults({
      method: 'POST',
      path: /\/labels$/,
      status: 422,
      body: { message: 'Validation Failed', documentation_url: 'https://docs.github.com' },
    });
    const refs = createGitRefs(context);
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('pull-request', 'main-1', 'main-2');
    const { tree } = await refs.buildTree(changeSet, base);
    await refs.createBranch(BRANCH, await refs.createCommit(changeSet, tree, [base]));
    const { pull } = await pulls.openOrAdopt(BRANCH, 'main', 'title', 'body');
    const warnings = await pulls.decorate(
      pull.number,
      { ...changeSet.publish, labels: ['dependencies'] },
      false,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Labels dependencies could not be added to #\d+/);
  });
});

describe('merging', () => {
  it('a merge blocked by required checks names the cause and the modes that work', async () => {
    await server.close();
    server = await startGitHubServer({
      files: { [VALUES_PATH]: valuesFile('main-1') },
      requiredChecks: ['ci'],
    });
    const settings = settingsFor(server);
    context = { ...context, client: clientFor(settings, context.logger) };
    const refs = createGitRefs(context);
    const pulls = createPullRequests(context);
    const merging = createMerging(context, pulls, {
      sleep: () => Promise.resolve(),
      mergeablePolls: 3,
      graphqlUrl: settings.graphqlUrl,
    });
    const base = (await refs.refSha('main')) as string;
    const changeSet = devChangeSet('merge', 'main-1', 'main-2');
    const { tree } = await refs.buildTree(changeSet, base);
    const head = await refs.createCommit(changeSet, tree, [base]);
    await refs.createBranch(BRANCH, head);
    const { pull } = await pulls.openOrAdopt(BRANCH, 'main', 'title', 'body');
    const error: unknown = await merging
      .merge(changeSet, 'main', BRANCH, pull, head)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as Error).message).toMatch(/GitHub answered 405 .*`mode: auto-merge`/s);
    expect(await server.branchSha('main')).toBe(base);
  });
});
