// @module-tag integration
/**
 * The command line as a user installs it, away from this checkout: the npm tarball and a
 * `git+file://` install of a clone (what `npm install -g github:OWNER/helm-image-updater#v1`
 * does), each into an empty prefix with an empty npm cache and no registry within reach, then
 * `helm-image-updater --help` and a dry run against a real registry from a chart checkout
 * elsewhere, on every Node found (the machine's and Node 24).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExampleChart } from '../harness/example-chart.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import {
  PROJECT_ROOT,
  cleanEnvironment,
  installGlobally,
  nodeDirectories,
  packProject,
  run,
  systemPathDirectories,
  type CommandResult,
} from './package-install.js';

/** Scripts npm runs when it installs a package, or for which it prepares a git dependency. */
const INSTALL_TIME_SCRIPTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepare',
  'prepack',
  'build',
];

const day = 86_400_000;
const base = Date.parse('2026-11-01T00:00:00Z');

let registry: RunningRegistry;
let work: string;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry();
  // By name main-f4c1d0e sorts last; by build time main-b99bc73 is the newest.
  for (const [tag, days] of [
    ['main-2682590', 1],
    ['main-b99bc73', 3],
    ['main-f4c1d0e', 2],
  ] as const) {
    await registry.push('lyzhang1999/frontend', tag, { created: new Date(base + days * day) });
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'distribution-test-'));
  home = path.join(work, 'home');
  mkdirSync(home);
  env = cleanEnvironment(systemPathDirectories(), home);
}, 120_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the installed command with `nodeDirectory` first on PATH and nothing of this checkout. */
function helmImageUpdater(
  prefix: string,
  nodeDirectory: string,
  args: string[],
  cwd: string,
): Promise<CommandResult> {
  const pathDirectories = [path.join(prefix, 'bin'), nodeDirectory, ...systemPathDirectories()];
  return run('helm-image-updater', args, {
    cwd,
    env: { ...cleanEnvironment(pathDirectories, home), NODE_DISABLE_COMPILE_CACHE: '1' },
    timeoutMs: 60_000,
  });
}

/**
 * `--help`, then a dry run with `--dir .` in a copy of the example chart outside this checkout:
 * the newest build wins over the last name, and nothing is written.
 */
async function checkInstalledCommand(prefix: string, label: string): Promise<void> {
  const nodes = nodeDirectories();
  expect(nodes.length).toBeGreaterThan(0);
  for (const node of nodes) {
    const help = await helmImageUpdater(prefix, node.directory, ['--help'], home);
    expect(help.stderr, `${label}, ${node.version}`).toBe('');
    expect(help.code, `${label}, ${node.version}`).toBe(0);
    expect(help.stdout).toContain('Usage: helm-image-updater [flags]');
    expect(help.stdout).toContain('--dry-run');

    const chart = path.join(work, `chart-${label}-${node.version}`);
    copyExampleChart(chart, registry.host);
    const overrideFile = path.join(chart, 'helm', '.argocd-source-example.yaml');
    const before = readFileSync(overrideFile, 'utf8');
    const result = await helmImageUpdater(
      prefix,
      node.directory,
      [
        '--dir',
        '.',
        '--images',
        `frontend=${registry.host}/lyzhang1999/frontend`,
        '--insecure-registries',
        registry.host,
        '--chart-path',
        'helm',
        '--app-name',
        'example',
        '--dry-run',
        '--json',
      ],
      chart,
    );
    expect(result.code, `${label}, ${node.version}: ${result.stderr}`).toBe(0);
    const report = JSON.parse(result.stdout) as {
      decisions: { alias: string; chosen: string }[];
      updates: { file: string; key: string; to: string }[];
      errors: unknown[];
    };
    expect(report.errors).toEqual([]);
    expect(report.decisions).toEqual([
      expect.objectContaining({ alias: 'frontend', chosen: 'main-b99bc73' }),
    ]);
    expect(report.updates).toEqual([
      expect.objectContaining({
        file: 'helm/.argocd-source-example.yaml',
        key: 'frontend.tag',
        to: 'main-b99bc73',
      }),
    ]);
    expect(readFileSync(overrideFile, 'utf8')).toBe(before);
  }
}

/** What an installed package directory holds, with the modes of the files. */
function installedFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

const expectedFiles = (): string[] =>
  [
    'CHANGELOG.md',
    'LICENSE',
    'README.md',
    'action.yml',
    'package.json',
    ...readdirSync(path.join(PROJECT_ROOT, 'dist')).map((name) => `dist/${name}`),
  ].sort();

describe('the npm package', () => {
  it('declares no dependency and no script that npm runs at install time', () => {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      private?: boolean;
      license?: string;
      bin?: Record<string, string>;
      engines?: Record<string, string>;
      scripts?: Record<string, string>;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      bundleDependencies?: unknown;
    };
    expect(manifest.private).toBeUndefined();
    // dist/ is self-contained: a runtime dependency would be fetched from a registry at install.
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.optionalDependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
    // Any of these makes npm prepare a git install with every development dependency.
    expect(
      Object.keys(manifest.scripts ?? {}).filter((name) => INSTALL_TIME_SCRIPTS.includes(name)),
    ).toEqual([]);
    expect(manifest.bin).toEqual({ 'helm-image-updater': 'dist/cli.js' });
    expect(manifest.engines).toEqual({ node: '>=20.18' });
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(path.join(PROJECT_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('npm pack holds dist/, action.yml, README, LICENSE and CHANGELOG, nothing else', async () => {
    const packDirectory = path.join(work, 'pack-contents');
    mkdirSync(packDirectory);
    const { files } = await packProject(packDirectory, env);
    expect(files.map((file) => file.path).sort()).toEqual(expectedFiles());
    expect(files.find((file) => file.path === 'dist/cli.js')?.mode).toBe(0o755);
  });

  it('the tarball installs with no registry and runs --help and a dry run on every Node', async () => {
    const packDirectory = path.join(work, 'pack');
    mkdirSync(packDirectory);
    const { tarball } = await packProject(packDirectory, env);
    const prefix = path.join(work, 'prefix-tarball');
    const installed = await installGlobally(tarball, prefix, env, home);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('added 1 package');
    // A real directory with the package's files only: no node_modules, no link into a cache.
    expect(lstatSync(installed.packageDirectory).isDirectory()).toBe(true);
    expect(installedFiles(installed.packageDirectory)).toEqual(expectedFiles());
    expect(existsSync(path.join(installed.packageDirectory, 'node_modules'))).toBe(false);
    await checkInstalledCommand(prefix, 'tarball');
  });

  it('a git+file:// install of a clone at a tag works: dist/ is committed, nothing is built', async () => {
    // A clone of this repository with the working tree's tracked and new files committed on top,
    // tagged v1 as a release would be.
    const clone = path.join(work, 'clone');
    const git = (args: string[], cwd = clone) =>
      execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    git(['clone', '--quiet', '--no-checkout', PROJECT_ROOT, clone], work);
    git(['checkout', '--quiet', '--detach']);
    const files = git(
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      PROJECT_ROOT,
    )
      .split('\0')
      .filter((file) => file !== '');
    for (const file of files) {
      const from = path.join(PROJECT_ROOT, file);
      const to = path.join(clone, file);
      if (!existsSync(from)) {
        rmSync(to, { force: true });
        continue;
      }
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
    git(['add', '--all']);
    git([
      '-c',
      'user.name=Release',
      '-c',
      'user.email=release@example.invalid',
      'commit',
      '--quiet',
      '--allow-empty',
      '--no-verify',
      '-m',
      'release',
    ]);
    git(['tag', 'v1']);

    const prefix = path.join(work, 'prefix-git');
    const installed = await installGlobally(`git+file://${clone}#v1`, prefix, env, home);
    expect(installed.code, installed.stderr).toBe(0);
    // npm links a git install that it had to prepare to a clone in its cache, which it then
    // deletes (npm/cli#6984): the package must be a real directory.
    expect(lstatSync(installed.packageDirectory).isDirectory()).toBe(true);
    expect(installedFiles(installed.packageDirectory)).toEqual(expectedFiles());
    expect(existsSync(path.join(installed.packageDirectory, 'node_modules'))).toBe(false);
    await checkInstalledCommand(prefix, 'git');
  }, 240_000);
});
