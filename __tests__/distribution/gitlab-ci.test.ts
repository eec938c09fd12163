// @module-tag integration
/**
 * The GitLab CI recipe (docs/examples/gitlab-ci.yml and the script it runs,
 * docs/examples/gitlab-ci-update-images.sh) run here as the job would run it: the script, copied
 * into a chart repository checked out from a local bare remote, installs the packed command line,
 * resolves against a registry with TLS from a private CA and basic auth (a Harbor stand-in), commits,
 * and pushes with GitLab's push options. The bare remote records the options it receives.
 * Not exercised: GitLab itself (that it opens the merge request from those options, its
 * variables, cache and schedules).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyExampleChart } from '../harness/example-chart.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import {
  DEAD_REGISTRY,
  PROJECT_ROOT,
  cleanEnvironment,
  packProject,
  run,
  systemPathDirectories,
  type CommandResult,
} from './package-install.js';

const SCRIPT = path.join(PROJECT_ROOT, 'docs/examples/gitlab-ci-update-images.sh');
const PIPELINE = path.join(PROJECT_ROOT, 'docs/examples/gitlab-ci.yml');
const BRANCH = 'helm-image-updater/images';
const PASSWORD = 'harbor-robot-secret-4711';

const day = 86_400_000;
const base = Date.parse('2026-11-01T00:00:00Z');

let registry: RunningRegistry;
let work: string;
let home: string;
let tarball: string;
let remote: string;
let env: NodeJS.ProcessEnv;

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

beforeAll(async () => {
  registry = await startRegistry({ tls: true, auth: 'basic', users: { robot$charts: PASSWORD } });
  for (const [tag, days] of [
    ['main-2682590', 1],
    ['main-b99bc73', 3],
    ['main-f4c1d0e', 2],
  ] as const) {
    await registry.push('lyzhang1999/frontend', tag, { created: new Date(base + days * day) });
  }
  await registry.push('lyzhang1999/backend', 'main-2682590', { created: new Date(base + day) });
  work = mkdtempSync(path.join(os.tmpdir(), 'gitlab-ci-test-'));
  home = path.join(work, 'home');
  mkdirSync(home);
  env = cleanEnvironment(systemPathDirectories(), home);
  const packDirectory = path.join(work, 'pack');
  mkdirSync(packDirectory);
  ({ tarball } = await packProject(packDirectory, env));

  // The GitLab project: a bare repository that accepts push options and logs them per push.
  remote = path.join(work, 'remote.git');
  git(work, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  git(remote, 'config', 'receive.advertisePushOptions', 'true');
  const hook = path.join(remote, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      'i=0',
      'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do',
      '  eval "printf \'%s\\n\' \\"\\$GIT_PUSH_OPTION_$i\\""',
      '  i=$((i + 1))',
      'done >>push-options.log',
      'echo --- >>push-options.log',
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);

  // The chart repository's default branch: the example chart, the config file, the pipeline.
  const seed = path.join(work, 'seed');
  copyExampleChart(seed, registry.host);
  mkdirSync(path.join(seed, '.gitlab'));
  writeFileSync(
    path.join(seed, '.gitlab', 'helm-image-updater.yml'),
    [
      'images:',
      `  frontend: { repository: ${registry.host}/lyzhang1999/frontend, allow-tags: 'regexp:^main-' }`,
      `  backend: { repository: ${registry.host}/lyzhang1999/backend, allow-tags: 'regexp:^main-' }`,
      'targets:',
      '  - name: example',
      '    type: argocd-override',
      '    path: helm',
      '    app: example',
      '    images: [frontend, backend]',
      '',
    ].join('\n'),
  );
  // A second config in which one image does not exist in the registry.
  writeFileSync(
    path.join(seed, '.gitlab', 'with-missing-image.yml'),
    [
      'images:',
      `  frontend: { repository: ${registry.host}/lyzhang1999/frontend, allow-tags: 'regexp:^main-' }`,
      `  missing: { repository: ${registry.host}/lyzhang1999/missing, allow-tags: 'regexp:^main-' }`,
      'targets:',
      '  - name: example',
      '    type: argocd-override',
      '    path: helm',
      '    app: example',
      '    images: [frontend, missing]',
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(seed, 'ci'));
  copyFileSync(SCRIPT, path.join(seed, 'ci', 'update-images.sh'));
  copyFileSync(PIPELINE, path.join(seed, '.gitlab-ci.yml'));
  git(seed, 'init', '--quiet', '--initial-branch=main');
  git(seed, 'add', '--all');
  git(
    seed,
    '-c',
    'user.name=Dev',
    '-c',
    'user.email=dev@example.invalid',
    'commit',
    '--quiet',
    '-m',
    'chart',
  );
  git(seed, 'push', '--quiet', remote, 'main');
}, 120_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A runner's checkout: a clone of the remote, detached at the default branch's commit. */
function checkout(name: string): string {
  const dir = path.join(work, name);
  git(work, 'clone', '--quiet', remote, dir);
  git(dir, 'checkout', '--quiet', '--detach', 'main');
  return dir;
}

/** The CI/CD variables of the recipe; npm installs into its own prefix, from the tarball. */
function jobEnvironment(prefix: string, variables: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...cleanEnvironment([path.join(prefix, 'bin'), ...systemPathDirectories()], home),
    CI_DEFAULT_BRANCH: 'main',
    CI_SERVER_HOST: 'gitlab.example.invalid',
    CI_PROJECT_PATH: 'platform/charts',
    HARBOR_HOST: registry.host,
    HARBOR_USERNAME: 'robot$charts',
    HARBOR_PASSWORD: PASSWORD,
    HARBOR_CA: registry.caFile ?? '',
    GITLAB_PUSH_TOKEN: 'glpat-never-used-with-a-local-remote',
    UPDATE_IMAGES_CACHE_DIR: '.helm-image-updater-cache',
    UPDATE_IMAGES_PUSH_URL: remote,
    HELM_IMAGE_UPDATER_PACKAGE: tarball,
    npm_config_prefix: prefix,
    npm_config_offline: 'true',
    npm_config_registry: DEAD_REGISTRY,
    ...variables,
  };
}

/** The job's script, run as the job runs it. */
function runJob(
  dir: string,
  prefix: string,
  variables: Record<string, string> = {},
): Promise<CommandResult> {
  return run('sh', ['ci/update-images.sh'], {
    cwd: dir,
    timeoutMs: 120_000,
    env: jobEnvironment(prefix, variables),
  });
}

const pushes = (): string[][] => {
  const file = path.join(remote, 'push-options.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('---\n')
    .filter((entry) => entry !== '')
    .map((entry) => entry.trimEnd().split('\n'));
};

describe('the GitLab CI recipe (docs/examples/gitlab-ci.yml)', () => {
  it('the pipeline runs the script the tests run, on a schedule, one at a time', () => {
    const pipeline = parse(readFileSync(PIPELINE, 'utf8')) as Record<
      string,
      { script: string[]; rules: { if: string }[]; resource_group: string; image: string }
    >;
    const job = pipeline['update-images'];
    expect(job?.script).toEqual(['sh ci/update-images.sh']);
    expect(job?.rules).toContainEqual({ if: '$CI_PIPELINE_SOURCE == "schedule"' });
    expect(job?.resource_group).toBe('update-images');
    expect(readFileSync(SCRIPT, 'utf8')).toContain('github:OWNER/helm-image-updater#v1');
  });

  it('installs the command line, commits the newest builds and pushes with merge request options', async () => {
    const dir = checkout('first');
    const main = git(dir, 'rev-parse', 'HEAD');
    const prefix = path.join(work, 'prefix-first');
    const result = await runJob(dir, prefix);
    expect(result.code, result.stderr).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);

    const head = git(remote, 'rev-parse', `refs/heads/${BRANCH}`);
    expect(git(remote, 'rev-parse', `${head}^`)).toBe(main);
    expect(git(remote, 'log', '-1', '--format=%B', head)).toBe(
      [
        'chore(images): update frontend to main-b99bc73 and backend to main-2682590',
        '',
        '- helm/.argocd-source-example.yaml frontend.tag: 2682590 -> main-b99bc73',
        '- helm/.argocd-source-example.yaml backend.tag: 2682590 -> main-2682590',
      ].join('\n'),
    );
    // Only the two tag values changed; the cache directory was not committed.
    expect(git(remote, 'diff', '--name-only', main, head)).toBe('helm/.argocd-source-example.yaml');
    expect(
      git(remote, 'diff', '--unified=0', main, head)
        .split('\n')
        .filter((line) => /^[-+] /.test(line)),
    ).toEqual([
      '-    value: "2682590"',
      '+    value: "main-b99bc73"',
      '-    value: "2682590"',
      '+    value: "main-2682590"',
    ]);
    expect(pushes()).toEqual([
      [
        'merge_request.create',
        'merge_request.target=main',
        'merge_request.title=chore(images): update frontend to main-b99bc73 and backend to main-2682590',
        'merge_request.remove_source_branch',
      ],
    ]);

    // The next scheduled run, with the merge request still open: the same branch is rebuilt on
    // the default branch and replaced (the lease holds: nobody else pushed).
    await registry.push('lyzhang1999/frontend', 'main-0aa1b2c', {
      created: new Date(base + 5 * day),
    });
    const second = checkout('second');
    const again = await runJob(second, prefix);
    expect(again.code, again.stderr).toBe(0);
    const replaced = git(remote, 'rev-parse', `refs/heads/${BRANCH}`);
    expect(replaced).not.toBe(head);
    expect(git(remote, 'rev-parse', `${replaced}^`)).toBe(main);
    expect(git(remote, 'log', '-1', '--format=%s', replaced)).toBe(
      'chore(images): update frontend to main-0aa1b2c and backend to main-2682590',
    );
    expect(pushes()).toHaveLength(2);

    // The merge request is merged: the next run finds nothing to do and pushes nothing.
    git(remote, 'update-ref', 'refs/heads/main', replaced);
    const third = checkout('third');
    const idle = await runJob(third, prefix);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.stdout).toContain('Image tags are current; nothing to commit.');
    expect(pushes()).toHaveLength(2);
  }, 240_000);

  it('an image that fails fails the job, and the images that resolved are still pushed', async () => {
    await registry.push('lyzhang1999/frontend', 'main-1c2d3e4', {
      created: new Date(base + 6 * day),
    });
    const dir = checkout('partial');
    const main = git(dir, 'rev-parse', 'HEAD');
    const before = pushes().length;
    const result = await runJob(dir, path.join(work, 'prefix-partial'), {
      UPDATE_IMAGES_CONFIG: '.gitlab/with-missing-image.yml',
      UPDATE_IMAGES_BRANCH: 'helm-image-updater/partial',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('lyzhang1999/missing');
    const head = git(remote, 'rev-parse', 'refs/heads/helm-image-updater/partial');
    expect(git(remote, 'rev-parse', `${head}^`)).toBe(main);
    expect(git(remote, 'log', '-1', '--format=%s', head)).toBe(
      'chore(images): update frontend to main-1c2d3e4',
    );
    expect(pushes()).toHaveLength(before + 1);
  }, 240_000);

  it('a commit pushed to the branch while the job runs is kept: the push is refused', async () => {
    await registry.push('lyzhang1999/frontend', 'main-2d3e4f5', {
      created: new Date(base + 7 * day),
    });
    const dir = checkout('race');
    const branch = 'helm-image-updater/race';
    const author = { GIT_AUTHOR_NAME: 'Other', GIT_AUTHOR_EMAIL: 'other@example.invalid' };
    const commitTree = (message: string) =>
      execFileSync('git', ['commit-tree', 'main^{tree}', '-p', 'main', '-m', message], {
        cwd: remote,
        encoding: 'utf8',
        env: {
          ...author,
          GIT_COMMITTER_NAME: 'Other',
          GIT_COMMITTER_EMAIL: 'other@example.invalid',
        },
      }).trim();
    const seen = commitTree('what the job sees');
    const theirs = commitTree('pushed while the job runs');
    git(remote, 'update-ref', `refs/heads/${branch}`, seen);
    // A git in front of the real one: right before the job's push, someone else moves the branch.
    const shims = path.join(work, 'shims');
    mkdirSync(shims);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(
      path.join(shims, 'git'),
      [
        '#!/bin/sh',
        'case " $* " in',
        `  *" push "*) "${realGit}" --git-dir="${remote}" update-ref "refs/heads/${branch}" "${theirs}" ;;`,
        'esac',
        `exec "${realGit}" "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(path.join(shims, 'git'), 0o755);
    const prefix = path.join(work, 'prefix-race');
    const result = await run('sh', ['ci/update-images.sh'], {
      cwd: dir,
      timeoutMs: 120_000,
      env: {
        ...jobEnvironment(prefix, { UPDATE_IMAGES_BRANCH: branch }),
        PATH: [shims, path.join(prefix, 'bin'), ...systemPathDirectories()].join(path.delimiter),
      },
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/stale info|rejected/);
    expect(git(remote, 'rev-parse', `refs/heads/${branch}`)).toBe(theirs);
  }, 240_000);
});
