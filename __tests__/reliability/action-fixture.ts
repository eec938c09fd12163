/**
 * The bundled action (`dist/index.js`, build with `npm run bundle`) against a real registry and the
 * git-backed GitHub API server, for the fault and secret suites: a chart with one override file,
 * helpers to read every updater branch with plain git, and the run's full text for assertions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { runAction, type ActionRun } from '../harness/action-runner.js';
import {
  startGitHubServer,
  type GitHubServerOptions,
  type RunningGitHub,
} from '../harness/github/index.js';
import {
  startRegistry,
  type RegistryOptions,
  type RunningRegistry,
} from '../harness/registry/index.js';

const execFileAsync = promisify(execFile);

export const OVERRIDE_PATH = 'helm/.argocd-source-example.yaml';
export const BRANCH = 'helm-image-updater/example';
export const REPOSITORY = 'team/app';

/** Build times: by name main-10 < main-9, by time main-10 is the newest. */
export const BUILDS: Readonly<Record<string, string>> = {
  'main-8': '2024-01-08T00:00:00Z',
  'main-9': '2024-01-09T00:00:00Z',
  'main-10': '2024-01-10T00:00:00Z',
  'main-11': '2024-01-11T00:00:00Z',
};

export function overrideFile(repository: string, tag: string): string {
  return `helm:\n  parameters:\n  - name: app.image\n    value: ${repository}\n    forcestring: true\n  - name: app.tag\n    value: "${tag}"\n    forcestring: true\n`;
}

export interface ActionFixture {
  readonly registry: RunningRegistry;
  readonly github: RunningGitHub;
  /** `<registry host>/team/app` */
  readonly image: string;
  /** Pushes builds of team/app by tag (times from BUILDS). */
  push(...tags: string[]): Promise<void>;
  /** Runs the action; `inputs` are merged over the connection inputs. */
  run(options?: {
    inputs?: Record<string, string>;
    env?: Record<string, string>;
    eventName?: string;
    event?: unknown;
  }): Promise<ActionRun>;
  /** `helm-image-updater/*` branches with their override file bytes. */
  updaterBranches(): Promise<Record<string, string | undefined>>;
  /** Whether `ancestor` is reachable from `ref`. */
  isAncestor(ancestor: string, ref: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startActionFixture(
  options: {
    registry?: RegistryOptions;
    github?: GitHubServerOptions;
    /** The chart's override file starts at this tag. */
    initialTag?: string;
  } = {},
): Promise<ActionFixture> {
  const registry = await startRegistry(options.registry);
  const image = `${registry.host}/${REPOSITORY}`;
  let github: RunningGitHub;
  try {
    github = await startGitHubServer({
      files: {
        [OVERRIDE_PATH]: overrideFile(image, options.initialTag ?? 'main-8'),
        'helm/values.yaml': `app:\n  image: ${image}\n  tag: main-8\n`,
        'README.md': '# charts\n',
      },
      ...options.github,
    });
  } catch (error) {
    await registry.close();
    throw error;
  }
  const git = async (args: string[]): Promise<string> =>
    (await execFileAsync('git', ['--git-dir', github.gitDir, ...args], { timeout: 10_000 })).stdout;
  return {
    registry,
    github,
    image,
    push: async (...tags) => {
      for (const tag of tags) {
        const created = BUILDS[tag];
        if (created === undefined) throw new Error(`no build time for ${tag}`);
        await registry.push(REPOSITORY, tag, { created });
      }
    },
    run: (run = {}) =>
      runAction({
        eventName: run.eventName ?? 'schedule',
        event: run.event ?? {},
        timeoutMs: 120_000,
        inputs: {
          repository: `${github.owner}/${github.repo}`,
          token: github.token,
          images: `app=${image}`,
          'chart-path': 'helm',
          'app-name': 'example',
          cache: 'false',
          ...(registry.url.startsWith('http:') ? { 'insecure-registries': registry.host } : {}),
          ...run.inputs,
        },
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_GRAPHQL_URL: `${github.url}/graphql`,
          GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
          ...run.env,
        },
      }),
    updaterBranches: async () => {
      const refs = (await git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/']))
        .split('\n')
        .filter((name) => name.startsWith('helm-image-updater/'));
      const branches: Record<string, string | undefined> = {};
      for (const ref of refs) branches[ref] = await github.readFile(ref, OVERRIDE_PATH);
      return branches;
    },
    isAncestor: async (ancestor, ref) => {
      try {
        await git(['merge-base', '--is-ancestor', ancestor, ref]);
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      await Promise.allSettled([github.close(), registry.close()]);
    },
  };
}

/** Everything a failed expectation needs to be understood. */
export function describeRun(run: ActionRun): string {
  return `exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** The `::error::` lines of a run, decoded from workflow-command escaping. */
export function errorLines(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .map((line) =>
      line
        .slice('::error::'.length)
        .replace(/%0A/g, '\n')
        .replace(/%0D/g, '\r')
        .replace(/%25/g, '%'),
    );
}
