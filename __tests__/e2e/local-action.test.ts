/**
 * scripts/local-action.sh: the bundled action run from a dotenv-style file of inputs, against a
 * real registry and the git-backed GitHub API server.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BRANCH,
  BUILDS,
  NEWEST_BUILD,
  OVERRIDE_PATH,
  expectedOverrideFile,
  startScenario,
  type Scenario,
} from './scenario.js';

const SCRIPT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../scripts/local-action.sh',
);
const TEST_TIMEOUT_MS = 120_000;

interface ScriptRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runScript(args: string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      {
        timeout: 90_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env },
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The `name=value` lines the script prints under `=== outputs`. */
function printedOutputs(stdout: string): Record<string, string> {
  const section = stdout.split('=== outputs\n')[1]?.split('\n=== step summary')[0] ?? '';
  const outputs: Record<string, string> = {};
  for (const line of section.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  return outputs;
}

describe('scripts/local-action.sh', () => {
  let scenario: Scenario;
  let dir: string;

  beforeEach(async () => {
    scenario = await startScenario();
    await scenario.push('frontend', BUILDS);
    await scenario.push('backend', BUILDS);
    dir = await mkdtemp(path.join(os.tmpdir(), 'local-action-test-'));
  });

  afterEach(async () => {
    expect(scenario.github.violations).toEqual([]);
    await scenario.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The connection settings every run needs, in the file's own syntax. */
  function connection(): string {
    return [
      `GITHUB_API_URL=${scenario.github.url}`,
      `GITHUB_REPOSITORY=acme/charts`,
      `export GITHUB_TOKEN='${scenario.github.token}'`,
      `INPUT_INSECURE-REGISTRIES=${scenario.host}`,
      'INPUT_CACHE=false',
    ].join('\n');
  }

  it(
    'runs a dry run from the file and prints the outputs and the step summary',
    async () => {
      const envFile = path.join(dir, 'dry-run.env');
      await writeFile(
        envFile,
        [
          '# inputs of the step, as in the workflow',
          connection(),
          '',
          // A multi-line input in double quotes with \n, as dotenv files write it.
          `INPUT_IMAGES="frontend=${scenario.image('frontend')}\\nbackend=${scenario.image('backend')}"`,
          'INPUT_CHART-PATH=helm   # the chart directory',
          "INPUT_APP-NAME='example'",
          'INPUT_MODE=dry-run',
        ].join('\n'),
      );
      const run = await runScript([envFile], { INPUT_MODE: 'push' });
      expect(run.status, run.stdout + run.stderr).toBe(0);

      const outputs = printedOutputs(run.stdout);
      expect(outputs.changed).toBe('true');
      expect(JSON.parse(outputs.updates ?? '[]')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: 'frontend.tag', from: '2682590', to: NEWEST_BUILD }),
          expect.objectContaining({ key: 'backend.tag', from: '2682590', to: NEWEST_BUILD }),
        ]),
      );
      expect(run.stdout).toContain('=== step summary');
      expect(run.stdout).toContain(`\`2682590\` → \`${NEWEST_BUILD}\``);
      expect(run.stdout).toContain('=== exit status 0');
      // The shell's own INPUT_MODE=push did not leak in: nothing was written.
      expect(scenario.github.listPulls()).toEqual([]);
      expect(await scenario.github.branchSha(BRANCH)).toBeUndefined();
      // The token is announced for masking and never printed.
      expect(run.stdout).toContain('::add-mask::***');
      expect(run.stdout).not.toContain(scenario.github.token);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'opens the pull request with mode pull-request and passes an event payload',
    async () => {
      const envFile = path.join(dir, 'dispatch.env');
      const payload = path.join(dir, 'event.json');
      await writeFile(
        envFile,
        `${connection()}\nINPUT_IMAGES=frontend=${scenario.image('frontend')}, backend=${scenario.image('backend')}\nINPUT_CHART-PATH=helm\nINPUT_APP-NAME=example\n`,
      );
      await writeFile(
        payload,
        JSON.stringify({
          action: 'image-pushed',
          client_payload: { image: scenario.image('backend'), tag: NEWEST_BUILD },
        }),
      );
      const run = await runScript([
        '--event',
        'repository_dispatch',
        '--payload',
        payload,
        envFile,
      ]);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(scenario.openPulls().map((pull) => pull.head)).toEqual([BRANCH]);
      const written = await scenario.github.readFile(BRANCH, OVERRIDE_PATH);
      // Only backend, the image the event named, moved.
      expect(written).toContain(`value: "${NEWEST_BUILD}"`);
      expect(written).toContain('value: "2682590"');
      expect(written).not.toBe(expectedOverrideFile(scenario.host, NEWEST_BUILD, NEWEST_BUILD));
      expect(JSON.parse(printedOutputs(run.stdout)['pull-requests'] ?? '[]')).toMatchObject([
        { action: 'created', branch: BRANCH },
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'ends with the action’s failure status and its message',
    async () => {
      const envFile = path.join(dir, 'bad.env');
      await writeFile(
        envFile,
        `${connection()}\nINPUT_IMAGES=frontend=${scenario.image('frontend')}\nINPUT_CHART-PATH=helm\nINPUT_APP-NAME=example\nINPUT_MODE=sideways\n`,
      );
      const run = await runScript([envFile]);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/::error::.*sideways/);
      expect(run.stdout).toContain('=== exit status 1');
      expect(scenario.github.listPulls()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    ['a line without =', 'INPUT_IMAGES', /line 1 is not NAME=value/],
    ['a hyphen outside an input name', 'GITHUB-TOKEN=x', /only INPUT_ names may contain '-'/],
  ])('refuses a file with %s', async (_name, content, message) => {
    const envFile = path.join(dir, 'broken.env');
    await writeFile(envFile, `${content}\n`);
    const run = await runScript([envFile]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('explains its usage without a file', async () => {
    const run = await runScript([]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Usage: scripts/local-action.sh');
  });
});
