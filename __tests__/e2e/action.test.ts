/**
 * The bundled action (`dist/index.js`) run the way the Actions runner runs it, on Node 20 and on
 * Node 24, against a real registry and the git-backed GitHub API server. Build first:
 * `npm run build`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { nodeBinaries } from '../harness/action-runner.js';
import {
  BRANCH,
  BUILDS,
  NEWER_BUILD,
  NEWEST_BUILD,
  OVERRIDE_PATH,
  describeRun,
  expectedOverrideFile,
  fixtureFile,
  forcedRefUpdates,
  jsonOutput,
  overrideInputs,
  startScenario,
  type Scenario,
} from './scenario.js';

const TEST_TIMEOUT_MS = 240_000;

describe.each(nodeBinaries())('the bundled action on $name', ({ path: node }) => {
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

  it(
    'opens one pull request, leaves it alone when nothing is new, and updates it for a newer build',
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      const first = await scenario.run({ node, inputs: overrideInputs(scenario) });
      expect(first.exitCode, describeRun(first)).toBe(0);

      expect(scenario.openPulls()).toHaveLength(1);
      const [pull] = scenario.openPulls();
      expect(pull?.head).toBe(BRANCH);
      expect(pull?.base).toBe('main');
      expect(pull?.title).toBe(
        `chore(images): update frontend to ${NEWEST_BUILD} and backend to ${NEWEST_BUILD}`,
      );
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
      );
      // main is untouched until the pull request is merged.
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(
        fixtureFile(OVERRIDE_PATH),
      );

      expect(first.outputs.changed).toBe('true');
      expect(jsonOutput(first, 'updates')).toEqual([
        update('frontend', 'frontend.image', 'lyzhang1999/frontend', scenario.image('frontend')),
        update('frontend', 'frontend.tag', '2682590', NEWEST_BUILD),
        update('backend', 'backend.image', 'lyzhang1999/backend', scenario.image('backend')),
        update('backend', 'backend.tag', '2682590', NEWEST_BUILD),
      ]);
      const branchHead = await scenario.github.branchSha(BRANCH);
      expect(jsonOutput(first, 'pull-requests')).toEqual([
        {
          target: 'example',
          action: 'created',
          number: pull?.number,
          url: expect.stringContaining(`/pull/${pull?.number}`) as unknown,
          branch: BRANCH,
          commit: branchHead,
        },
      ]);

      // Nothing new: no commit, no ref move, no second pull request.
      const mark = scenario.github.requests.length;
      const second = await scenario.run({ node, inputs: overrideInputs(scenario) });
      expect(second.exitCode, describeRun(second)).toBe(0);
      expect(await scenario.github.branchSha(BRANCH)).toBe(branchHead);
      expect(scenario.openPulls().map((open) => open.number)).toEqual([pull?.number]);
      expect(writes(scenario.operations(mark))).toEqual([]);
      expect(jsonOutput(second, 'pull-requests')).toMatchObject([
        { target: 'example', action: 'unchanged', number: pull?.number, commit: branchHead },
      ]);

      // A newer build: the same pull request, its branch rewritten with the new bytes.
      await scenario.push('frontend', [NEWER_BUILD]);
      const third = await scenario.run({ node, inputs: overrideInputs(scenario) });
      expect(third.exitCode, describeRun(third)).toBe(0);
      expect(scenario.github.listPulls()).toHaveLength(1);
      const [updated] = scenario.openPulls();
      expect(updated?.number).toBe(pull?.number);
      expect(updated?.title).toBe(
        `chore(images): update frontend to ${NEWER_BUILD.tag} and backend to ${NEWEST_BUILD}`,
      );
      expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        expectedOverrideFile(scenario.host, NEWER_BUILD.tag, NEWEST_BUILD),
      );
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      expect(jsonOutput(third, 'pull-requests')).toMatchObject([
        { target: 'example', action: 'updated', number: pull?.number, branch: BRANCH },
      ]);
      expect(scenario.operations().filter((op) => op.startsWith('POST pulls/create'))).toEqual([
        'POST pulls/create 201',
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'merges at once with mode merge',
    async () => {
      const run = await scenario.run({
        node,
        inputs: { ...overrideInputs(scenario), mode: 'merge' },
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(
        expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
      );
      const pulls = scenario.github.listPulls();
      expect(pulls).toHaveLength(1);
      expect(pulls[0]?.merged).toBe(true);
      expect(pulls[0]?.state).toBe('closed');
      expect(jsonOutput(run, 'pull-requests')).toMatchObject([
        { target: 'example', action: 'merged', number: pulls[0]?.number },
      ]);
      expect(scenario.operations()).toContain('PUT pulls/merge 200');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'commits to main with mode push and opens no pull request',
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      const run = await scenario.run({
        node,
        inputs: { ...overrideInputs(scenario), mode: 'push' },
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(
        expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
      );
      expect(await scenario.github.branchSha('main')).not.toBe(mainBefore);
      expect(scenario.github.listPulls()).toEqual([]);
      expect(await scenario.github.branchSha(BRANCH)).toBeUndefined();
      const head = await scenario.github.branchSha('main');
      expect(jsonOutput(run, 'pull-requests')).toMatchObject([
        { target: 'example', action: 'pushed', commit: head },
      ]);
      expect(run.outputs.changed).toBe('true');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'writes nothing with mode dry-run and shows the plan in the summary',
    async () => {
      const mainBefore = await scenario.github.branchSha('main');
      const run = await scenario.run({
        node,
        inputs: { ...overrideInputs(scenario), mode: 'dry-run' },
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      expect(await scenario.github.branchSha(BRANCH)).toBeUndefined();
      expect(scenario.github.listPulls()).toEqual([]);
      expect(writes(scenario.operations())).toEqual([]);
      expect(run.outputs.changed).toBe('true');
      expect(run.summary).toContain('dry-run');
      expect(run.summary).toContain(`\`2682590\` → \`${NEWEST_BUILD}\``);
      expect(run.summary).toContain('frontend');
      expect(run.summary).toContain('backend');
    },
    TEST_TIMEOUT_MS,
  );
});

function update(image: string, key: string, from: string, to: string): Record<string, unknown> {
  return {
    target: 'example',
    image,
    file: OVERRIDE_PATH,
    key,
    from,
    to,
    digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/) as unknown,
  };
}

/**
 * Operations that change what the repository shows: refs, commits, pull requests. Blobs and
 * trees alone are unreachable objects (the publisher builds a tree to compare it with the branch).
 */
function writes(operations: readonly string[]): string[] {
  return operations.filter(
    (operation) =>
      !operation.startsWith('GET ') &&
      !operation.startsWith('POST git/create-blob ') &&
      !operation.startsWith('POST git/create-tree '),
  );
}
