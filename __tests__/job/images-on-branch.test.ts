/**
 * No update is lost across images: a run that handles only some images of a unit (an image event,
 * or a schedule run in which one image cannot be resolved) keeps the other images' values that
 * are already on the unit's branch. The whole pipeline runs in this process against a real
 * registry and the git-backed GitHub API server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import { runJob } from '../../src/job/job.js';
import { runPipeline, type RunOutcome } from '../../src/job/run.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { createGitHubWorkspace } from '../../src/workspace/github/workspace.js';
import { startGitHubServer, type RunningGitHub } from '../harness/github/index.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { recordingLogger, type RecordingLogger } from '../harness/recording-logger.js';
import { clientFor, settingsFor } from '../workspace/github/github-fixture.js';

const OVERRIDE_PATH = 'helm/.argocd-source-example.yaml';
const BRANCH = 'helm-image-updater/example';
const TIMEOUT_MS = 120_000;

/** Build times: name order and time order agree, so only the event or the schedule decides. */
const BUILDS: Readonly<Record<string, string>> = {
  'main-1': '2024-01-01T00:00:00Z',
  'main-2': '2024-01-02T00:00:00Z',
  'main-3': '2024-01-03T00:00:00Z',
};

function overrideFile(alpha: string, alphaTag: string, beta: string, betaTag: string): string {
  return (
    `helm:\n  parameters:\n` +
    `  - name: alpha.image\n    value: ${alpha}\n    forcestring: true\n` +
    `  - name: alpha.tag\n    value: ${alphaTag}\n    forcestring: true\n` +
    `  - name: beta.image\n    value: ${beta}\n    forcestring: true\n` +
    `  - name: beta.tag\n    value: ${betaTag}\n    forcestring: true\n`
  );
}

describe('an update is not lost across images', () => {
  let registry: RunningRegistry;
  let github: RunningGitHub;
  let logger: RecordingLogger;
  let alpha: string;
  let beta: string;
  let alphaDigest: string;

  const push = async (repository: string, tag: string): Promise<string> => {
    const created = BUILDS[tag];
    if (created === undefined) throw new Error(`no build time for ${tag}`);
    return (await registry.push(repository, tag, { created })).digest;
  };

  const inputs = (): RawInputs => ({
    ...defaultInputs(),
    images: `alpha=${alpha},beta=${beta}`,
    'chart-path': 'helm',
    'app-name': 'example',
    'insecure-registries': registry.host,
    cache: 'false',
  });

  const run = (eventName: string, payload: unknown): Promise<RunOutcome> =>
    runPipeline({
      inputs: inputs(),
      env: {},
      logger,
      now: () => new Date('2024-02-01T00:00:00Z'),
      readEvent: () => Promise.resolve({ name: eventName, payload }),
      openWorkspace: () => {
        const settings = settingsFor(github);
        return createGitHubWorkspace({ client: clientFor(settings, logger), settings, logger });
      },
      restoreCache: () => Promise.resolve(undefined),
    });

  const expectFinished = (outcome: RunOutcome): void => {
    expect(
      outcome.kind === 'finished' && outcome.report.errors.length === 0,
      JSON.stringify(outcome.kind === 'failed' ? outcome.message : outcome, null, 1),
    ).toBe(true);
  };

  beforeEach(async () => {
    logger = recordingLogger();
    registry = await startRegistry();
    alpha = `${registry.host}/team/alpha`;
    beta = `${registry.host}/team/beta`;
    github = await startGitHubServer({
      files: {
        [OVERRIDE_PATH]: overrideFile(alpha, 'main-1', beta, 'main-1'),
        'helm/values.yaml': 'replicas: 1\n',
      },
    });
    for (const repository of ['team/alpha', 'team/beta']) await push(repository, 'main-1');
    // Only alpha has a newer build when the schedule runs.
    alphaDigest = await push('team/alpha', 'main-2');
    expectFinished(await run('schedule', {}));
    expect(await github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
      overrideFile(alpha, 'main-2', beta, 'main-1'),
    );
  }, TIMEOUT_MS);

  afterEach(async () => {
    await Promise.allSettled([github?.close(), registry?.close()]);
  });

  it(
    'a repository_dispatch for beta keeps alpha’s pending bump on the pull request',
    async () => {
      const digest = await push('team/beta', 'main-2');
      expectFinished(
        await run('repository_dispatch', {
          action: 'image-pushed',
          client_payload: { image: beta, tag: 'main-2', digest },
        }),
      );
      expect(await github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        overrideFile(alpha, 'main-2', beta, 'main-2'),
      );
      const pulls = github.listPulls().filter((pull) => pull.state === 'open');
      expect(pulls).toHaveLength(1);
      expect(pulls[0]?.title).toBe('chore(images): update alpha to main-2 and beta to main-2');
      // alpha's row still shows the build it proposes.
      expect(pulls[0]?.body).toContain(
        `| alpha (\`${alpha}\`) | \`main-1\` → \`main-2\` | \`${alphaDigest.slice(0, 19)}\` | 2024-01-02 00:00 UTC |`,
      );
      expect(github.violations).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'a base that moved past the pending value wins: the dispatch does not bring the older value back',
    async () => {
      await push('team/alpha', 'main-3');
      // Someone sets alpha to main-3 on the base branch while the pull request proposes main-2.
      await github.commit('main', {
        [OVERRIDE_PATH]: overrideFile(alpha, 'main-3', beta, 'main-1'),
      });
      const digest = await push('team/beta', 'main-2');
      expectFinished(
        await run('repository_dispatch', {
          action: 'image-pushed',
          client_payload: { image: beta, tag: 'main-2', digest },
        }),
      );
      expect(await github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        overrideFile(alpha, 'main-3', beta, 'main-2'),
      );
      expect(github.listPulls().filter((pull) => pull.state === 'open')[0]?.title).toBe(
        'chore(images): update beta to main-2',
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a registry_package-style event (one image, one tag) keeps the other image too',
    async () => {
      // registry_package names a ghcr.io image, which cannot be served here: the job gets the
      // trigger the event parser makes of it, naming the local image.
      const digest = await push('team/beta', 'main-3');
      const settingsGitHub = settingsFor(github);
      const workspace = createGitHubWorkspace({
        client: clientFor(settingsGitHub, logger),
        settings: settingsGitHub,
        logger,
      });
      const settings = await loadSettings(inputs(), await workspace.baseFiles(), {}, logger);
      const client = createRegistryClient({ settings: settings.registry, logger });
      try {
        const report = await runJob({
          settings,
          trigger: { kind: 'image', event: 'registry_package', image: beta, tag: 'main-3', digest },
          workspace,
          registry: client,
          logger,
          now: () => new Date('2024-02-01T00:00:00Z'),
        });
        expect(report.errors).toEqual([]);
      } finally {
        await client.close();
      }
      expect(await github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        overrideFile(alpha, 'main-2', beta, 'main-3'),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a schedule run in which alpha cannot be resolved keeps alpha’s pending value and fails alpha',
    async () => {
      await push('team/beta', 'main-2');
      // alpha's repository is configured under a name the registry does not know: its tags
      // cannot be listed and the image fails.
      const outcome = await runPipeline({
        inputs: { ...inputs(), images: `alpha=${registry.host}/team/alpha-gone,beta=${beta}` },
        env: {},
        logger,
        now: () => new Date('2024-02-01T00:00:00Z'),
        readEvent: () => Promise.resolve({ name: 'schedule', payload: {} }),
        openWorkspace: () => {
          const settings = settingsFor(github);
          return createGitHubWorkspace({ client: clientFor(settings, logger), settings, logger });
        },
        restoreCache: () => Promise.resolve(undefined),
      });
      expect(outcome.kind).toBe('finished');
      if (outcome.kind !== 'finished') return;
      expect(outcome.report.errors.map((error) => error.image)).toEqual(['alpha']);
      // alpha's lines stay as the branch has them (alpha.image too): only a decision for alpha
      // may change them.
      expect(await github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
        overrideFile(alpha, 'main-2', beta, 'main-2'),
      );
    },
    TIMEOUT_MS,
  );
});
