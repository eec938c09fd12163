/**
 * Chart layouts and files at the edges, end to end through the command line against a real
 * registry: list indices in helm keys, image-list entries without alias, environments named by
 * several wildcards, checkout directories, encodings and symbolic links. Each case checks the
 * exact bytes left in the checkout and, for bad input, that the registry was not asked.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/command-line.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { makeCheckout, removeCheckout, snapshot } from '../reliability/checkout.js';

const day = 86_400_000;
const base = Date.parse('2026-11-01T00:00:00Z');

let registry: RunningRegistry;
const checkouts: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  for (const [tag, days] of [
    ['main-1', 1],
    ['main-2', 2],
  ] as const) {
    await registry.push('team/worker', tag, { created: new Date(base + days * day) });
  }
  for (const [tag, days] of [
    ['1.26.1', 1],
    ['1.26.3', 2],
    ['1.27.0', 3],
  ] as const) {
    await registry.push('team/nginx', tag, { created: new Date(base + days * day) });
  }
});

afterAll(async () => {
  await registry?.close();
  for (const dir of checkouts) await removeCheckout(dir);
});

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await makeCheckout(files);
  checkouts.push(dir);
  return dir;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command line in this process, with its report and log captured. */
async function cli(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--insecure-registries', registry.host, ...args], {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const read = (dir: string, file: string): Promise<string> => readFile(path.join(dir, file), 'utf8');

/** A config file with one image, written with helm keys, and one target. */
function config(helm: string, target: string): string {
  return [
    'images:',
    `  worker: { repository: ${registry?.host ?? ''}/team/worker, strategy: newest-build, allow-tags: any, helm: ${helm} }`,
    'targets:',
    `  - ${target}`,
    '',
  ].join('\n');
}

const imagesValues = (): string =>
  [
    '# two images in one list',
    'images:',
    '  - name: web',
    '    tag: "1.0"   # the front',
    '  - name: worker',
    `    repository: ${registry.host}/team/worker`,
    "    tag: 'main-1'",
    '',
  ].join('\n');

describe('helm keys with list indices (images[1].tag)', () => {
  it('edits that element, byte-exact, and adds no top-level key', async () => {
    const dir = await checkout({
      '.github/helm-image-updater.yml': config(
        '{ image-name: "images[1].repository", image-tag: "images[1].tag" }',
        '{ name: chart, type: values, files: helm/values.yaml, images: [worker] }',
      ),
      'helm/values.yaml': imagesValues(),
    });
    const run = await cli(['--dir', dir]);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(await read(dir, 'helm/values.yaml')).toBe(
      imagesValues().replace("tag: 'main-1'", "tag: 'main-2'"),
    );
  });

  it('an index past the end is an error naming the file and key, and nothing is written', async () => {
    const dir = await checkout({
      '.github/helm-image-updater.yml': config(
        '{ image-name: "images[2].repository", image-tag: "images[2].tag" }',
        '{ name: chart, type: values, files: helm/values.yaml, images: [worker] }',
      ),
      'helm/values.yaml': imagesValues(),
    });
    const before = await snapshot(dir);
    const run = await cli(['--dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      'helm/values.yaml:3: cannot read images[2].tag: images has 2 elements, so [2] is past its end',
    );
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a placeholder other than {alias} is a configuration error before any registry request', async () => {
    const dir = await checkout({
      '.github/helm-image-updater.yml': config(
        '{ image-tag: "{name}.tag" }',
        '{ name: chart, type: values, files: helm/values.yaml, images: [worker] }',
      ),
      'helm/values.yaml': imagesValues(),
    });
    const before = await snapshot(dir);
    await registry.resetRequestCounts();
    const run = await cli(['--dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '.github/helm-image-updater.yml:2: helm key `{name}.tag` has the placeholder `{name}`; the only placeholder is `{alias}`',
    );
    expect((await registry.requestCounts()).total).toBe(0);
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('image-list entries without alias (config-source: argocd)', () => {
  it("write argocd-image-updater's image.name and image.tag in the override file", async () => {
    const override = [
      'helm:',
      '  parameters:',
      '  - name: image.name',
      `    value: ${registry.host}/team/nginx`,
      '    forcestring: true',
      '  - name: image.tag',
      '    value: 1.26.1',
      '    forcestring: true',
      '',
    ].join('\n');
    const dir = await checkout({
      'apps/web.yaml': [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Application',
        'metadata:',
        '  name: web',
        '  annotations:',
        `    argocd-image-updater.argoproj.io/image-list: ${registry.host}/team/nginx:~1.26`,
        'spec:',
        '  source:',
        '    path: helm',
        '',
      ].join('\n'),
      'helm/values.yaml': 'image:\n  name: nginx\n  tag: 1.25.0\n',
      'helm/.argocd-source-web.yaml': override,
    });
    const run = await cli(['--dir', dir, '--config-source', 'argocd']);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(await read(dir, 'helm/.argocd-source-web.yaml')).toBe(
      override.replace('value: 1.26.1', 'value: 1.26.3'),
    );
    expect(await read(dir, 'helm/values.yaml')).toBe('image:\n  name: nginx\n  tag: 1.25.0\n');
  });
});

describe('environments named by every wildcard (charts/*/env/*/values.yaml)', () => {
  it('updates charts/web/env/qa and charts/web/env/prod, each with its own settings', async () => {
    const values = (tag: string): string =>
      `worker:\n  image: ${registry.host}/team/worker\n  tag: ${tag}\n`;
    const dir = await checkout({
      '.github/helm-image-updater.yml': [
        'images:',
        `  worker: { repository: ${registry.host}/team/worker, strategy: newest-build, allow-tags: any }`,
        'targets:',
        '  - name: charts',
        '    type: values',
        '    files: charts/*/env/*/values.yaml',
        '    images: [worker]',
        '    environments:',
        '      web/prod: { mode: dry-run }',
        '',
      ].join('\n'),
      'charts/web/env/qa/values.yaml': values('main-1'),
      'charts/web/env/prod/values.yaml': values('main-1'),
    });
    const run = await cli(['--dir', dir, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      updates: { environment: string; file: string; to: string }[];
    };
    expect(
      report.updates.map((update) => [update.environment, update.file, update.to]).sort(),
    ).toEqual([
      ['web/prod', 'charts/web/env/prod/values.yaml', 'main-2'],
      ['web/qa', 'charts/web/env/qa/values.yaml', 'main-2'],
    ]);
    // web/prod's own mode (dry-run) applies to it alone: both environments were told apart.
    expect(await read(dir, 'charts/web/env/qa/values.yaml')).toBe(values('main-2'));
    expect(await read(dir, 'charts/web/env/prod/values.yaml')).toBe(values('main-1'));
    expect(run.stderr).not.toContain('warning');
  });
});

describe('checkout directories', () => {
  it.each([
    ['does not exist', (dir: string) => path.join(dir, 'missing'), 'does not exist'],
    [
      'is a file',
      (dir: string) => path.join(dir, 'helm/values.yaml'),
      'is a file, not a directory',
    ],
  ])('a --dir that %s is named before any registry request', async (_name, pick, message) => {
    const dir = await checkout({ 'helm/values.yaml': 'worker:\n  tag: main-1\n' });
    const before = await snapshot(dir);
    await registry.resetRequestCounts();
    const target = pick(dir);
    const run = await cli([
      '--dir',
      target,
      '--images',
      `worker=${registry.host}/team/worker`,
      '--write-back-target',
      'values',
      '--values-files',
      'helm/values.yaml',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the checkout directory \`${target}\` ${message}`);
    expect(run.stderr).not.toMatch(/ENOENT|\.tmp|base branch/);
    expect((await registry.requestCounts()).total).toBe(0);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('an app-name without override file, next to exactly one other, is a warning naming it', async () => {
    const dir = await checkout({
      'helm/values.yaml': 'worker:\n  tag: main-1\n',
      'helm/.argocd-source-example.yaml': 'helm:\n  parameters: []\n',
    });
    const run = await cli([
      '--dir',
      dir,
      '--images',
      `worker=${registry.host}/team/worker`,
      '--allow-tags',
      'any',
      '--chart-path',
      'helm',
      '--app-name',
      'exmaple',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'helm/.argocd-source-exmaple.yaml does not exist, but helm/.argocd-source-example.yaml does: is the application named `example` rather than `exmaple`?',
    );
    // Creating the file for a new application stays allowed.
    expect(await read(dir, 'helm/.argocd-source-exmaple.yaml')).toContain('value: main-2');
  });
});

describe('encodings', () => {
  const args = (dir: string): string[] => [
    '--dir',
    dir,
    '--images',
    `worker=${registry.host}/team/worker`,
    '--allow-tags',
    'any',
    '--write-back-target',
    'values',
    '--values-files',
    'helm/values.yaml',
  ];

  it('a values file that is not UTF-8 is refused untouched, with its name and the byte offset', async () => {
    const dir = await checkout({});
    await mkdir(path.join(dir, 'helm'));
    await writeFile(
      path.join(dir, 'helm/values.yaml'),
      Buffer.from('# caf\xe9 au lait\nworker:\n  tag: main-1\n', 'latin1'),
    );
    const before = await snapshot(dir);
    const run = await cli(args(dir));
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      'helm/values.yaml: the encoding is not UTF-8: the bytes at offset 5 (0xE9 0x20 0x61 0x75)',
    );
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a UTF-16 values file gets an error that says encoding', async () => {
    const dir = await checkout({});
    await mkdir(path.join(dir, 'helm'));
    await writeFile(
      path.join(dir, 'helm/values.yaml'),
      Buffer.from('\uFEFFworker:\n  tag: main-1\n', 'utf16le'),
    );
    const before = await snapshot(dir);
    const run = await cli(args(dir));
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      'helm/values.yaml: the encoding is UTF-16 little-endian (byte order mark FF FE), not UTF-8',
    );
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a UTF-8 byte order mark survives the edit', async () => {
    const text = `\uFEFFworker:   # ünïcødé\r\n  image: ${registry.host}/team/worker\r\n  tag: main-1\r\n`;
    const dir = await checkout({ 'helm/values.yaml': text });
    const run = await cli(args(dir));
    expect(run.code).toBe(0);
    expect(await readFile(path.join(dir, 'helm/values.yaml'))).toEqual(
      Buffer.from(text.replace('main-1', 'main-2'), 'utf8'),
    );
  });
});

describe('symbolic links under a values glob', () => {
  it('are reported by name, never followed, and the other environments are updated', async () => {
    const values = `worker:\n  image: ${registry.host}/team/worker\n  tag: main-1\n`;
    const dir = await checkout({ 'env/dev/values.yaml': values, 'shared/values.yaml': values });
    await symlink('dev', path.join(dir, 'env/qa')); // a linked directory inside the checkout
    await symlink('/etc', path.join(dir, 'env/outside')); // a link pointing outside
    await symlink('loop', path.join(dir, 'env/loop')); // a loop
    await symlink('missing', path.join(dir, 'env/dangling')); // a dangling link
    await mkdir(path.join(dir, 'env/prod'));
    await symlink('../../shared/values.yaml', path.join(dir, 'env/prod/values.yaml'));
    const before = await snapshot(dir);
    const run = await cli([
      '--dir',
      dir,
      '--images',
      `worker=${registry.host}/team/worker`,
      '--allow-tags',
      'any',
      '--write-back-target',
      'values',
      '--values-files',
      'env/*/values.yaml',
    ]);
    expect(run.code).toBe(0);
    for (const link of [
      'env/dangling',
      'env/loop',
      'env/outside',
      'env/prod/values.yaml',
      'env/qa',
    ]) {
      expect(run.stderr).toContain(
        `\`${link}\` is a symbolic link in the checkout; it is not followed`,
      );
    }
    expect(run.stderr.match(/is a symbolic link/g)).toHaveLength(5);
    expect(await read(dir, 'env/dev/values.yaml')).toBe(values.replace('main-1', 'main-2'));
    const after = await snapshot(dir);
    expect(after['shared/values.yaml']).toBe(before['shared/values.yaml']);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });
});
