/**
 * GitHub faults against the bundled action: server errors and secondary rate limits while the
 * commit is built (blob, tree, commit, ref), a ref moved by someone else between read and update,
 * a pull request opened by another run at the same moment. After every run, no updater branch
 * holds a tree other than the one its run meant, and no newer tag is lost. A ref update that lost
 * a race is refused (422) and redone on top of the winner, which shows it was not forced.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BRANCH,
  OVERRIDE_PATH,
  describeRun,
  errorLines,
  overrideFile,
  startActionFixture,
  type ActionFixture,
} from './action-fixture.js';

const TEST_TIMEOUT_MS = 240_000;

const BLOBS = /\/git\/blobs$/;
const TREES = /\/git\/trees$/;
const COMMITS = /\/git\/commits$/;
const CREATE_REF = /\/git\/refs$/;
const PULLS = /\/pulls$/;

/** The update-ref path of a branch, whether or not the client encodes the `/` of the ref. */
function refPath(branch: string): RegExp {
  const segments = ['heads', ...branch.split('/')];
  return new RegExp(`/git/refs/${segments.join('(?:/|%2F)')}$`, 'i');
}

let fixture: ActionFixture;

beforeEach(async () => {
  fixture = await startActionFixture();
  await fixture.push('main-8', 'main-9', 'main-10');
});

afterEach(async () => {
  expect(fixture.github.violations).toEqual([]);
  await fixture.close();
});

function operations(method: string, operationId: string): number[] {
  return fixture.github.requests
    .filter((request) => request.method === method && request.operationId === operationId)
    .map((request) => request.status);
}

/** Every updater branch holds exactly the override file for `tag`, and main is untouched. */
async function expectBranchesAt(tag: string | undefined): Promise<void> {
  const branches = await fixture.updaterBranches();
  if (tag === undefined) expect(branches).toEqual({});
  else expect(branches).toEqual({ [BRANCH]: overrideFile(fixture.image, tag) });
  expect(await fixture.github.readFile('main', OVERRIDE_PATH)).toBe(
    overrideFile(fixture.image, 'main-8'),
  );
}

function openPulls(): ReturnType<ActionFixture['github']['listPulls']> {
  return fixture.github.listPulls().filter((pull) => pull.state === 'open');
}

describe('GitHub faults while publishing', () => {
  it.each([
    {
      step: 'blob creation',
      method: 'POST',
      path: BLOBS,
      status: 502,
      operation: 'git/create-blob',
    },
    {
      step: 'tree creation',
      method: 'POST',
      path: TREES,
      status: 500,
      operation: 'git/create-tree',
    },
    {
      step: 'commit creation',
      method: 'POST',
      path: COMMITS,
      status: 503,
      operation: 'git/create-commit',
    },
    {
      step: 'ref creation',
      method: 'POST',
      path: CREATE_REF,
      status: 502,
      operation: 'git/create-ref',
    },
  ])(
    'a server error once during $step is retried: one pull request with the newest tag',
    async ({ method, path, status, operation }) => {
      fixture.github.addFaults({ method, path, status, times: 1 });
      const run = await fixture.run();
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(operations(method, operation)).toEqual([status, 201]);
      await expectBranchesAt('main-10');
      expect(openPulls()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    { step: 'blob creation', path: BLOBS, status: 403 },
    { step: 'commit creation', path: COMMITS, status: 429 },
    { step: 'ref creation', path: CREATE_REF, status: 403 },
  ])(
    'a secondary rate limit ($status, retry-after 1) during $step is waited out',
    async ({ path, status }) => {
      fixture.github.addFaults({
        method: 'POST',
        path,
        status,
        times: 1,
        headers: { 'retry-after': '1' },
      });
      const started = Date.now();
      const run = await fixture.run();
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(run.stdout).toContain("GitHub's secondary rate limit hit");
      await expectBranchesAt('main-10');
      expect(openPulls()).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'server errors on every attempt at tree creation: a clean failure, no branch, no pull request',
    async () => {
      fixture.github.addFaults({ method: 'POST', path: TREES, status: 500, times: 20 });
      const run = await fixture.run();
      expect(run.exitCode, describeRun(run)).toBe(1);
      const errors = errorLines(run).join('\n');
      expect(errors).toContain('create a tree in acme/charts');
      expect(errors).toContain('example');
      // Bounded: a first attempt and the configured retries, not a loop.
      const attempts = operations('POST', 'git/create-tree');
      expect(attempts.length).toBeGreaterThan(1);
      expect(attempts.length).toBeLessThanOrEqual(5 * 3);
      expect(attempts.every((code) => code === 500)).toBe(true);
      await expectBranchesAt(undefined);
      expect(fixture.github.listPulls()).toEqual([]);
      // Outputs do not claim an update that did not land.
      expect(run.outputs.changed).toBe('false');
      expect(run.outputs.updates).toBe('[]');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a secondary rate limit that does not end: the run gives up with advice, nothing half-made',
    async () => {
      fixture.github.addFaults({
        method: 'POST',
        path: COMMITS,
        status: 403,
        times: 50,
        headers: { 'retry-after': '1' },
      });
      const run = await fixture.run();
      expect(run.exitCode, describeRun(run)).toBe(1);
      expect(run.stdout).toContain('giving up; run fewer updates at once');
      await expectBranchesAt(undefined);
      expect(fixture.github.listPulls()).toEqual([]);
      expect(operations('POST', 'git/create-commit').length).toBeLessThanOrEqual(5 * 4);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'pull request creation fails for good: the branch holds the right tree, and the next run opens the pull request with a newer tag',
    async () => {
      fixture.github.addFaults({ method: 'POST', path: PULLS, status: 500, times: 50 });
      const failed = await fixture.run();
      expect(failed.exitCode, describeRun(failed)).toBe(1);
      expect(errorLines(failed).join('\n')).toContain('pull request');
      // The branch exists, and it holds exactly what this run meant — never a wrong tree.
      await expectBranchesAt('main-10');
      expect(fixture.github.listPulls()).toEqual([]);

      await fixture.push('main-11');
      await drainFaults(() =>
        api('POST', '/pulls', { title: 'drain', head: 'no-such-branch', base: 'main' }),
      );
      const healthy = await fixture.run();
      expect(healthy.exitCode, describeRun(healthy)).toBe(0);
      await expectBranchesAt('main-11');
      expect(openPulls()).toHaveLength(1);
      expect(openPulls()[0]?.title).toContain('main-11');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a pull request branch moved by someone else between read and update: re-read, their commit kept in history, newest tag written',
    async () => {
      const first = await fixture.run();
      expect(first.exitCode, describeRun(first)).toBe(0);
      await expectBranchesAt('main-10');
      const [pull] = openPulls();

      await fixture.push('main-11');
      let theirs = '';
      fixture.github.addFaults({
        method: 'PATCH',
        path: refPath(BRANCH),
        before: async () => {
          theirs = await fixture.github.commit(
            BRANCH,
            { 'helm/NOTES.md': 'reviewed by a human\n' },
            'Note from a reviewer',
          );
        },
      });
      const second = await fixture.run();
      expect(second.exitCode, describeRun(second)).toBe(0);
      expect(theirs).not.toBe('');
      expect(operations('PATCH', 'git/update-ref')).toEqual([422, 200]);
      expect(await fixture.isAncestor(theirs, BRANCH)).toBe(true);
      await expectBranchesAt('main-11');
      expect(openPulls().map((open) => open.number)).toEqual([pull?.number]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'push mode: the base branch moved between read and update; re-read and both changes land',
    async () => {
      let theirs = '';
      fixture.github.addFaults({
        method: 'PATCH',
        path: refPath('main'),
        before: async () => {
          theirs = await fixture.github.commit('main', { 'README.md': '# charts\n\nEdited.\n' });
        },
      });
      const run = await fixture.run({ inputs: { mode: 'push' } });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(operations('PATCH', 'git/update-ref')).toEqual([422, 200]);
      expect(await fixture.isAncestor(theirs, 'main')).toBe(true);
      expect(await fixture.github.readFile('main', 'README.md')).toBe('# charts\n\nEdited.\n');
      expect(await fixture.github.readFile('main', OVERRIDE_PATH)).toBe(
        overrideFile(fixture.image, 'main-10'),
      );
      expect(await fixture.updaterBranches()).toEqual({});
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'another run opens the pull request first: adopted and updated, never a duplicate',
    async () => {
      fixture.github.addFaults({
        method: 'POST',
        path: PULLS,
        before: async () => {
          const response = await fetch(`${fixture.github.url}/repos/acme/charts/pulls`, {
            method: 'POST',
            headers: {
              authorization: `token ${fixture.github.token}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ title: 'opened by a parallel run', head: BRANCH, base: 'main' }),
            signal: AbortSignal.timeout(10_000),
          });
          expect(response.status).toBe(201);
        },
      });
      const run = await fixture.run();
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(fixture.github.listPulls()).toHaveLength(1);
      const [pull] = openPulls();
      expect(pull?.title).toBe('chore(images): update app to main-10');
      expect(operations('POST', 'pulls/create').sort()).toEqual([201, 422]);
      await expectBranchesAt('main-10');
    },
    TEST_TIMEOUT_MS,
  );
  it(
    'the branch update of an open pull request fails for good: branch and title keep describing the previous tag; the next run moves both',
    async () => {
      const first = await fixture.run();
      expect(first.exitCode, describeRun(first)).toBe(0);
      const [pull] = openPulls();
      const headBefore = await fixture.github.branchSha(BRANCH);

      await fixture.push('main-11');
      fixture.github.addFaults({ method: 'PATCH', path: refPath(BRANCH), status: 500, times: 50 });
      const failed = await fixture.run();
      expect(failed.exitCode, describeRun(failed)).toBe(1);
      expect(errorLines(failed).join('\n')).toContain(`update branch ${BRANCH}`);
      expect(await fixture.github.branchSha(BRANCH)).toBe(headBefore);
      await expectBranchesAt('main-10');
      expect(openPulls()[0]?.title).toBe('chore(images): update app to main-10');

      await drainFaults(() =>
        api('PATCH', `/git/refs/heads/${BRANCH}`, { sha: headBefore, force: false }),
      );
      const healthy = await fixture.run();
      expect(healthy.exitCode, describeRun(healthy)).toBe(0);
      await expectBranchesAt('main-11');
      expect(openPulls().map((open) => [open.number, open.title])).toEqual([
        [pull?.number, 'chore(images): update app to main-11'],
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'rewriting the pull request text fails for good after the branch moved: the next run brings the title in line with the branch',
    async () => {
      const first = await fixture.run();
      expect(first.exitCode, describeRun(first)).toBe(0);
      const [pull] = openPulls();

      await fixture.push('main-11');
      const pullPath = new RegExp(`/pulls/${pull?.number ?? 0}$`);
      fixture.github.addFaults({ method: 'PATCH', path: pullPath, status: 502, times: 50 });
      const failed = await fixture.run();
      expect(failed.exitCode, describeRun(failed)).toBe(1);
      expect(errorLines(failed).join('\n')).toContain(`update pull request #${pull?.number}`);
      // The branch is on the newest tag: nothing lost, only the text is behind.
      await expectBranchesAt('main-11');

      await drainFaults(() => api('PATCH', `/pulls/${pull?.number ?? 0}`, {}));
      const healthy = await fixture.run();
      expect(healthy.exitCode, describeRun(healthy)).toBe(0);
      await expectBranchesAt('main-11');
      expect(openPulls().map((open) => [open.number, open.title])).toEqual([
        [pull?.number, 'chore(images): update app to main-11'],
      ]);
      expect(openPulls()[0]?.body).toContain('main-11');
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * Uses up what is left of a `times` fault with requests that change nothing (`send` makes one),
 * so the next run meets a healthy server.
 */
async function drainFaults(send: () => Promise<Response>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await send()).status < 500) return;
  }
  throw new Error('the fault did not drain');
}

function api(method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${fixture.github.url}/repos/acme/charts${path}`, {
    method,
    headers: { authorization: `token ${fixture.github.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}
