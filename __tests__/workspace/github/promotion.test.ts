/**
 * Promotion in the action: the run pipeline with the GitHub workspace (what `src/action/main.ts`
 * assembles) against the git-backed GitHub API server, whose repos/list-commits and contents
 * answers are checked against GitHub's OpenAPI description, with backdated commits on the base
 * branch and an injected clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultInputs } from '../../../src/config/inputs.js';
import { runPipeline } from '../../../src/job/run.js';
import { stepSummary } from '../../../src/workspace/github/body.js';
import { createGitHubWorkspace } from '../../../src/workspace/github/workspace.js';
import { startGitHubServer, type RunningGitHub } from '../../harness/github/index.js';
import { startRegistry, type RunningRegistry } from '../../harness/registry/index.js';
import { valuesFile } from '../../promotion/git-fixture.js';
import { clientFor, recordingLogger, settingsFor } from './github-fixture.js';

const hour = 3_600_000;
const now = new Date('2026-12-03T12:00:00Z');
const ago = (hours: number): Date => new Date(now.getTime() - hours * hour);

let registry: RunningRegistry;
let github: RunningGitHub | undefined;

beforeAll(async () => {
  registry = await startRegistry();
  const builds = Date.parse('2026-11-01T00:00:00Z');
  for (const [index, tag] of ['main-a1', 'main-a2', 'main-a3'].entries()) {
    await registry.push('team/frontend', tag, { created: new Date(builds + index * hour) });
  }
  await registry.push('team/backend', 'main-b1', { created: new Date(builds) });
}, 60_000);

afterAll(async () => {
  await registry?.close();
});

afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
  github = undefined;
});

function configFile(): string {
  return [
    'images:',
    `  frontend: { repository: ${registry.host}/team/frontend, allow-tags: "regexp:^main-" }`,
    `  backend: { repository: ${registry.host}/team/backend, allow-tags: "regexp:^main-" }`,
    'targets:',
    '  - name: envs',
    '    type: values',
    '    files: env/*/values.yaml',
    '    environments:',
    '      staging: { mode: pull-request }',
    '      prod: { promote-from: staging, soak: 24h, reviewers: [sre] }',
    '',
  ].join('\n');
}

/** A repository whose first commit (config and both environments) is 200 hours old. */
async function startBackdated(): Promise<RunningGitHub> {
  const server = await startGitHubServer({});
  await server.commit(
    'main',
    {
      '.github/helm-image-updater.yml': configFile(),
      'env/staging/values.yaml': valuesFile(registry.host, 'main-a1', 'main-b1'),
      'env/prod/values.yaml': valuesFile(registry.host, 'main-a1', 'main-b1'),
    },
    'Initial commit',
    ago(200),
  );
  return server;
}

async function runAt(server: RunningGitHub, at: Date) {
  const logger = recordingLogger();
  const settings = settingsFor(server);
  const outcome = await runPipeline({
    inputs: {
      ...defaultInputs(),
      token: server.token,
      repository: `${server.owner}/${server.repo}`,
      'insecure-registries': registry.host,
      cache: 'false',
    },
    env: { GITHUB_REPOSITORY: `${server.owner}/${server.repo}`, GITHUB_API_URL: server.url },
    logger,
    now: () => at,
    readEvent: () => Promise.resolve({ name: 'schedule', payload: {} }),
    openWorkspace: () =>
      createGitHubWorkspace({ client: clientFor(settings, logger), settings, logger }),
    restoreCache: () => Promise.resolve(undefined),
  });
  if (process.env.PROMOTION_TRACE) {
    for (const line of logger.lines) process.stderr.write(`${line.level} ${line.message}\n`);
  }
  if (outcome.kind !== 'finished') throw new Error(`run ended ${JSON.stringify(outcome)}`);
  return { outcome, logger };
}

describe('promotion through the GitHub API', () => {
  it('promotes what soaked in staging on the base branch, explains it in the log, summary and pull request', async () => {
    github = await startBackdated();
    const staging = 'env/staging/values.yaml';
    await github.commit(
      'main',
      { [staging]: valuesFile(registry.host, 'main-a1', 'main-b1') + '# 1\n' },
      'touch',
      ago(100),
    );
    const a2 = await github.commit(
      'main',
      { [staging]: valuesFile(registry.host, 'main-a2', 'main-b1') },
      'frontend main-a2 (#41)',
      ago(28),
    );
    await github.commit(
      'main',
      { [staging]: valuesFile(registry.host, 'main-a3', 'main-b1') },
      'frontend main-a3 (#42)',
      ago(2),
    );
    // A pending pull request's branch for staging does not count: only the base branch does.
    await github.commit(
      'helm-image-updater/envs/staging',
      { [staging]: valuesFile(registry.host, 'main-a3', 'main-b1') },
      'pending',
      ago(50),
    );

    const { outcome, logger } = await runAt(github, now);
    const prod = outcome.report.decisions.filter((entry) => entry.environment === 'prod');
    const frontend = prod.find((entry) => entry.decision.alias === 'frontend')?.decision;
    const expected =
      `main-a2 from staging, where it ran since 2026-12-02 08:00 UTC (commit ${a2.slice(0, 7)}, #41) until 2026-12-03 10:00 UTC, 26 h ≥ 24 h; ` +
      'main-a3 has run there 2 h, eligible at 2026-12-04 10:00 UTC';
    expect(frontend).toMatchObject({ current: 'main-a1', chosen: 'main-a2', changed: true });
    expect(frontend?.reason).toBe(expected);
    expect(logger.lines.map((line) => line.message)).toContain(`envs/prod: frontend: ${expected}`);

    const pulls = github.listPulls().filter((pull) => pull.head === 'helm-image-updater/envs/prod');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.body).toContain('eligible at 2026-12-04 10:00 UTC');
    expect(pulls[0]?.body).toContain(`commit ${a2.slice(0, 7)}, #41`);
    expect(await github.readFile('helm-image-updater/envs/prod', 'env/prod/values.yaml')).toBe(
      valuesFile(registry.host, 'main-a2', 'main-b1'),
    );
    const summary = stepSummary(outcome.report.changeSets, outcome.report.results);
    expect(summary).toContain('eligible at 2026-12-04 10:00 UTC');

    // One list-commits page and one raw contents read per commit: the cheapest reads.
    const listed = github.requests.filter(
      (request) => request.operationId === 'repos/list-commits',
    );
    expect(listed).toHaveLength(1);
    expect(listed[0]?.path).toContain('sha=');
    expect(listed[0]?.path).toContain('path=env%2Fstaging%2Fvalues.yaml');
  }, 300_000);

  it('reads a history longer than one page', async () => {
    github = await startBackdated();
    const staging = 'env/staging/values.yaml';
    await github.commit(
      'main',
      { [staging]: valuesFile(registry.host, 'main-a2', 'main-b1') },
      'frontend main-a2',
      ago(30),
    );
    // 105 commits within the last 20 hours that change the file but not the tags (comments).
    for (let index = 0; index < 105; index++) {
      await github.commit(
        'main',
        { [staging]: `${valuesFile(registry.host, 'main-a2', 'main-b1')}# note ${index}\n` },
        `note ${index}`,
        new Date(ago(20).getTime() + index * 60_000),
      );
    }
    const { outcome } = await runAt(github, now);
    const frontend = outcome.report.decisions.find(
      (entry) => entry.environment === 'prod' && entry.decision.alias === 'frontend',
    )?.decision;
    // main-a2 started 30 h ago, on the second page: 30 h ≥ 24 h.
    expect(frontend).toMatchObject({ chosen: 'main-a2', changed: true });
    expect(frontend?.reason).toMatch(
      /^main-a2 from staging, where it has run since 2026-12-02 06:00 UTC \(commit \w{7}\), 30 h ≥ 24 h$/,
    );
    const pages = github.requests.filter((request) => request.operationId === 'repos/list-commits');
    expect(pages).toHaveLength(2);
    expect(pages[1]?.path).toContain('page=2');
  }, 400_000);
});
