/**
 * The bundled action (`dist/index.js`) run the way the Actions runner runs it, on Node 20 and on
 * Node 24, against a real registry and the git-backed GitHub API server. Build first:
 * `npm run bundle`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { nodeBinaries } from '../harness/action-runner.js';
import type { GitHubServerOptions } from '../harness/github/index.js';
import type { RegistryOptions } from '../harness/registry/index.js';
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
  helmChartFiles,
  jsonOutput,
  overrideInputs,
  sourceRevision,
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
      // The body links each new image to the commit its labels name.
      for (const name of ['frontend', 'backend']) {
        expect(pull?.body).toContain(
          `https://github.com/lyzhang1999/${name}/commit/${sourceRevision(name, NEWEST_BUILD)}`,
        );
      }
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
      // The pull request already holds the values: this run changed nothing.
      expect(second.outputs.changed).toBe('false');

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
      expect(updated?.body).toContain(sourceRevision('frontend', NEWER_BUILD.tag));
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

describe.each(nodeBinaries())('chart layouts on $name', ({ path: node }) => {
  it(
    'opens one pull request per environment from the config file, each with its own policy',
    async () => {
      await withScenario(valuesLayoutFiles, async (scenario) => {
        await scenario.push('frontend', [...BUILDS, ...RELEASES]);
        // The config file names the image by its local-registry repository.
        await scenario.github.commit('main', {
          [CONFIG_FILE]: valuesConfig(scenario.image('frontend')),
        });
        const mainBefore = await scenario.github.branchSha('main');
        const run = await scenario.run({ node });
        expect(run.exitCode, describeRun(run)).toBe(0);

        const expected: Record<string, string> = {
          dev: NEWEST_BUILD,
          prod: NEWEST_RELEASE_1,
          staging: NEWEST_BUILD,
          test: NEWEST_BUILD,
        };
        const pulls = scenario.openPulls();
        expect(pulls.map((pull) => pull.head).sort()).toEqual(
          Object.keys(expected).map((env) => `helm-image-updater/environments/${env}`),
        );
        for (const [env, tag] of Object.entries(expected)) {
          const branch = `helm-image-updater/environments/${env}`;
          const file = `helm-env/env/${env}/values.yaml`;
          // Only the two value lines change; the file keeps its missing final newline.
          expect(await scenario.github.readFile(branch, file), env).toBe(
            `frontend:\n  image: ${scenario.image('frontend')}\n  tag: ${tag}`,
          );
          expect(pulls.find((pull) => pull.head === branch)?.title).toBe(
            `chore(images): update frontend to ${tag} (${env})`,
          );
          // Each branch changes its own environment's file only.
          for (const other of Object.keys(expected).filter((name) => name !== env)) {
            const otherFile = `helm-env/env/${other}/values.yaml`;
            expect(await scenario.github.readFile(branch, otherFile)).toBe(fixtureFile(otherFile));
          }
        }
        expect(await scenario.github.branchSha('main')).toBe(mainBefore);
        const updates = jsonOutput(run, 'updates') as {
          environment: string;
          key: string;
          to: string;
        }[];
        expect(
          updates
            .filter((entry) => entry.key === 'frontend.tag')
            .map((entry) => [entry.environment, entry.to]),
        ).toEqual(Object.entries(expected));
        expect(jsonOutput(run, 'pull-requests')).toHaveLength(4);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reads an existing argocd-image-updater Application with config-source argocd',
    async () => {
      await withScenario(argocdLayoutFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        await scenario.push('backend', BUILDS);
        // The one line a local test must change: the images live in the local registry, not on Docker Hub.
        const application = fixtureFile('application.yaml');
        const imageList =
          'argocd-image-updater.argoproj.io/image-list: frontend=lyzhang1999/frontend, backend=lyzhang1999/backend';
        expect(application).toContain(imageList);
        await scenario.github.commit('main', {
          'application.yaml': application.replace(
            imageList,
            `argocd-image-updater.argoproj.io/image-list: frontend=${scenario.image('frontend')}, backend=${scenario.image('backend')}`,
          ),
        });
        const run = await scenario.run({ node, inputs: { 'config-source': 'argocd' } });
        expect(run.exitCode, describeRun(run)).toBe(0);
        const pulls = scenario.openPulls();
        expect(pulls).toHaveLength(1);
        // spec.source.path is `.`: the override file sits at the repository root.
        expect(
          await scenario.github.readFile(pulls[0]?.head ?? '', '.argocd-source-example.yaml'),
        ).toBe(expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD));
        expect(pulls[0]?.title).toBe(
          `chore(images): update frontend to ${NEWEST_BUILD} and backend to ${NEWEST_BUILD}`,
        );
        // The cluster pull secret cannot be read here; the run says so instead of failing.
        expect(run.stdout).toContain('pull-secret');
      });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('caching, publishing paths and failures of the bundled action', () => {
  const node = process.execPath;

  it(
    'keeps tag metadata between runs: a later run fetches manifests only for the new tag',
    async () => {
      const runnerTemp = await mkdtemp(path.join(os.tmpdir(), 'e2e-runner-temp-'));
      try {
        await withScenario(helmChartFiles, async (scenario) => {
          await scenario.push('frontend', BUILDS);
          await scenario.push('backend', BUILDS);
          // Outside Actions the cache service is absent; the metadata stays in RUNNER_TEMP.
          const cached = {
            node,
            inputs: { ...overrideInputs(scenario), cache: 'true' },
            env: { RUNNER_TEMP: runnerTemp },
          };
          const mainTags = BUILDS.filter((build) => build.tag.startsWith('main-')).length;

          await scenario.registry.resetRequestCounts();
          const cold = await scenario.run(cached);
          expect(cold.exitCode, describeRun(cold)).toBe(0);
          const coldCounts = (await scenario.registry.requestCounts()).byKind;
          expect(coldCounts['GET manifest']).toBe(2 * mainTags);
          expect(coldCounts['GET blob']).toBe(2 * mainTags);

          await scenario.push('frontend', [NEWER_BUILD]);
          await scenario.registry.resetRequestCounts();
          const warm = await scenario.run(cached);
          expect(warm.exitCode, describeRun(warm)).toBe(0);
          const warmCounts = (await scenario.registry.requestCounts()).byKind;
          expect(warmCounts['GET tags']).toBe(2);
          expect(warmCounts['GET manifest']).toBe(1);
          expect(warmCounts['GET blob']).toBe(1);
          expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
            expectedOverrideFile(scenario.host, NEWER_BUILD.tag, NEWEST_BUILD),
          );
        });
      } finally {
        await rm(runnerTemp, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    { input: 'mode', value: 'sideways', message: 'input mode: mode `sideways` is not one of' },
    {
      input: 'allow-tags',
      value: 'regexp:main-(',
      message: 'input allow-tags: allow-tags regular expression "main-(" is invalid',
    },
    {
      input: 'update-strategy',
      value: 'newest',
      message: 'input update-strategy: update strategy "newest" is unknown',
    },
  ])(
    'rejects $input: $value before asking the registry anything',
    async ({ input, value, message }) => {
      await withScenario(helmChartFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        await scenario.push('backend', BUILDS);
        const mainBefore = await scenario.github.branchSha('main');
        await scenario.registry.resetRequestCounts();
        const run = await scenario.run({
          node,
          inputs: { ...overrideInputs(scenario), [input]: value },
        });
        expect(run.exitCode, describeRun(run)).toBe(1);
        const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
        expect(errors.join('\n')).toContain(message);
        expect((await scenario.registry.requestCounts()).total).toBe(0);
        expect(scenario.operations().filter((operation) => !operation.startsWith('GET '))).toEqual(
          [],
        );
        expect(await scenario.github.branchSha('main')).toBe(mainBefore);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'labels the pull request and asks the configured reviewers',
    async () => {
      await withScenario(helmChartFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        await scenario.push('backend', BUILDS);
        const run = await scenario.run({
          node,
          inputs: {
            ...overrideInputs(scenario),
            labels: 'dependencies, images',
            reviewers: 'octocat',
          },
        });
        expect(run.exitCode, describeRun(run)).toBe(0);
        const [pull] = scenario.openPulls();
        expect([...(pull?.labels ?? [])].sort()).toEqual(['dependencies', 'images']);
        expect(pull?.requestedReviewers).toEqual(['octocat']);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'closes its pull request with a comment once main already has the tags',
    async () => {
      await withScenario(helmChartFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        await scenario.push('backend', BUILDS);
        const first = await scenario.run({ node, inputs: overrideInputs(scenario) });
        expect(first.exitCode, describeRun(first)).toBe(0);
        const [pull] = scenario.openPulls();
        expect(pull).toBeDefined();

        // Someone lands the same values on main by hand.
        const desired = expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD);
        await scenario.github.commit('main', { [OVERRIDE_PATH]: desired });
        const mainAfterHand = await scenario.github.branchSha('main');
        const second = await scenario.run({ node, inputs: overrideInputs(scenario) });
        expect(second.exitCode, describeRun(second)).toBe(0);

        expect(scenario.openPulls()).toEqual([]);
        const closed = scenario.github.listPulls().find((entry) => entry.number === pull?.number);
        expect(closed?.state).toBe('closed');
        expect(closed?.merged).toBe(false);
        expect(closed?.comments.map((comment) => comment.body).join('\n')).toContain(
          'already has the image tags',
        );
        expect(await scenario.github.branchSha('main')).toBe(mainAfterHand);
        expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(desired);
        expect(jsonOutput(second, 'pull-requests')).toMatchObject([
          { target: 'example', action: 'closed', number: pull?.number },
        ]);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps the pull request open with a warning when the repository does not allow auto-merge',
    async () => {
      await withScenario(helmChartFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        await scenario.push('backend', BUILDS);
        const mainBefore = await scenario.github.branchSha('main');
        const run = await scenario.run({
          node,
          inputs: { ...overrideInputs(scenario), mode: 'auto-merge' },
        });
        expect(run.exitCode, describeRun(run)).toBe(0);
        expect(scenario.openPulls()).toHaveLength(1);
        expect(scenario.openPulls()[0]?.autoMerge).toBeNull();
        expect(await scenario.github.branchSha('main')).toBe(mainBefore);
        expect(run.stdout).toMatch(
          /::warning::Auto-merge could not be enabled on #1 .*Allow auto-merge/,
        );
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'merges at once in auto-merge mode when nothing is left to wait for',
    async () => {
      await withScenario(
        helmChartFiles,
        async (scenario) => {
          await scenario.push('frontend', BUILDS);
          await scenario.push('backend', BUILDS);
          const run = await scenario.run({
            node,
            inputs: { ...overrideInputs(scenario), mode: 'auto-merge' },
          });
          expect(run.exitCode, describeRun(run)).toBe(0);
          expect(scenario.github.listPulls()).toMatchObject([{ state: 'closed', merged: true }]);
          expect(await scenario.github.readFile('main', OVERRIDE_PATH)).toBe(
            expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
          );
        },
        { allowAutoMerge: true },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails the step for an image it cannot resolve and still publishes the one it can',
    async () => {
      await withScenario(helmChartFiles, async (scenario) => {
        await scenario.push('frontend', BUILDS);
        // backend was never pushed: its repository does not exist in the registry.
        const run = await scenario.run({ node, inputs: overrideInputs(scenario) });
        expect(run.exitCode, describeRun(run)).toBe(1);
        expect(run.stdout).toMatch(/::error::.*backend/);
        const pulls = scenario.openPulls();
        expect(pulls).toHaveLength(1);
        expect(pulls[0]?.title).toBe(`chore(images): update frontend to ${NEWEST_BUILD}`);
        const written = await scenario.github.readFile(BRANCH, OVERRIDE_PATH);
        expect(written).toBe(
          fixtureFile(OVERRIDE_PATH)
            .replace('value: lyzhang1999/frontend', `value: ${scenario.image('frontend')}`)
            .replace('value: "2682590"', `value: "${NEWEST_BUILD}"`),
        );
        expect(run.outputs.changed).toBe('true');
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reads a registry behind TLS with a private CA and token auth, and never prints the password',
    async () => {
      const password = 'pull-only-Secret-42';
      await withScenario(
        helmChartFiles,
        async (scenario) => {
          await scenario.push('frontend', BUILDS);
          await scenario.push('backend', BUILDS);
          const run = await scenario.run({
            node,
            inputs: {
              ...overrideInputs(scenario),
              'insecure-registries': '',
              'ca-file': scenario.registry.caFile ?? '',
              'registry-credentials': `${scenario.host}=env:REGISTRY_LOGIN`,
            },
            env: { REGISTRY_LOGIN: `puller:${password}` },
          });
          expect(run.exitCode, describeRun(run)).toBe(0);
          expect(await scenario.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
            expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD),
          );
          // Announced for masking (the runner hides it), and nowhere else.
          const lines = `${run.stdout}\n${run.stderr}`.split('\n');
          expect(
            lines
              .filter((line) => line.includes(password))
              .every((line) => line.startsWith('::add-mask::')),
          ).toBe(true);
          expect(lines.some((line) => line === `::add-mask::${password}`)).toBe(true);
          for (const pull of scenario.github.listPulls()) {
            expect(pull.body ?? '').not.toContain(password);
          }
          expect(run.summary).not.toContain(password);
          // Tokens were asked with the exact pull scope of each repository, with the credentials.
          const scopes = scenario.registry.tokenRequests
            .filter((request) => request.status === 200)
            .map((request) => request.scope);
          expect(scopes).toContain('repository:lyzhang1999/frontend:pull');
          expect(scopes).toContain('repository:lyzhang1999/backend:pull');
          expect(
            scenario.registry.tokenRequests.every((request) => request.username === 'puller'),
          ).toBe(true);
        },
        {},
        { tls: true, auth: 'token', users: { admin: 'admin-secret', puller: password } },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

const CONFIG_FILE = '.github/helm-image-updater.yml';

/** Semver releases: by name v1.9.3 sorts last, by time v1.2.0 is newest; semver ^1 wants v1.10.0. */
const RELEASES: readonly { tag: string; created: string }[] = [
  { tag: 'v1.10.0', created: '2024-04-01T10:00:00Z' },
  { tag: 'v1.9.3', created: '2024-04-05T10:00:00Z' },
  { tag: 'v1.2.0', created: '2024-04-10T10:00:00Z' },
  { tag: 'v1.11.0-rc.1', created: '2024-04-12T10:00:00Z' },
  { tag: 'v2.0.0', created: '2024-04-20T10:00:00Z' },
];
const NEWEST_RELEASE_1 = 'v1.10.0';

function valuesConfig(repository: string): string {
  return `images:
  frontend: { repository: ${repository}, strategy: newest-build, allow-tags: "regexp:^main-" }
targets:
  - name: environments
    type: values
    files: helm-env/env/*/values.yaml
    images: [frontend]
    environments:
      prod: { strategy: semver, constraint: "^1", allow-tags: any }
      dev: {}
`;
}

/** The ApplicationSet layout of the sample project: \`helm-env/env/<name>/values.yaml\`. */
function valuesLayoutFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of [
    'helm-env/Chart.yaml',
    'helm-env/applicationset.yaml',
    'helm-env/templates/frontend.yaml',
    'helm-env/env/dev/values.yaml',
    'helm-env/env/prod/values.yaml',
    'helm-env/env/staging/values.yaml',
    'helm-env/env/test/values.yaml',
  ]) {
    files[file] = fixtureFile(file);
  }
  return files;
}

/** The chart at the root, where the Application's \`spec.source.path: .\` points. */
function argocdLayoutFiles(): Record<string, string> {
  return {
    'application.yaml': fixtureFile('application.yaml'),
    'Chart.yaml': fixtureFile('helm/Chart.yaml'),
    'values.yaml': fixtureFile('helm/values.yaml'),
    '.argocd-source-example.yaml': fixtureFile('helm/.argocd-source-example.yaml'),
    'templates/frontend.yaml': fixtureFile('helm/templates/frontend.yaml'),
    'templates/backend.yaml': fixtureFile('helm/templates/backend.yaml'),
    ...valuesLayoutFiles(),
  };
}

async function withScenario(
  files: () => Record<string, string>,
  body: (scenario: Scenario) => Promise<void>,
  github: Omit<GitHubServerOptions, 'files'> = {},
  registry: RegistryOptions = {},
): Promise<void> {
  const scenario = await startScenario({ files: files(), github, registry });
  try {
    await body(scenario);
    expect(scenario.github.violations).toEqual([]);
    expect(forcedRefUpdates(scenario.calls)).toEqual([]);
  } finally {
    await scenario.close();
  }
}

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
