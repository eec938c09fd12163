/**
 * The command-line entry end to end: a real registry, a copy of the example chart, the bundled
 * `dist/cli.js`, and the exact bytes it leaves in the checkout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_NAMES } from '../../src/config/inputs.js';
import { CLI_ENTRY } from '../harness/action-runner.js';
import { EXAMPLE_CHART, copyExampleChart } from '../harness/example-chart.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';

const day = 86_400_000;
const base = Date.parse('2026-11-01T00:00:00Z');

let registry: RunningRegistry;
let work: string;

/** Name order and time order disagree: by name main-f4c1d0e, by build time main-b99bc73. */
const frontendBuilds: [string, number][] = [
  ['main-1276e23', 1],
  ['main-2682590', 2],
  ['main-f4c1d0e', 3],
  ['main-b99bc73', 4],
  ['feature-x-0000001', 9],
  ['v1.0.0', 1],
  ['v1.1.0', 2],
  ['v2.0.0', 3],
];

beforeAll(async () => {
  registry = await startRegistry();
  for (const [tag, days] of frontendBuilds) {
    await registry.push('lyzhang1999/frontend', tag, {
      created: new Date(base + days * day),
      platforms: ['linux/amd64', 'linux/arm64'],
    });
  }
  for (const [tag, days] of [
    ['main-2682590', 5],
    ['main-b99bc73', 2],
  ] as const) {
    await registry.push('lyzhang1999/backend', tag, { created: new Date(base + days * day) });
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
});

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the example chart whose image names point at the test registry. */
function checkout(name: string): string {
  const dir = path.join(work, name);
  copyExampleChart(dir, registry.host);
  return dir;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

describe('helm-image-updater (dist/cli.js)', () => {
  it('writes the override file: only the two tag values change, by build time not by name', async () => {
    const dir = checkout('override');
    const images = `frontend=${registry.host}/lyzhang1999/frontend,backend=${registry.host}/lyzhang1999/backend`;
    const result = await cli([
      '--dir',
      dir,
      '--images',
      images,
      '--insecure-registries',
      registry.host,
      '--chart-path',
      'helm',
      '--app-name',
      'example',
      '--json',
    ]);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(read(dir, 'helm/.argocd-source-example.yaml')).toBe(
      [
        'helm:',
        '  parameters:',
        '  - name: frontend.image',
        `    value: ${registry.host}/lyzhang1999/frontend`,
        '    forcestring: true',
        '  - name: frontend.tag',
        '    value: "main-b99bc73"',
        '    forcestring: true',
        '  - name: backend.image',
        `    value: ${registry.host}/lyzhang1999/backend`,
        '    forcestring: true',
        '  - name: backend.tag',
        // backend's newest build is main-2682590 (day 5), although main-b99bc73 sorts after it.
        '    value: "main-2682590"',
        '    forcestring: true',
        '',
      ].join('\n'),
    );
    const report = JSON.parse(result.stdout) as {
      decisions: { alias: string; chosen: string; changed: boolean; reason: string }[];
      updates: { file: string; key: string; from: string; to: string }[];
      errors: unknown[];
    };
    expect(report.errors).toEqual([]);
    expect(report.updates).toEqual([
      expect.objectContaining({
        file: 'helm/.argocd-source-example.yaml',
        key: 'frontend.tag',
        from: '2682590',
        to: 'main-b99bc73',
      }),
      expect.objectContaining({
        file: 'helm/.argocd-source-example.yaml',
        key: 'backend.tag',
        from: '2682590',
        to: 'main-2682590',
      }),
    ]);
    const backend = report.decisions.find((decision) => decision.alias === 'backend');
    expect(backend).toMatchObject({ chosen: 'main-2682590', changed: true });
  });

  it('writes one values file per environment, with the per-environment policy', async () => {
    const dir = checkout('environments');
    writeFileSync(
      path.join(dir, '.github/helm-image-updater.yml'),
      [
        'images:',
        `  frontend: { repository: ${registry.host}/lyzhang1999/frontend, strategy: newest-build, allow-tags: "regexp:^main-" }`,
        'targets:',
        '  - name: environments',
        '    type: values',
        '    files: helm-env/env/*/values.yaml',
        '    images: [frontend]',
        '    environments:',
        '      prod: { strategy: semver, constraint: "^1", allow-tags: any }',
        '',
      ].join('\n'),
    );
    const result = await cli(['--dir', dir, '--insecure-registries', registry.host]);
    expect(result.code).toBe(0);
    const expected = (tag: string) =>
      `frontend:\n  image: ${registry.host}/lyzhang1999/frontend\n  tag: ${tag}`;
    expect(read(dir, 'helm-env/env/dev/values.yaml')).toBe(expected('main-b99bc73'));
    expect(read(dir, 'helm-env/env/test/values.yaml')).toBe(expected('main-b99bc73'));
    expect(read(dir, 'helm-env/env/staging/values.yaml')).toBe(expected('main-b99bc73'));
    expect(read(dir, 'helm-env/env/prod/values.yaml')).toBe(expected('v1.1.0'));
    expect(result.stdout).toContain('environments/prod');
  });

  it('--dry-run writes nothing and prints the plan', async () => {
    const dir = checkout('dry-run');
    const result = await cli([
      '--dir',
      dir,
      '--images',
      `frontend=${registry.host}/lyzhang1999/frontend`,
      '--insecure-registries',
      registry.host,
      '--write-back-target',
      'values',
      '--values-files',
      'helm/values.yaml',
      '--dry-run',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Would change:');
    expect(result.stdout).toContain('frontend.tag: 1276e23 → main-b99bc73');
    const before = readFileSync(path.join(EXAMPLE_CHART, 'helm/values.yaml'), 'utf8');
    expect(read(dir, 'helm/values.yaml')).toBe(
      before.replaceAll('lyzhang1999/', `${registry.host}/lyzhang1999/`),
    );
  });

  it('one image failing exits 1 and still writes the others', async () => {
    const dir = checkout('partial');
    const result = await cli([
      '--dir',
      dir,
      '--images',
      `frontend=${registry.host}/lyzhang1999/frontend,backend=${registry.host}/lyzhang1999/missing`,
      '--insecure-registries',
      registry.host,
      '--write-back-target',
      'values',
      '--values-files',
      'helm/values.yaml',
      '--json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { errors: { image: string; message: string }[] };
    expect(report.errors).toEqual([
      expect.objectContaining({
        image: 'backend',
        message: expect.stringContaining('lyzhang1999/missing') as string,
      }),
    ]);
    expect(read(dir, 'helm/values.yaml')).toContain("tag: 'main-b99bc73'");
    expect(read(dir, 'helm/values.yaml')).toContain("tag: '1276e23'");
  });

  it('allow-tags in Go RE2 syntax (a POSIX class) selects as argocd-image-updater would, from the bundle', async () => {
    const dir = checkout('posix-class');
    const result = await cli([
      '--dir',
      dir,
      '--images',
      `frontend=${registry.host}/lyzhang1999/frontend`,
      '--insecure-registries',
      registry.host,
      '--allow-tags',
      'regexp:^main-[[:digit:]]+$',
      '--chart-path',
      'helm',
      '--app-name',
      'example',
      '--dry-run',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { decisions: { chosen: string }[] };
    // main-2682590 is the newest all-digit build; main-b99bc73 and main-f4c1d0e are newer but not digits.
    expect(report.decisions).toEqual([expect.objectContaining({ chosen: 'main-2682590' })]);
  });

  it('a configuration error names the input and writes nothing, before any registry request', async () => {
    const dir = checkout('bad-config');
    await registry.resetRequestCounts();
    const result = await cli([
      '--dir',
      dir,
      '--images',
      `frontend=${registry.host}/lyzhang1999/frontend`,
      '--allow-tags',
      'regexp:main-(',
      '--chart-path',
      'helm',
      '--app-name',
      'example',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('allow-tags');
    expect((await registry.requestCounts()).total).toBe(0);
  });

  it('--help lists every action input and the command-line flags', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const name of INPUT_NAMES.filter(
      (input) => !['token', 'repository', 'base-branch', 'cache'].includes(input),
    )) {
      expect(result.stdout).toContain(`--${name}`);
    }
    for (const flag of ['--dir', '--dry-run', '--json', '--cache-dir'])
      expect(result.stdout).toContain(flag);
  });
});
