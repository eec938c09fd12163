/**
 * Events that name one image (repository_dispatch, registry_package) and the build-finished
 * event (workflow_run), run through the bundled action against a real registry and the
 * git-backed GitHub API server. A payload is untrusted: every bad one fails the step with a
 * message that says what is wrong, and nothing is written to the chart repository.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BUILDS,
  OVERRIDE_PATH,
  describeRun,
  fixtureFile,
  forcedRefUpdates,
  helmChartFiles,
  startScenario,
  type Scenario,
} from './scenario.js';

const TEST_TIMEOUT_MS = 120_000;
const CONFIG_FILE = '.github/helm-image-updater.yml';
const ENVIRONMENTS = ['dev', 'prod'] as const;
/** Neither the newest build by time (main-1a2b3c4) nor by name (main-f00dbab): only a payload picks it. */
const PAYLOAD_TAG = 'main-b99bc73';

/** Two targets: the override file uses both images, the environments use frontend only. */
function configFile(scenario: Scenario): string {
  return `images:
  frontend: { repository: ${scenario.image('frontend')} }
  backend: { repository: ${scenario.image('backend')} }
targets:
  - name: example
    type: argocd-override
    path: helm
    app: example
    images: [frontend, backend]
  - name: environments
    type: values
    files: helm-env/env/*/values.yaml
    images: [frontend]
`;
}

function chartFiles(): Record<string, string> {
  const files = helmChartFiles();
  for (const env of ENVIRONMENTS) {
    const file = `helm-env/env/${env}/values.yaml`;
    files[file] = fixtureFile(file);
  }
  return files;
}

function dispatch(clientPayload: unknown, action = 'image-pushed'): object {
  return { action, client_payload: clientPayload, repository: { full_name: 'acme/charts' } };
}

describe('image events through the bundled action', () => {
  let scenario: Scenario;
  let digests: Map<string, string>;
  let mainBefore: string | undefined;

  beforeEach(async () => {
    scenario = await startScenario({ files: chartFiles() });
    digests = new Map();
    for (const name of ['frontend', 'backend']) {
      const pushed = await scenario.push(name, BUILDS);
      BUILDS.forEach((build, index) =>
        digests.set(`${name}:${build.tag}`, pushed[index]?.digest ?? ''),
      );
    }
    await scenario.github.commit('main', { [CONFIG_FILE]: configFile(scenario) });
    mainBefore = await scenario.github.branchSha('main');
  });

  afterEach(async () => {
    expect(scenario.github.violations).toEqual([]);
    expect(forcedRefUpdates(scenario.calls)).toEqual([]);
    await scenario.close();
  });

  /** Nothing reached the repository: main where it was, no branch, no pull request, no commit. */
  async function expectNothingWritten(): Promise<void> {
    expect(await scenario.github.branchSha('main')).toBe(mainBefore);
    expect(await scenario.github.branchSha('helm-image-updater/example')).toBeUndefined();
    for (const env of ENVIRONMENTS) {
      expect(
        await scenario.github.branchSha(`helm-image-updater/environments/${env}`),
      ).toBeUndefined();
    }
    expect(scenario.github.listPulls()).toEqual([]);
    expect(
      scenario
        .operations()
        .filter((operation) => !operation.startsWith('GET '))
        .filter((operation) => !/^POST git\/create-(blob|tree) /.test(operation)),
    ).toEqual([]);
    expect(
      scenario.calls.filter((call) => call.method !== 'GET' && !call.path.endsWith('/graphql')),
    ).toEqual([]);
  }

  it(
    'repository_dispatch writes the payload tag for the targets that use that image only',
    async () => {
      const digest = digests.get(`backend:${PAYLOAD_TAG}`);
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'repository_dispatch',
        event: dispatch({ image: scenario.image('backend'), tag: PAYLOAD_TAG, digest }),
      });
      expect(run.exitCode, describeRun(run)).toBe(0);

      const pulls = scenario.openPulls();
      expect(pulls.map((pull) => pull.head)).toEqual(['helm-image-updater/example']);
      expect(pulls[0]?.title).toBe(`chore(images): update backend to ${PAYLOAD_TAG}`);
      // frontend is not named by the event: its lines stay as they were.
      expect(await scenario.github.readFile('helm-image-updater/example', OVERRIDE_PATH)).toBe(
        `helm:
  parameters:
  - name: frontend.image
    value: lyzhang1999/frontend
    forcestring: true
  - name: frontend.tag
    value: "2682590"
    forcestring: true
  - name: backend.image
    value: ${scenario.image('backend')}
    forcestring: true
  - name: backend.tag
    value: "${PAYLOAD_TAG}"
    forcestring: true
`,
      );
      for (const env of ENVIRONMENTS) {
        expect(
          await scenario.github.branchSha(`helm-image-updater/environments/${env}`),
        ).toBeUndefined();
      }
      expect(JSON.parse(run.outputs.updates ?? '[]')).toEqual([
        expect.objectContaining({ image: 'backend', key: 'backend.image' }),
        expect.objectContaining({
          image: 'backend',
          key: 'backend.tag',
          from: '2682590',
          to: PAYLOAD_TAG,
          digest,
        }),
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'repository_dispatch for an image of both targets updates both',
    async () => {
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'repository_dispatch',
        event: dispatch({ image: scenario.image('frontend'), tag: PAYLOAD_TAG }),
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(
        scenario
          .openPulls()
          .map((pull) => pull.head)
          .sort(),
      ).toEqual([
        'helm-image-updater/environments/dev',
        'helm-image-updater/environments/prod',
        'helm-image-updater/example',
      ]);
      for (const env of ENVIRONMENTS) {
        expect(
          await scenario.github.readFile(
            `helm-image-updater/environments/${env}`,
            `helm-env/env/${env}/values.yaml`,
          ),
        ).toBe(`frontend:\n  image: ${scenario.image('frontend')}\n  tag: ${PAYLOAD_TAG}`);
      }
    },
    TEST_TIMEOUT_MS,
  );

  const badPayloads: {
    name: string;
    payload: (scenario: Scenario, digests: Map<string, string>) => unknown;
    message: (scenario: Scenario, digests: Map<string, string>) => string;
  }[] = [
    {
      name: 'an image that is not configured',
      payload: (s) => ({ image: s.image('database'), tag: PAYLOAD_TAG }),
      message: (s) =>
        `image "${s.image('database')}" is not configured for any target (configured: ${s.image('frontend')}, ${s.image('backend')}); nothing was written`,
    },
    {
      name: 'a tag with a newline and shell characters',
      payload: (s) => ({ image: s.image('backend'), tag: 'main-1\n$(touch /tmp/pwned); `id`' }),
      message: () =>
        'client_payload.tag must be an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}); got "main-1\\n$(touch /tmp/pwned); `id`"',
    },
    {
      name: 'a tag with a semicolon',
      payload: (s) => ({ image: s.image('backend'), tag: 'main;reboot' }),
      message: () => 'client_payload.tag must be an OCI tag',
    },
    {
      name: 'a tag that fails allow-tags (though it exists in the registry)',
      payload: (s) => ({ image: s.image('backend'), tag: 'feature-zzzzzzz' }),
      message: (s) =>
        `tag "feature-zzzzzzz" does not pass the allow-tags/ignore-tags filters of any target using ${s.image('backend')}`,
    },
    {
      name: 'a tag that is not in the registry',
      payload: (s) => ({ image: s.image('backend'), tag: 'main-deadbee' }),
      message: (s) =>
        `tag "main-deadbee" does not exist in ${s.host}/lyzhang1999/backend; nothing was written`,
    },
    {
      name: 'a digest that is not the tag’s',
      payload: (s, d) => ({
        image: s.image('backend'),
        tag: PAYLOAD_TAG,
        digest: d.get('backend:main-1a2b3c4'),
      }),
      message: (s, d) =>
        `digest mismatch: client_payload.digest is "${d.get('backend:main-1a2b3c4')}", but tag "${PAYLOAD_TAG}" of ${s.host}/lyzhang1999/backend is "${d.get(`backend:${PAYLOAD_TAG}`)}"; nothing was written`,
    },
    {
      name: 'more than 10 keys',
      payload: (s) => ({
        image: s.image('backend'),
        tag: PAYLOAD_TAG,
        ...Object.fromEntries(Array.from({ length: 9 }, (_, index) => [`extra${index}`, 'x'])),
      }),
      message: () => 'client_payload has 11 keys; GitHub allows at most 10',
    },
    {
      name: 'a client_payload that is not an object',
      payload: () => 'frontend:main-1',
      message: () => 'repository_dispatch client_payload must be an object',
    },
  ];

  it.each(badPayloads)(
    'repository_dispatch with $name fails with a clear message and writes nothing',
    async ({ payload, message }) => {
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'repository_dispatch',
        event: dispatch(payload(scenario, digests)),
      });
      expect(run.exitCode, describeRun(run)).toBe(1);
      const errorLines = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
      expect(errorLines.join('\n')).toContain(escapeCommand(message(scenario, digests)));
      await expectNothingWritten();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'repository_dispatch of another type is skipped without a request to GitHub',
    async () => {
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'repository_dispatch',
        event: dispatch({ image: scenario.image('backend'), tag: PAYLOAD_TAG }, 'deploy'),
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(run.stdout).toContain(
        'repository_dispatch type "deploy" is not one of dispatch-types',
      );
      expect(run.outputs.changed).toBe('false');
      expect(scenario.github.requests).toEqual([]);
      await expectNothingWritten();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'registry_package names a ghcr.io image; one that is not configured is rejected by name',
    async () => {
      // ghcr.io cannot be served locally: the configured images live in the local registry, so
      // the event's image is a mismatch and must be reported as such.
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'registry_package',
        event: registryPackageEvent(PAYLOAD_TAG, digests.get(`backend:${PAYLOAD_TAG}`) ?? ''),
      });
      expect(run.exitCode, describeRun(run)).toBe(1);
      expect(run.stdout).toContain(
        `registry_package: image "ghcr.io/lyzhang1999/backend" is not configured for any target (configured: ${scenario.image('frontend')}, ${scenario.image('backend')}); nothing was written`,
      );
      await expectNothingWritten();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'registry_package without a tag (a multi-arch child manifest) is skipped',
    async () => {
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'registry_package',
        event: registryPackageEvent('', digests.get(`backend:${PAYLOAD_TAG}`) ?? ''),
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(run.stdout).toContain('carries no tag');
      expect(scenario.github.requests).toEqual([]);
      await expectNothingWritten();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'workflow_run that did not succeed is skipped: exit 0, nothing asked, nothing written',
    async () => {
      await scenario.registry.resetRequestCounts();
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'workflow_run',
        event: {
          action: 'completed',
          workflow_run: { name: 'build', conclusion: 'failure', head_branch: 'main' },
        },
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(run.stdout).toContain('the build workflow "build" concluded "failure", not "success"');
      expect(run.outputs.changed).toBe('false');
      expect(run.outputs.updates).toBe('[]');
      expect(scenario.github.requests).toEqual([]);
      expect((await scenario.registry.requestCounts()).total).toBe(0);
      await expectNothingWritten();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'workflow_run that succeeded resolves every image',
    async () => {
      const run = await scenario.run({
        node: process.execPath,
        eventName: 'workflow_run',
        event: {
          action: 'completed',
          workflow_run: { name: 'build', conclusion: 'success', head_branch: 'main' },
        },
      });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(scenario.openPulls()).toHaveLength(3);
      expect(await scenario.github.readFile('helm-image-updater/example', OVERRIDE_PATH)).toContain(
        'value: "main-1a2b3c4"',
      );
    },
    TEST_TIMEOUT_MS,
  );
});

/** The `registry_package` webhook GHCR sends for a published container version. */
function registryPackageEvent(tag: string, digest: string): object {
  return {
    action: 'published',
    registry_package: {
      name: 'backend',
      namespace: 'lyzhang1999',
      ecosystem: 'CONTAINER',
      package_type: 'CONTAINER',
      owner: { login: 'lyzhang1999' },
      package_version: {
        version: digest,
        container_metadata: { tag: { name: tag, digest } },
      },
    },
  };
}

/** How @actions/core escapes a message in a `::error::` command. */
function escapeCommand(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
