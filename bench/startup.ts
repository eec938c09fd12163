/**
 * Start-up of the action bundle: from spawning `node dist/index.js` to the first HTTP request it
 * makes. A small server on 127.0.0.1 stands in for both the GitHub API (GITHUB_API_URL) and the
 * registry (the `images` input), records when the first request arrives, answers 404, and the
 * child is then stopped. Measured twice: with Node's compile cache off (a GitHub-hosted runner,
 * a fresh machine every job) and with it primed by one whole run (a self-hosted runner).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  cleanEnvironment,
  installGlobally,
  packProject,
  systemPathDirectories,
} from '../__tests__/distribution/package-install.js';
import { spread, type Spread } from './measure.js';

const FIRST_REQUEST_TIMEOUT_MS = 20_000;

export interface StartupResult {
  /** Compile cache off: what every job on a GitHub-hosted runner pays. */
  readonly toFirstRequest: Spread;
  /** Compile cache primed by an earlier run on the same machine. */
  readonly toFirstRequestCached: Spread;
  /** The first request of the last run, e.g. `GET /repos/bench/chart`. */
  readonly firstRequest: string;
}

/** The environment of an Actions step with only what the action reads, pointed at `origin`. */
function actionEnvironment(
  host: string,
  workDirectory: string,
  compileCache: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_)/.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: `http://${host}`,
    GITHUB_GRAPHQL_URL: `http://${host}/graphql`,
    GITHUB_SERVER_URL: `http://${host}`,
    GITHUB_REPOSITORY: 'bench/chart',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_WORKSPACE: workDirectory,
    RUNNER_TEMP: workDirectory,
    INPUT_IMAGES: `app=${host}/bench/app`,
    'INPUT_INSECURE-REGISTRIES': host,
    'INPUT_APP-NAME': 'bench',
    'INPUT_CONFIG-SOURCE': 'inputs',
    INPUT_REPOSITORY: 'bench/chart',
    INPUT_TOKEN: 'bench-token-not-a-secret',
    INPUT_CACHE: 'false',
    ...(compileCache === undefined
      ? { NODE_DISABLE_COMPILE_CACHE: '1' }
      : { NODE_COMPILE_CACHE: compileCache }),
  };
}

export async function measureActionStartup(
  actionEntry: string,
  repeats: number,
): Promise<StartupResult> {
  let onFirst: ((request: IncomingMessage) => void) | undefined;
  const server = createServer((request, response) => {
    const notify = onFirst;
    onFirst = undefined;
    notify?.(request);
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"message":"Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const workDirectory = await mkdtemp(path.join(os.tmpdir(), 'helm-image-updater-startup-'));
  const compileCache = path.join(workDirectory, 'node-compile-cache');
  let firstRequest = '';
  const measure = async (cache: string | undefined): Promise<Spread> => {
    const samples: number[] = [];
    for (let run = 0; run < repeats; run++) {
      const arrived = new Promise<{ at: number; request: IncomingMessage }>((resolve) => {
        onFirst = (request) => resolve({ at: performance.now(), request });
      });
      const started = performance.now();
      const child = spawn(process.execPath, [actionEntry], {
        env: actionEnvironment(host, workDirectory, cache),
        cwd: workDirectory,
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), FIRST_REQUEST_TIMEOUT_MS);
      });
      const first = await Promise.race([arrived, exited.then(() => undefined), timeout]);
      clearTimeout(timer);
      child.kill('SIGKILL');
      await exited;
      onFirst = undefined;
      if (!first) {
        throw new Error(
          `${actionEntry} made no HTTP request within ${FIRST_REQUEST_TIMEOUT_MS} ms (or exited before one)`,
        );
      }
      samples.push(first.at - started);
      firstRequest = `${first.request.method ?? '?'} ${first.request.url ?? '?'}`;
    }
    return spread(samples);
  };
  try {
    const uncached = await measure(undefined);
    // One whole run (it fails on the first 404 and exits) writes the compile cache.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [actionEntry], {
        env: actionEnvironment(host, workDirectory, compileCache),
        cwd: workDirectory,
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), FIRST_REQUEST_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const cached = await measure(compileCache);
    return { toFirstRequest: uncached, toFirstRequestCached: cached, firstRequest };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(workDirectory, { recursive: true, force: true });
  }
}

export interface InstalledLoadResult {
  /** `node dist/cli.js --help` (the bench's copy), Node's compile cache off. */
  readonly bundle: Spread;
  /** `helm-image-updater --help` installed with `npm install -g` from the packed tarball. */
  readonly installed: Spread;
}

/**
 * Loading the command line as users install it against loading `dist/cli.js` in the checkout:
 * `npm pack`, `npm install -g --prefix <scratch>` (no registry), then `--help` from each,
 * alternating, with the compile cache off (the first run on a machine) and the same Node first on
 * PATH (the installed command starts with `#!/usr/bin/env node`).
 */
export async function measureInstalledLoad(
  cli: string,
  repeats: number,
): Promise<InstalledLoadResult> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'helm-image-updater-installed-'));
  try {
    const home = path.join(scratch, 'home');
    await mkdir(home);
    const env = cleanEnvironment(
      [path.dirname(process.execPath), ...systemPathDirectories()],
      home,
    );
    const { tarball } = await packProject(scratch, env);
    const installed = await installGlobally(tarball, path.join(scratch, 'prefix'), env, home);
    if (installed.code !== 0) throw new Error(`npm install -g failed:\n${installed.stderr}`);
    const runEnv = { ...env, NODE_DISABLE_COMPILE_CACHE: '1' };
    const time = async (command: string, args: string[]): Promise<number> => {
      const started = performance.now();
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(command, args, { env: runEnv, cwd: home, stdio: 'ignore' });
        child.on('error', reject);
        child.on('close', resolve);
      });
      if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}`);
      return performance.now() - started;
    };
    const bundle: number[] = [];
    const fromPackage: number[] = [];
    for (let run = 0; run < repeats; run++) {
      bundle.push(await time(process.execPath, [cli, '--help']));
      fromPackage.push(await time(installed.bin, ['--help']));
    }
    return { bundle: spread(bundle), installed: spread(fromPackage) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
