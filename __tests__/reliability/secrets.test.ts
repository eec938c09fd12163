/**
 * Credentials stay secret. The whole flow (the bundled action against the GitHub API server and a
 * real registry with basic or token auth) runs with distinctive credentials, and none of them may
 * appear anywhere the run leaves text: stdout (apart from the `::add-mask::` commands that ask the
 * runner to hide them), stderr, outputs, the step summary, commit messages, pull request titles,
 * bodies and comments, branch names. Registry credentials go to their own host only (not to a
 * redirect target or pagination link on another host), and TLS is verified except for the hosts
 * listed in insecure-registries.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { ActionRun } from '../harness/action-runner.js';
import type { RegistrySettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/core/logging.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import {
  startScriptedServer,
  syntheticImage,
  type ScriptedHandler,
  type ScriptedResponse,
  type ScriptedServer,
} from '../harness/scripted-registry.js';
import {
  BRANCH,
  OVERRIDE_PATH,
  describeRun,
  errorLines,
  overrideFile,
  startActionFixture,
  type ActionFixture,
} from './action-fixture.js';
import { makeCheckout, removeCheckout, runCli } from './checkout.js';

const execFileAsync = promisify(execFile);
const TEST_TIMEOUT_MS = 240_000;

const REGISTRY_USER = 'ci-robot';
const REGISTRY_PASSWORD = 'Reg-P4ss-7f3a9c-UNIQUE';
const GITHUB_TOKEN = 'ghp_Tok3nThatMustNeverBeSeen0123456789';
const WRONG_PASSWORD = 'Wrong-P4ss-b81e2d-UNIQUE';

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Every spelling of a credential that could leak. */
function secretForms(user: string, password: string): string[] {
  return [password, `${user}:${password}`, base64(`${user}:${password}`), GITHUB_TOKEN];
}

/** A JSON Web Token (the registry's bearer tokens); none may be printed either. */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

/** Everything the run and the repository hold as text, except the `::add-mask::` commands. */
async function everythingVisible(fixture: ActionFixture, run: ActionRun): Promise<string> {
  const git = async (args: string[]): Promise<string> =>
    (
      await execFileAsync('git', ['--git-dir', fixture.github.gitDir, ...args], {
        timeout: 10_000,
      })
    ).stdout;
  const pulls = fixture.github.listPulls();
  return [
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    run.summary,
    await git(['log', '--all', '--format=%an %ae%n%B']),
    await git(['for-each-ref', '--format=%(refname)']),
    ...pulls.map((pull) =>
      JSON.stringify([pull.title, pull.body, pull.labels, pull.comments, pull.head]),
    ),
  ].join('\n');
}

function maskedValues(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length));
}

interface FlowCase {
  readonly name: string;
  readonly auth: 'basic' | 'token';
  /** How the credential reaches the action. */
  readonly via: 'input' | 'input-env' | 'docker-config';
}

const flows: FlowCase[] = [
  { name: 'basic auth, registry-credentials input', auth: 'basic', via: 'input' },
  { name: 'basic auth, Docker config.json', auth: 'basic', via: 'docker-config' },
  { name: 'token auth, registry-credentials env: reference', auth: 'token', via: 'input-env' },
  { name: 'token auth, Docker config.json', auth: 'token', via: 'docker-config' },
];

describe('no credential in anything the run leaves behind', () => {
  it.each(flows)(
    '$name',
    async ({ auth, via }) => {
      const fixture = await startActionFixture({
        registry: { tls: true, auth, users: { [REGISTRY_USER]: REGISTRY_PASSWORD } },
        github: { tokens: { [GITHUB_TOKEN]: { contents: 'write', pullRequests: 'write' } } },
      });
      const dockerConfig = await mkdtemp(path.join(os.tmpdir(), 'docker-config-'));
      try {
        await fixture.push('main-8', 'main-9', 'main-10');
        const host = fixture.registry.host;
        const inputs: Record<string, string> = {
          'ca-file': fixture.registry.caFile ?? '',
          labels: 'dependencies',
        };
        const env: Record<string, string> = { DOCKER_CONFIG: dockerConfig };
        if (via === 'input') {
          inputs['registry-credentials'] = `${host}=${REGISTRY_USER}:${REGISTRY_PASSWORD}`;
        } else if (via === 'input-env') {
          inputs['registry-credentials'] = `${host}=env:CHART_REGISTRY_LOGIN`;
          env['CHART_REGISTRY_LOGIN'] = `${REGISTRY_USER}:${REGISTRY_PASSWORD}`;
        } else {
          await writeFile(
            path.join(dockerConfig, 'config.json'),
            JSON.stringify({
              auths: { [host]: { auth: base64(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`) } },
            }),
          );
        }
        const run = await fixture.run({ inputs, env: { ...env, GITHUB_TOKEN } });
        // The flow really went through authentication and publishing.
        expect(run.exitCode, describeRun(run)).toBe(0);
        expect(await fixture.github.readFile(BRANCH, OVERRIDE_PATH)).toBe(
          overrideFile(fixture.image, 'main-10'),
        );
        expect(fixture.github.listPulls()).toHaveLength(1);
        if (auth === 'token') {
          expect(
            fixture.registry.tokenRequests.some(
              (request) => request.username === REGISTRY_USER && request.status === 200,
            ),
          ).toBe(true);
        }

        const visible = await everythingVisible(fixture, run);
        for (const secret of secretForms(REGISTRY_USER, REGISTRY_PASSWORD)) {
          expect(visible).not.toContain(secret);
        }
        expect(visible).not.toMatch(JWT);
        // …and the runner was asked to hide the password and the token.
        const masked = maskedValues(run);
        expect(masked).toContain(REGISTRY_PASSWORD);
        expect(masked).toContain(GITHUB_TOKEN);
        expect(fixture.github.violations).toEqual([]);
      } finally {
        await rm(dockerConfig, { recursive: true, force: true });
        await fixture.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a refused password is not echoed in the failure',
    async () => {
      const fixture = await startActionFixture({
        registry: { tls: true, auth: 'basic', users: { [REGISTRY_USER]: REGISTRY_PASSWORD } },
        github: { tokens: { [GITHUB_TOKEN]: { contents: 'write', pullRequests: 'write' } } },
      });
      try {
        await fixture.push('main-8', 'main-9');
        const run = await fixture.run({
          inputs: {
            'ca-file': fixture.registry.caFile ?? '',
            'registry-credentials': `${fixture.registry.host}=${REGISTRY_USER}:${WRONG_PASSWORD}`,
          },
        });
        expect(run.exitCode, describeRun(run)).toBe(1);
        const errors = errorLines(run).join('\n');
        expect(errors).toContain('returned 401');
        expect(errors).toContain('input registry-credentials line 1');
        const visible = await everythingVisible(fixture, run);
        for (const secret of secretForms(REGISTRY_USER, WRONG_PASSWORD)) {
          expect(visible).not.toContain(secret);
        }
        expect(fixture.github.listPulls()).toEqual([]);
      } finally {
        await fixture.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// Where registry credentials may go: a scripted registry that redirects its blobs and paginates
// to another host (another port of 127.0.0.1 is another host).

describe('registry credentials stay on their host (command line, scripted registry)', () => {
  let home: ScriptedServer;
  let foreign: ScriptedServer;
  const user = 'deploy';
  const password = 'Scripted-P4ss-42c1-UNIQUE';
  const expectedAuthorization = `Basic ${base64(`${user}:${password}`)}`;
  const image = syntheticImage({ created: '2024-05-02T00:00:00Z' });
  const older = syntheticImage({ created: '2024-05-01T00:00:00Z', labels: { v: '1' } });

  beforeAll(async () => {
    home = await startScriptedServer();
    foreign = await startScriptedServer();
    const authorized =
      (answer: () => ScriptedResponse): ScriptedHandler =>
      (request) =>
        request.headers.authorization === expectedAuthorization
          ? answer()
          : {
              status: 401,
              headers: { 'www-authenticate': 'Basic realm="registry"' },
              body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
            };
    home.on(
      'GET',
      '/v2/',
      authorized(() => ({ status: 200, body: {} })),
    );
    home.on(
      'GET',
      '/v2/team/app/tags/list',
      authorized(() => ({
        status: 200,
        headers: {
          link: `<${foreign.origin}/v2/team/app/tags/list?last=main-2&n=2>; rel="next"`,
        },
        body: { name: 'team/app', tags: ['main-1', 'main-2'] },
      })),
    );
    for (const [tag, built] of [
      ['main-1', older],
      ['main-2', image],
    ] as const) {
      const manifest = authorized(() => ({
        status: 200,
        headers: {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': built.manifestDigest,
        },
        body: built.manifest,
      }));
      home.on('GET', `/v2/team/app/manifests/${tag}`, manifest);
      home.on('HEAD', `/v2/team/app/manifests/${tag}`, manifest);
      // Config blobs live in "blob storage" on another host, as with S3 or a CDN.
      home.on(
        'GET',
        `/v2/team/app/blobs/${built.configDigest}`,
        authorized(() => ({
          status: 307,
          headers: { location: `${foreign.origin}/storage/${built.configDigest}?signature=abc` },
        })),
      );
      foreign.on('GET', `/storage/${built.configDigest}`, { status: 200, body: built.config });
    }
    foreign.on('GET', '/v2/team/app/tags/list', {
      status: 200,
      body: { name: 'team/app', tags: ['main-3'] },
    });
  });

  afterAll(async () => {
    await home?.close();
    await foreign?.close();
  });

  it('follows the blob redirect without Authorization and never follows the foreign page', async () => {
    const dir = await makeCheckout({
      'helm/.argocd-source-example.yaml': overrideFile(`${home.host}/team/app`, 'main-1'),
    });
    vi.stubEnv('DOCKER_CONFIG', dir);
    try {
      const run = await runCli([
        '--dir',
        dir,
        '--images',
        `app=${home.host}/team/app`,
        '--chart-path',
        'helm',
        '--app-name',
        'example',
        '--insecure-registries',
        `${home.host},${foreign.host}`,
        '--registry-credentials',
        `${home.host}=${user}:${password}`,
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(await readFile(path.join(dir, 'helm/.argocd-source-example.yaml'), 'utf8')).toBe(
        overrideFile(`${home.host}/team/app`, 'main-2'),
      );
      // The home registry did get the credentials, so they were in play…
      expect(
        home.requests.some((request) => request.headers.authorization === expectedAuthorization),
      ).toBe(true);
      // …the blob storage host served the configs but never saw them…
      expect(foreign.count('GET', `/storage/${image.configDigest}`)).toBe(1);
      expect(foreign.requests.filter((request) => request.headers.authorization)).toEqual([]);
      // …and the foreign next page was not asked at all (main-3 only lives there).
      expect(foreign.count('GET', '/v2/team/app/tags/list')).toBe(0);
      expect(run.stderr).toContain(foreign.host);
      expect(`${run.stdout}${run.stderr}`).not.toContain(password);
      expect(`${run.stdout}${run.stderr}`).not.toContain(base64(`${user}:${password}`));
    } finally {
      vi.unstubAllEnvs();
      await removeCheckout(dir);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// TLS: verified unless the host is listed in insecure-registries.

describe('TLS verification', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ tls: true });
    await registry.push('team/app', 'main-1', { created: '2024-01-01T00:00:00Z' });
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
  });

  function settings(overrides: Partial<RegistrySettings>): RegistrySettings {
    return {
      credentials: [],
      caCertificates: undefined,
      insecureRegistries: [],
      concurrency: 2,
      requestBudget: 100,
      timeoutMs: 10_000,
      cache: false,
      ...overrides,
    };
  }

  async function listTags(overrides: Partial<RegistrySettings>): Promise<string[]> {
    const client = createRegistryClient({
      settings: settings(overrides),
      logger: silentLogger,
      env: {},
      sleep: () => Promise.resolve(),
    });
    try {
      return await client.listTags(parseImageReference(`${registry.host}/team/app`));
    } finally {
      await client.close();
    }
  }

  it.each([
    { name: 'nothing configured', overrides: {} },
    { name: 'another host listed as insecure', overrides: { insecureRegistries: ['127.0.0.1:1'] } },
    {
      name: 'the same machine listed under another name',
      overrides: { insecureRegistries: ['localhost'] },
    },
  ])('an unknown CA is refused: $name', async ({ overrides }) => {
    await expect(listTags(overrides)).rejects.toThrow(
      /signed by an unknown authority.*ca-file.*insecure-registries/,
    );
  });

  it('the CA given as ca-file is trusted', async () => {
    expect(await listTags({ caCertificates: registry.caPem })).toEqual(['main-1']);
  });

  it('a host listed in insecure-registries is reached without verification', async () => {
    expect(await listTags({ insecureRegistries: [registry.host] })).toEqual(['main-1']);
  });

  it('the action on the command line refuses the unknown CA too, and writes nothing', async () => {
    const original = overrideFile(`${registry.host}/team/app`, 'main-0');
    const dir = await makeCheckout({ 'helm/.argocd-source-example.yaml': original });
    vi.stubEnv('DOCKER_CONFIG', dir);
    vi.stubEnv('NODE_EXTRA_CA_CERTS', '');
    try {
      const run = await runCli([
        '--dir',
        dir,
        '--images',
        `app=${registry.host}/team/app`,
        '--chart-path',
        'helm',
        '--app-name',
        'example',
      ]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain('signed by an unknown authority');
      expect(await readFile(path.join(dir, 'helm/.argocd-source-example.yaml'), 'utf8')).toBe(
        original,
      );
    } finally {
      vi.unstubAllEnvs();
      await removeCheckout(dir);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Image labels are registry data: a credential or markup in them must not reach a pull request.

describe('image labels in the pull request body', () => {
  it(
    'a source label with user info and a revision with markup are left out of the pull request',
    async () => {
      const fixture = await startActionFixture();
      try {
        await fixture.push('main-8');
        await fixture.registry.push('team/app', 'main-9', {
          created: '2024-01-09T00:00:00Z',
          labels: {
            'org.opencontainers.image.source':
              'https://x-access-token:LabelSecret-93ac@github.com/acme/app',
            'org.opencontainers.image.revision': 'abc)[click](https://evil.example',
          },
        });
        const run = await fixture.run();
        expect(run.exitCode, describeRun(run)).toBe(0);
        const [pull] = fixture.github.listPulls();
        expect(pull?.title).toBe('chore(images): update app to main-9');
        const visible = await everythingVisible(fixture, run);
        expect(visible).not.toContain('LabelSecret-93ac');
        expect(visible).not.toContain('evil.example');
        expect(fixture.github.violations).toEqual([]);
      } finally {
        await fixture.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
