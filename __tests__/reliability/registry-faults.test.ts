/**
 * Registry faults through the fault proxy in front of the real CNCF registry, resolved with the
 * library entry points (`createRegistryClient` + `runJob` on a local checkout): bounded retries,
 * `Retry-After` honoured, and a failure confined to the image it hit — other images and targets
 * are still written, and the files of a unit that only holds the failed image keep their bytes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import { runJob, type JobOptions, type JobReport } from '../../src/job/job.js';
import { createLocalWorkspace } from '../../src/workspace/local/workspace.js';
import type { Logger } from '../../src/core/logging.js';
import { createRegistryClient, type ManagedRegistryClient } from '../../src/registry/client.js';
import {
  startFaultProxy,
  type FaultProxy,
  type FaultRule,
} from '../harness/registry/fault-proxy.js';
import {
  startRegistry,
  type PushedImage,
  type RunningRegistry,
} from '../harness/registry/index.js';
import { overrideFile } from './action-fixture.js';
import { makeCheckout, removeCheckout, snapshot } from './checkout.js';

const TIMEOUT_MS = 1_500;

let registry: RunningRegistry;
let proxy: FaultProxy;
const pushed: Record<string, PushedImage> = {};

beforeAll(async () => {
  registry = await startRegistry();
  for (const [tag, created] of [
    ['main-1', '2024-01-01T00:00:00Z'],
    ['main-2', '2024-02-01T00:00:00Z'],
    ['main-3', '2024-03-01T00:00:00Z'],
  ] as const) {
    pushed[`app:${tag}`] = await registry.push('team/app', tag, { created });
  }
  for (const [tag, created] of [
    ['main-1', '2024-01-01T00:00:00Z'],
    ['main-2', '2024-02-01T00:00:00Z'],
  ] as const) {
    pushed[`other:${tag}`] = await registry.push('team/other', tag, { created });
  }
  pushed['pinned:latest'] = await registry.push('team/pinned', 'latest', {
    created: '2024-01-01T00:00:00Z',
  });
  proxy = await startFaultProxy(registry.url, { upstreamTimeoutMs: 20_000 });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await registry?.close();
});

const image = (name: string): string => `${proxy.host}/team/${name}`;

function configFile(): string {
  return `images:
  app: { repository: ${image('app')} }
  other: { repository: ${image('other')} }
  pinned: { repository: ${image('pinned')}, strategy: digest }
targets:
  - name: app-only
    type: argocd-override
    path: app
    app: app
    images: [app]
  - name: other-only
    type: values
    files: other/values.yaml
    images: [other]
  - name: both
    type: values
    files: both/values.yaml
    images: [app, other]
  - name: pinned
    type: values
    files: pinned/values.yaml
    images: [pinned]
`;
}

/** The chart before the run; comments and quoting must survive any failure untouched. */
function chart(): Record<string, string> {
  return {
    '.github/helm-image-updater.yml': configFile(),
    'app/.argocd-source-app.yaml': `helm:\n  parameters:\n  - name: app.image\n    value: ${image('app')}\n    forcestring: true\n  - name: app.tag\n    value: "main-1"\n    forcestring: true\n`,
    'other/values.yaml': `# other service\nother:\n  image: ${image('other')}\n  tag: main-1   # set by CI\n`,
    'both/values.yaml': `app:\n  image: ${image('app')}\n  tag: 'main-1'\nother:\n  image: ${image('other')}\n  tag: main-1\n`,
    'pinned/values.yaml': `pinned:\n  image: ${image('pinned')}\n  tag: latest\n`,
  };
}

interface RecordingLogger extends Logger {
  readonly lines: string[];
}

function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    debug: () => undefined,
    info: (message) => lines.push(`info: ${message}`),
    warning: (message) => lines.push(`warning: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
    setSecret: () => undefined,
    group: (_name, fn) => fn(),
  };
}

interface Outcome {
  readonly report: JobReport;
  readonly files: Record<string, string>;
  readonly before: Record<string, string>;
  /** What the client waited between attempts, in order. */
  readonly waits: number[];
  readonly elapsedMs: number;
  readonly logger: RecordingLogger;
}

/**
 * A scheduled run of the job while `through` applies `rules`; afterwards the rules are cleared
 * (the proxy serves the next test) and the client is closed.
 */
async function scheduledRun(
  through: FaultProxy,
  rules: FaultRule[],
  job: Omit<JobOptions, 'trigger' | 'now' | 'registry'> & { registry: ManagedRegistryClient },
): Promise<JobReport> {
  through.setRules(rules);
  try {
    return await runJob({
      ...job,
      trigger: { kind: 'all', event: 'schedule' },
      now: () => new Date(),
    });
  } finally {
    through.setRules([]);
    await job.registry.close();
  }
}

/** One run of the job through the proxy with `rules` armed, on a fresh checkout. */
async function runWith(rules: FaultRule[]): Promise<Outcome> {
  const files = chart();
  const dir = await makeCheckout(files);
  const logger = recordingLogger();
  try {
    const raw: RawInputs = {
      ...defaultInputs(),
      'insecure-registries': proxy.host,
      cache: 'false',
    };
    const workspace = createLocalWorkspace(dir, logger);
    const settings = await loadSettings(raw, await workspace.baseFiles(), {}, logger);
    const waits: number[] = [];
    const client = createRegistryClient({
      settings: { ...settings.registry, timeoutMs: TIMEOUT_MS },
      logger,
      sleep: async (ms) => {
        waits.push(ms);
        await delay(ms);
      },
      retry: { baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 5_000 },
    });
    const before = await snapshot(dir);
    const started = Date.now();
    const report = await scheduledRun(proxy, rules, {
      settings,
      workspace,
      registry: client,
      logger,
    });
    const elapsedMs = Date.now() - started;
    const after: Record<string, string> = {};
    for (const name of Object.keys(files)) {
      after[name] = await readFile(path.join(dir, name), 'utf8');
    }
    expect(Object.keys(await snapshot(dir))).toEqual(Object.keys(before));
    return { report, files: after, before: files, waits, elapsedMs, logger };
  } finally {
    await removeCheckout(dir);
  }
}

const APP = /^\/v2\/team\/app\//;
const APP_TAGS = /^\/v2\/team\/app\/tags\/list/;
const APP_NEWEST_MANIFEST = /^\/v2\/team\/app\/manifests\/main-3$/;

/** The whole run succeeded: every file holds the newest allowed tag, nothing else changed. */
function expectAllWritten(outcome: Outcome): void {
  expect(outcome.report.errors, outcome.logger.lines.join('\n')).toEqual([]);
  expect(outcome.files['app/.argocd-source-app.yaml']).toBe(
    outcome.before['app/.argocd-source-app.yaml']?.replace('"main-1"', '"main-3"'),
  );
  expect(outcome.files['both/values.yaml']).toBe(
    outcome.before['both/values.yaml']
      ?.replace("tag: 'main-1'", "tag: 'main-3'")
      .replace('  tag: main-1\n', '  tag: main-2\n'),
  );
  expectOtherWritten(outcome);
}

function expectOtherWritten(outcome: Outcome): void {
  expect(outcome.files['other/values.yaml']).toBe(
    outcome.before['other/values.yaml']?.replace('tag: main-1   #', 'tag: main-2   #'),
  );
}

/**
 * Only `app` failed: its own unit is byte-identical, the unit sharing it got `other`'s change
 * only, the other targets are written, and every error names the image.
 */
function expectAppFailedAlone(outcome: Outcome, cause: RegExp): void {
  const { report } = outcome;
  expect(report.errors.length).toBeGreaterThan(0);
  for (const error of report.errors) {
    expect(error.image).toBe('app');
    expect(error.message).toContain(`${proxy.host}/team/app`);
    expect(error.message).toMatch(cause);
  }
  expect(report.errors.map((error) => error.target).sort()).toEqual(['app-only', 'both']);
  expect(outcome.files['app/.argocd-source-app.yaml']).toBe(
    outcome.before['app/.argocd-source-app.yaml'],
  );
  expect(outcome.files['both/values.yaml']).toBe(
    outcome.before['both/values.yaml']?.replace('  tag: main-1\n', '  tag: main-2\n'),
  );
  expectOtherWritten(outcome);
  expect(
    outcome.logger.lines.some(
      (line) => line.startsWith('error: app-only') && line.includes('team/app'),
    ),
  ).toBe(true);
}

describe('registry faults through the proxy', () => {
  it('a clean run writes every target (the baseline every fault is compared with)', async () => {
    const outcome = await runWith([]);
    expectAllWritten(outcome);
    expect(outcome.waits).toEqual([]);
  });

  it('5xx twice, then success: retried with backoff, everything written', async () => {
    const mark = proxy.requests.length;
    const outcome = await runWith([
      { path: APP_TAGS, times: 2, action: { kind: 'respond', status: 503 } },
    ]);
    expectAllWritten(outcome);
    const tagRequests = proxy.requests
      .slice(mark)
      .filter((request) => APP_TAGS.test(request.target));
    expect(tagRequests.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(outcome.waits).toHaveLength(2);
    for (const wait of outcome.waits) expect(wait).toBeLessThanOrEqual(100);
  });

  it('5xx on every attempt: four attempts, then only that image fails', async () => {
    const mark = proxy.requests.length;
    const outcome = await runWith([{ path: APP_TAGS, action: { kind: 'respond', status: 502 } }]);
    expectAppFailedAlone(outcome, /returned 502.*server error after 4 attempts/);
    // Two units use the image; the list is asked for once per run, failure included, so the
    // bound of four attempts holds for the whole run.
    const attempts = proxy.requests.slice(mark).filter((request) => APP_TAGS.test(request.target));
    expect(attempts).toHaveLength(4);
  });

  it('429 with Retry-After: the wait is the one the registry asked for', async () => {
    const outcome = await runWith([
      {
        path: APP_TAGS,
        times: 1,
        action: { kind: 'respond', status: 429, headers: { 'retry-after': '1' } },
      },
    ]);
    expectAllWritten(outcome);
    expect(outcome.waits).toEqual([1_000]);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(1_000);
  });

  it('429 without Retry-After on every attempt: bounded backoff, then that image fails', async () => {
    const outcome = await runWith([{ path: APP_TAGS, action: { kind: 'respond', status: 429 } }]);
    expectAppFailedAlone(outcome, /returned 429.*rate limited by .* after 4 attempts/);
    expect(outcome.waits.length).toBeGreaterThanOrEqual(3);
    for (const wait of outcome.waits) expect(wait).toBeLessThanOrEqual(100);
  });

  it('429 with a Retry-After beyond the cap: no wait at all, that image fails at once', async () => {
    const mark = proxy.requests.length;
    const outcome = await runWith([
      {
        path: APP_TAGS,
        action: { kind: 'respond', status: 429, headers: { 'retry-after': '3600' } },
      },
    ]);
    expectAppFailedAlone(outcome, /returned 429.*Retry-After 3600/);
    expect(outcome.waits).toEqual([]);
    const attempts = proxy.requests.slice(mark).filter((request) => APP_TAGS.test(request.target));
    expect(attempts.length).toBeLessThanOrEqual(2);
  });

  it('a connection reset once: retried, everything written', async () => {
    const outcome = await runWith([{ path: APP_TAGS, times: 1, action: { kind: 'reset' } }]);
    expectAllWritten(outcome);
    expect(outcome.waits).toHaveLength(1);
  });

  it('connection resets on every attempt: bounded, then that image fails', async () => {
    const outcome = await runWith([{ path: APP, action: { kind: 'reset' } }]);
    expectAppFailedAlone(outcome, /failed after 4 attempts/);
  });

  it('a response slower than the timeout once: the next attempt answers', async () => {
    const outcome = await runWith([
      { path: APP_TAGS, times: 1, action: { kind: 'delay', ms: TIMEOUT_MS * 3 } },
    ]);
    expectAllWritten(outcome);
    expect(outcome.waits).toHaveLength(1);
  });

  it('responses slower than the timeout on every attempt: that image fails naming the timeout', async () => {
    const outcome = await runWith([
      { path: APP_TAGS, action: { kind: 'delay', ms: TIMEOUT_MS * 3 } },
    ]);
    expectAppFailedAlone(outcome, new RegExp(`timed out after ${TIMEOUT_MS} ms \\(4 attempts\\)`));
  });

  it('a truncated tag list once: retried, everything written', async () => {
    const outcome = await runWith([{ path: APP_TAGS, times: 1, action: { kind: 'truncate' } }]);
    expectAllWritten(outcome);
  });

  it('a truncated tag list on every attempt: that image fails', async () => {
    const outcome = await runWith([{ path: APP_TAGS, action: { kind: 'truncate' } }]);
    expectAppFailedAlone(outcome, /tags\/list/);
  });

  it('a tag list that is not JSON: that image fails naming the list', async () => {
    const outcome = await runWith([{ path: APP_TAGS, action: { kind: 'invalid-json' } }]);
    expectAppFailedAlone(outcome, /JSON/);
  });

  it('a manifest that is not JSON: that tag is skipped as unreadable and said so, never chosen', async () => {
    const outcome = await runWith([
      { method: 'GET', path: APP_NEWEST_MANIFEST, action: { kind: 'invalid-json' } },
    ]);
    expect(outcome.report.errors).toEqual([]);
    const decisions = outcome.report.decisions.filter((entry) => entry.decision.alias === 'app');
    expect(decisions).not.toHaveLength(0);
    for (const { decision } of decisions) {
      expect(decision.chosen).toBe('main-2');
      expect(decision.counts.skipped['metadataError']).toBe(1);
      expect(decision.reason).toContain('1 unreadable');
    }
    expect(outcome.files['app/.argocd-source-app.yaml']).toContain('"main-2"');
  });

  it('a Docker-Content-Digest that does not match the manifest: the tag is never trusted', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const outcome = await runWith([
      { path: APP_NEWEST_MANIFEST, action: { kind: 'rewrite-digest', digest: wrong } },
    ]);
    const decisions = outcome.report.decisions.filter((entry) => entry.decision.alias === 'app');
    for (const { decision } of decisions) {
      expect(decision.chosen).not.toContain('main-3');
      expect(decision.metadata?.digest).not.toBe(wrong);
    }
    expect(JSON.stringify(outcome.report.updates)).not.toContain(wrong);
    expect(outcome.files['app/.argocd-source-app.yaml']).not.toContain('main-3');
  });

  it('a rewritten digest for a followed tag: the digest image fails, nothing pinned to it', async () => {
    const wrong = `sha256:${'1'.repeat(64)}`;
    const outcome = await runWith([
      {
        path: /^\/v2\/team\/pinned\/manifests\//,
        action: { kind: 'rewrite-digest', digest: wrong },
      },
    ]);
    const errors = outcome.report.errors;
    expect(errors.map((error) => error.image)).toEqual(['pinned']);
    expect(errors[0]?.message).toContain(`${proxy.host}/team/pinned`);
    expect(errors[0]?.message).toContain('does not match its digest');
    expect(outcome.files['pinned/values.yaml']).toBe(outcome.before['pinned/values.yaml']);
    expect(Object.values(outcome.files).join('\n')).not.toContain(wrong);
    expectOtherWritten(outcome);
  });

  it('the digest strategy writes the digest the registry reports when nothing interferes', async () => {
    const outcome = await runWith([]);
    expect(outcome.files['pinned/values.yaml']).toBe(
      outcome.before['pinned/values.yaml']?.replace(
        'tag: latest',
        `tag: latest@${pushed['pinned:latest']?.digest ?? 'missing'}`,
      ),
    );
  });
});

describe('token-auth faults through the proxy', () => {
  let tokenRegistry: RunningRegistry;
  let tokenProxy: FaultProxy;
  const password = 'Token-Fault-P4ss-UNIQUE';

  beforeAll(async () => {
    tokenRegistry = await startRegistry({ auth: 'token', users: { puller: password } });
    await tokenRegistry.push('team/app', 'main-1', { created: '2024-01-01T00:00:00Z' });
    await tokenRegistry.push('team/app', 'main-2', { created: '2024-02-01T00:00:00Z' });
    tokenProxy = await startFaultProxy(tokenRegistry.url, {
      tokenServerUrl: tokenRegistry.tokenServerUrl,
      upstreamTimeoutMs: 20_000,
    });
  }, 120_000);

  afterAll(async () => {
    await tokenProxy?.close();
    await tokenRegistry?.close();
  });

  const TOKEN = /^\/token/;

  async function runTokenJob(
    rules: FaultRule[],
    credential: string,
  ): Promise<{ report: JobReport; before: string; after: string; logger: RecordingLogger }> {
    const before = overrideFile(`${tokenProxy.host}/team/app`, 'main-1');
    const dir = await makeCheckout({ 'helm/.argocd-source-example.yaml': before });
    const logger = recordingLogger();
    try {
      const raw: RawInputs = {
        ...defaultInputs(),
        images: `app=${tokenProxy.host}/team/app`,
        'chart-path': 'helm',
        'app-name': 'example',
        'insecure-registries': tokenProxy.host,
        'registry-credentials': `${tokenProxy.host}=puller:${credential}`,
        cache: 'false',
      };
      const workspace = createLocalWorkspace(dir, logger);
      const settings = await loadSettings(raw, await workspace.baseFiles(), {}, logger);
      const client = createRegistryClient({
        settings: { ...settings.registry, timeoutMs: TIMEOUT_MS },
        logger,
        sleep: (ms) => delay(ms),
        retry: { baseDelayMs: 20, maxDelayMs: 100 },
      });
      const report = await scheduledRun(tokenProxy, rules, {
        settings,
        workspace,
        registry: client,
        logger,
      });
      const after = await readFile(path.join(dir, 'helm/.argocd-source-example.yaml'), 'utf8');
      return { report, before, after, logger };
    } finally {
      await removeCheckout(dir);
    }
  }

  it('a token endpoint that fails once with 503 is asked again', async () => {
    const mark = tokenProxy.requests.length;
    const outcome = await runTokenJob(
      [{ path: TOKEN, times: 1, action: { kind: 'respond', status: 503 } }],
      password,
    );
    expect(outcome.report.errors).toEqual([]);
    expect(outcome.after).toBe(outcome.before.replace('"main-1"', '"main-2"'));
    const tokenStatuses = tokenProxy.requests
      .slice(mark)
      .filter((request) => TOKEN.test(request.target))
      .map((request) => request.status);
    expect(tokenStatuses.slice(0, 2)).toEqual([503, 200]);
  });

  it('a token endpoint that never answers in time: bounded, the image fails, the file keeps its bytes', async () => {
    const outcome = await runTokenJob(
      [{ path: TOKEN, action: { kind: 'delay', ms: TIMEOUT_MS * 3 } }],
      password,
    );
    expect(outcome.report.errors.map((error) => error.image)).toEqual(['app']);
    expect(outcome.report.errors[0]?.message).toMatch(/timed out after 1500 ms \(4 attempts\)/);
    expect(outcome.after).toBe(outcome.before);
  });

  it('refused credentials: the image fails naming where the credentials came from, never the password', async () => {
    const wrong = 'Wrong-Token-P4ss-UNIQUE';
    const outcome = await runTokenJob([], wrong);
    expect(outcome.report.errors.map((error) => error.image)).toEqual(['app']);
    const message = outcome.report.errors[0]?.message ?? '';
    expect(message).toContain('input registry-credentials line 1');
    expect(message).not.toContain(wrong);
    expect(outcome.logger.lines.join('\n')).not.toContain(wrong);
    expect(outcome.after).toBe(outcome.before);
  });

  it('a 401 with a fresh challenge mid-run (an expired token) is answered once, then the run goes on', async () => {
    const mark = tokenProxy.requests.length;
    const outcome = await runTokenJob(
      [
        {
          method: 'GET',
          path: /^\/v2\/team\/app\/manifests\/main-2$/,
          times: 1,
          action: {
            kind: 'respond',
            status: 401,
            headers: {
              'www-authenticate': `Bearer realm="${tokenProxy.url}/token",service="${tokenRegistry.tokenService ?? ''}",scope="repository:team/app:pull"`,
            },
          },
        },
      ],
      password,
    );
    expect(outcome.report.errors).toEqual([]);
    expect(outcome.after).toBe(outcome.before.replace('"main-1"', '"main-2"'));
    const manifestStatuses = tokenProxy.requests
      .slice(mark)
      .filter((request) => request.target === '/v2/team/app/manifests/main-2')
      .map((request) => request.status);
    expect(manifestStatuses).toEqual([401, 200]);
  });
});
