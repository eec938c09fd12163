/**
 * Runs of the bundled action that start at the same moment against one chart repository: ref
 * updates are compare-and-swap, so whichever order the runs land in, no update is lost, no
 * second pull request is opened and nobody else's commit is overwritten.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ActionRun } from '../harness/action-runner.js';
import {
  BRANCH,
  BUILDS,
  NEWEST_BUILD,
  OVERRIDE_PATH,
  describeRun,
  expectedOverrideFile,
  fixtureFile,
  forcedRefUpdates,
  overrideInputs,
  startScenario,
  type Scenario,
} from './scenario.js';

const execFileAsync = promisify(execFile);
const TEST_TIMEOUT_MS = 300_000;
const CONCURRENT_RUNS = 10;
/** Older builds than NEWEST_BUILD, by build time. */
const OLDER_BUILDS = ['main-b99bc73', 'main-f00dbab'];

/** The override file with only frontend moved to `tag` (backend is not named by the events). */
function frontendOnly(scenario: Scenario, tag: string): string {
  return fixtureFile(OVERRIDE_PATH)
    .replace('value: lyzhang1999/frontend', `value: ${scenario.image('frontend')}`)
    .replace('value: "2682590"', `value: "${tag}"`);
}

describe('concurrent runs of the bundled action', () => {
  let scenario: Scenario;

  beforeEach(async () => {
    scenario = await startScenario();
    await scenario.push('frontend', BUILDS);
    await scenario.push('backend', BUILDS);
  });

  afterEach(async () => {
    expect(scenario.github.violations).toEqual([]);
    expect(forcedRefUpdates(scenario.calls)).toEqual([]);
    await scenario.close();
  });

  function dispatchRun(tag: string): Promise<ActionRun> {
    return scenario.run({
      node: process.execPath,
      inputs: overrideInputs(scenario),
      eventName: 'repository_dispatch',
      event: {
        action: 'image-pushed',
        client_payload: { image: scenario.image('frontend'), tag },
      },
    });
  }

  function createdPulls(): string[] {
    return scenario.operations().filter((operation) => operation.startsWith('POST pulls/create'));
  }

  it(
    'two dispatches at once, an older and a newer tag, end in one pull request with the newer',
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      holdUntilTogether(scenario, 'POST', CREATE_REF, 2);
      const runs = await Promise.all([
        dispatchRun(OLDER_BUILDS[0] ?? ''),
        dispatchRun(NEWEST_BUILD),
      ]);
      for (const run of runs) expect(run.exitCode, describeRun(run)).toBe(0);

      expect(scenario.github.listPulls()).toHaveLength(1);
      expect(scenario.openPulls().map((pull) => pull.head)).toEqual([BRANCH]);
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        frontendOnly(scenario, NEWEST_BUILD),
      );
      expect(scenario.openPulls()[0]?.title).toBe(
        `chore(images): update frontend to ${NEWEST_BUILD}`,
      );
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      // Both created the branch at once; one lost the compare-and-swap and read it again.
      expect(scenario.operations()).toContain('POST git/create-ref 422');
      expect(createdPulls().filter((operation) => operation.endsWith(' 201'))).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a run that read the branch before the other run opened its pull request does not replace the newer tag',
    async () => {
      // The interleaving the simultaneous race above can hit, pinned: the newest run has created
      // the branch and not yet opened the pull request when the older run reads the unit; the
      // newest run then opens the pull request and ends before the older run writes.
      const newestAtPullCreate = signal();
      const releaseNewest = signal();
      const olderAtBranchUpdate = signal();
      const newestDone = signal();
      scenario.github.addFaults(
        {
          method: 'POST',
          path: /\/pulls$/,
          before: async () => {
            newestAtPullCreate.fire();
            await releaseNewest.fired;
          },
        },
        {
          method: 'PATCH',
          path: UPDATE_BRANCH,
          before: async () => {
            olderAtBranchUpdate.fire();
            await newestDone.fired;
          },
        },
      );
      const newest = dispatchRun(NEWEST_BUILD);
      await within(newestAtPullCreate.fired, 'the newest run to reach pulls/create');
      const older = dispatchRun(OLDER_BUILDS[0] ?? '');
      // A correct run may see the newer tag and never update the branch.
      await within(
        Promise.race([olderAtBranchUpdate.fired, older.then(() => undefined)]),
        'the older run to update the branch or end',
      );
      releaseNewest.fire();
      const newestRun = await newest;
      newestDone.fire();
      const olderRun = await older;
      for (const run of [newestRun, olderRun]) expect(run.exitCode, describeRun(run)).toBe(0);

      expect(scenario.github.listPulls()).toHaveLength(1);
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        frontendOnly(scenario, NEWEST_BUILD),
      );
      expect(scenario.openPulls()[0]?.title).toBe(
        `chore(images): update frontend to ${NEWEST_BUILD}`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'two runs updating an open pull request at once: one moves the branch, the other rereads it',
    async () => {
      // An open pull request with the oldest build.
      const opening = await dispatchRun('main-f00dbab');
      expect(opening.exitCode, describeRun(opening)).toBe(0);
      const [pull] = scenario.openPulls();
      const headBefore = await scenario.github.branchSha(BRANCH);
      const mainBefore = await scenario.github.branchSha('main');

      // Both newer than the pull request; both try to move its branch in the same instant.
      holdUntilTogether(scenario, 'PATCH', UPDATE_BRANCH, 2);
      const runs = await Promise.all([dispatchRun('main-b99bc73'), dispatchRun(NEWEST_BUILD)]);
      for (const run of runs) expect(run.exitCode, describeRun(run)).toBe(0);

      expect(scenario.github.listPulls().map((entry) => entry.number)).toEqual([pull?.number]);
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        frontendOnly(scenario, NEWEST_BUILD),
      );
      expect(scenario.openPulls()[0]?.title).toBe(
        `chore(images): update frontend to ${NEWEST_BUILD}`,
      );
      expect(scenario.operations()).toContain('PATCH git/update-ref 422');
      expect(await isAncestor(scenario, headBefore ?? '', BRANCH)).toBe(true);
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `${CONCURRENT_RUNS} runs at once against one target end in one pull request with the newest tag`,
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      // Schedules and dispatches of older and newest tags, all at the same moment.
      holdUntilTogether(scenario, 'POST', CREATE_REF, 2);
      const runs = await Promise.all(
        Array.from({ length: CONCURRENT_RUNS }, (_, index) => {
          if (index % 3 === 0) return dispatchRun(OLDER_BUILDS[index % 2] ?? '');
          if (index % 3 === 1) return dispatchRun(NEWEST_BUILD);
          return scenario.run({
            node: process.execPath,
            inputs: {
              ...overrideInputs(scenario),
              images: `frontend=${scenario.image('frontend')}`,
            },
          });
        }),
      );
      for (const run of runs) expect(run.exitCode, describeRun(run)).toBe(0);

      expect(scenario.github.listPulls()).toHaveLength(1);
      expect(scenario.openPulls().map((pull) => pull.head)).toEqual([BRANCH]);
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        frontendOnly(scenario, NEWEST_BUILD),
      );
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      expect(scenario.operations()).toContain('POST git/create-ref 422');
      expect(createdPulls().filter((operation) => operation.endsWith(' 201'))).toHaveLength(1);
      // The branch only ever moved forward: every commit on it descends from main.
      expect(await isAncestor(scenario, mainBefore ?? '', BRANCH)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `${CONCURRENT_RUNS} runs at once in push mode: main gets the newest tag and keeps another writer's commit`,
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      // Someone else commits to main just as the first run moves it: that update must fail
      // (not force), the run must read main again, and the other commit must survive.
      let otherCommit: string | undefined;
      scenario.github.addFaults({
        method: 'PATCH',
        path: /\/git\/refs\/heads(%2F|\/)main$/,
        before: async () => {
          otherCommit = await commitWithRetry(scenario, 'main', {
            'README.md': '# charts\n\nEdited by hand while the updater ran.\n',
          });
        },
      });
      const runs = await Promise.all(
        Array.from({ length: CONCURRENT_RUNS }, () =>
          scenario.run({
            node: process.execPath,
            inputs: { ...overrideInputs(scenario), mode: 'push' },
          }),
        ),
      );
      for (const run of runs) expect(run.exitCode, describeRun(run)).toBe(0);

      expect(otherCommit).toBeDefined();
      expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(
        expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
      );
      expect(await scenario.github.readFile('main', 'README.md')).toBe(
        '# charts\n\nEdited by hand while the updater ran.\n',
      );
      expect(await isAncestor(scenario, otherCommit ?? '', 'main')).toBe(true);
      expect(await isAncestor(scenario, mainBefore ?? '', 'main')).toBe(true);
      expect(scenario.github.listPulls()).toEqual([]);

      // Exactly one run committed the update; the others found main already current.
      const log = await git(scenario, ['log', '--format=%an', `${mainBefore}..main`]);
      const authors = log.split('\n').filter(Boolean);
      expect(authors.filter((author) => author === 'someone-else')).toHaveLength(1);
      // (Two runs may build the very same commit in the same second; the second ref update is then
      // a no-op fast-forward, which is why this counts commits, not successful ref updates.)
      expect(authors).toHaveLength(2);
      // The update that raced the other writer was refused, not forced.
      expect(scenario.operations()).toContain('PATCH git/update-ref 422');
    },
    TEST_TIMEOUT_MS,
  );
});

const CREATE_REF = /\/git\/refs$/;
const UPDATE_BRANCH = /\/git\/refs\/heads(%2F|\/)helm-image-updater(%2F|\/)example$/;
const BARRIER_TIMEOUT_MS = 60_000;

/**
 * Holds the first `count` matching requests until all of them have arrived (or a minute has
 * passed), then lets them through together: the runs really do collide at that step, however
 * the scheduler happened to start them.
 */
function holdUntilTogether(scenario: Scenario, method: string, path: RegExp, count: number): void {
  let arrived = 0;
  let release: () => void = () => undefined;
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  const timer = setTimeout(release, BARRIER_TIMEOUT_MS);
  scenario.github.addFaults({
    method,
    path,
    times: count,
    before: async () => {
      arrived += 1;
      if (arrived >= count) {
        clearTimeout(timer);
        release();
      }
      await together;
    },
  });
}

function signal(): { fire: () => void; fired: Promise<void> } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
}

async function within(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}`)),
      BARRIER_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function git(scenario: Scenario, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['--git-dir', scenario.github.gitDir, ...args], {
    timeout: 10_000,
  });
  return stdout;
}

async function isAncestor(scenario: Scenario, ancestor: string, ref: string): Promise<boolean> {
  try {
    await git(scenario, ['merge-base', '--is-ancestor', ancestor, `refs/heads/${ref}`]);
    return true;
  } catch {
    return false;
  }
}

/** `github.commit` refuses when the branch moved under it; concurrent runs may do exactly that. */
async function commitWithRetry(
  scenario: Scenario,
  branch: string,
  files: Record<string, string>,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await scenario.github.commit(branch, files, 'Edit README by hand');
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}
