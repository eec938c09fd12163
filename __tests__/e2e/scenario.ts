/**
 * One end-to-end scenario: a fresh CNCF registry and a fresh git-backed GitHub API server on
 * 127.0.0.1, and a way to run the bundled action (`node dist/index.js`) against both, the way the
 * Actions runner does. GitHub requests pass through a small recording proxy so tests can read the
 * bodies of ref updates (was `force` ever set?) as well as the server's own request log.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runAction, type ActionRun } from '../harness/action-runner.js';
import {
  startGitHubServer,
  type GitHubServerOptions,
  type PullRecord,
  type RunningGitHub,
} from '../harness/github/index.js';
import {
  startRegistry,
  type PushedImage,
  type RegistryOptions,
  type RunningRegistry,
} from '../harness/registry/index.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE_ROOT = path.join(projectRoot, '__fixtures__/kubernetes-example');

/** A file of `__fixtures__/kubernetes-example/`, byte for byte. */
export function fixtureFile(relativePath: string): string {
  return readFileSync(path.join(FIXTURE_ROOT, relativePath), 'utf8');
}

/** The chart of the sample project at `helm/`, as the chart repository holds it. */
export function helmChartFiles(): Record<string, string> {
  return {
    'helm/Chart.yaml': fixtureFile('helm/Chart.yaml'),
    'helm/values.yaml': fixtureFile('helm/values.yaml'),
    'helm/.argocd-source-example.yaml': fixtureFile('helm/.argocd-source-example.yaml'),
    'helm/templates/frontend.yaml': fixtureFile('helm/templates/frontend.yaml'),
    'helm/templates/backend.yaml': fixtureFile('helm/templates/backend.yaml'),
  };
}

export const OVERRIDE_PATH = 'helm/.argocd-source-example.yaml';
export const BRANCH = 'helm-image-updater/example';

/**
 * Builds whose name order and time order disagree: by time main-1a2b3c4 is the newest, by name
 * main-f00dbab would win. A tag outside `^main-` is newer than all of them and must be filtered.
 */
export const BUILDS: readonly { tag: string; created: string }[] = [
  { tag: 'main-f00dbab', created: '2024-05-01T10:00:00Z' },
  { tag: 'main-1a2b3c4', created: '2024-05-03T10:00:00Z' },
  { tag: 'main-b99bc73', created: '2024-05-02T10:00:00Z' },
  { tag: 'feature-zzzzzzz', created: '2024-06-01T10:00:00Z' },
];
export const NEWEST_BUILD = 'main-1a2b3c4';
/** Pushed later; the smallest name of all, the newest time. */
export const NEWER_BUILD = { tag: 'main-0c0ffee', created: '2024-05-04T10:00:00Z' } as const;

/** The `org.opencontainers.image.revision` label of a pushed build: a commit id of its own. */
export function sourceRevision(name: string, tag: string): string {
  return createHash('sha1').update(`${name}:${tag}`).digest('hex');
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface ScenarioRunOptions {
  readonly node: string;
  readonly inputs?: Record<string, string>;
  readonly eventName?: string;
  readonly event?: unknown;
  readonly env?: Record<string, string>;
}

export interface Scenario {
  readonly registry: RunningRegistry;
  readonly github: RunningGitHub;
  /** `127.0.0.1:<port>` of the registry. */
  readonly host: string;
  /** Every GitHub request the action made, with its parsed JSON body. */
  readonly calls: RecordedCall[];
  /** `<host>/lyzhang1999/<name>`: the sample project's images, served by the local registry. */
  image(name: string): string;
  /** Pushes builds of `lyzhang1999/<name>` labelled with its source repository and `sourceRevision`. */
  push(name: string, builds: readonly { tag: string; created: string }[]): Promise<PushedImage[]>;
  /** Runs `node dist/index.js`; the inputs are merged over the connection inputs. */
  run(options: ScenarioRunOptions): Promise<ActionRun>;
  openPulls(): PullRecord[];
  /** `METHOD operationId status` of the server's requests from `since` on. */
  operations(since?: number): string[];
  close(): Promise<void>;
}

export async function startScenario(
  options: {
    files?: Record<string, string>;
    registry?: RegistryOptions;
    github?: GitHubServerOptions;
  } = {},
): Promise<Scenario> {
  const registry = await startRegistry(options.registry);
  let github: RunningGitHub;
  try {
    github = await startGitHubServer({
      ...options.github,
      files: options.files ?? helmChartFiles(),
    });
  } catch (error) {
    await registry.close();
    throw error;
  }
  const calls: RecordedCall[] = [];
  const proxy = await startRecordingProxy(github.url, calls);
  const host = registry.host;
  return {
    registry,
    github,
    host,
    calls,
    image: (name) => `${host}/lyzhang1999/${name}`,
    push: async (name, builds) => {
      const pushed: PushedImage[] = [];
      for (const build of builds) {
        pushed.push(
          await registry.push(`lyzhang1999/${name}`, build.tag, {
            created: build.created,
            labels: {
              'org.opencontainers.image.source': `https://github.com/lyzhang1999/${name}`,
              'org.opencontainers.image.revision': sourceRevision(name, build.tag),
            },
          }),
        );
      }
      return pushed;
    },
    run: (run) =>
      runAction({
        node: run.node,
        eventName: run.eventName ?? 'schedule',
        event: run.event ?? {},
        timeoutMs: 90_000,
        inputs: {
          repository: `${github.owner}/${github.repo}`,
          token: github.token,
          'insecure-registries': host,
          cache: 'false',
          ...run.inputs,
        },
        env: {
          GITHUB_API_URL: proxy.url,
          GITHUB_GRAPHQL_URL: `${proxy.url}/graphql`,
          GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
          ...run.env,
        },
      }),
    openPulls: () => github.listPulls().filter((pull) => pull.state === 'open'),
    operations: (since = 0) =>
      github.requests
        .slice(since)
        .map(
          (request) => `${request.method} ${request.operationId ?? request.path} ${request.status}`,
        ),
    close: async () => {
      await proxy.close();
      await Promise.allSettled([github.close(), registry.close()]);
    },
  };
}

/** The inputs form for the sample chart: both images, the override file of app `example`. */
export function overrideInputs(scenario: Scenario): Record<string, string> {
  return {
    images: `frontend=${scenario.image('frontend')}, backend=${scenario.image('backend')}`,
    'write-back-target': 'argocd-override',
    'chart-path': 'helm',
    'app-name': 'example',
  };
}

/**
 * The override file after an update: the fixture's bytes with only the `value:` lines of the
 * image and tag parameters changed (the fixture's double quotes on tags kept).
 */
export function expectedOverrideFile(
  host: string,
  frontendTag: string,
  backendTag: string,
): string {
  return `helm:
  parameters:
  - name: frontend.image
    value: ${host}/lyzhang1999/frontend
    forcestring: true
  - name: frontend.tag
    value: "${frontendTag}"
    forcestring: true
  - name: backend.image
    value: ${host}/lyzhang1999/backend
    forcestring: true
  - name: backend.tag
    value: "${backendTag}"
    forcestring: true
`;
}

/** Parses a JSON output of the action, failing the test with the raw text when it is not JSON. */
export function jsonOutput(run: ActionRun, name: string): unknown {
  const text = run.outputs[name];
  if (text === undefined) throw new Error(`output ${name} was not set; stdout:\n${run.stdout}`);
  return JSON.parse(text) as unknown;
}

/** Everything a failed expectation needs to be understood. */
export function describeRun(run: ActionRun): string {
  return `exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Ref updates the action sent with `force: true` (there must be none). */
export function forcedRefUpdates(calls: readonly RecordedCall[]): RecordedCall[] {
  return calls.filter(
    (call) =>
      call.method === 'PATCH' &&
      call.path.includes('/git/refs/') &&
      typeof call.body === 'object' &&
      call.body !== null &&
      (call.body as Record<string, unknown>).force === true,
  );
}

interface RecordingProxy {
  readonly url: string;
  close(): Promise<void>;
}

const PROXY_TIMEOUT_MS = 30_000;

/** Forwards every request to `upstream` unchanged and records method, path and JSON body. */
async function startRecordingProxy(
  upstream: string,
  calls: RecordedCall[],
): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const server = createServer((incoming, outgoing) => {
    void readAll(incoming).then((body) => {
      let parsed: unknown;
      try {
        parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
      } catch {
        parsed = body.toString('utf8');
      }
      calls.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', body: parsed });
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
          timeout: PROXY_TIMEOUT_MS,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('timeout', () => forward.destroy(new Error('upstream timed out')));
      forward.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
