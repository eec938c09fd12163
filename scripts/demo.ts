/**
 * The demo of the main job, on this machine only (127.0.0.1):
 *   1. a real registry (Debian's docker-registry) seeded with main-* images whose names sort
 *      differently from their build times, semver releases and a feature branch;
 *   2. the command-line entry on a copy of the example chart: the override file, then the
 *      per-environment values files with their own policies, each ending with `git diff`;
 *      then promotion dev → staging → prod on a git history, prod held back by soak;
 *   3. the bundled action (dist/index.js, run as the GitHub runner runs it) against a GitHub API
 *      server backed by a git repository, ending with the pull request it opened.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_ENTRY, runAction } from '../__tests__/harness/action-runner.js';
import { copyExampleChart } from '../__tests__/harness/example-chart.js';
import { startGitHubServer } from '../__tests__/harness/github/index.js';
import { startRegistry } from '../__tests__/harness/registry/index.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const heading = (text: string) => console.log(`\n${bold(`━━ ${text}`)}\n`);

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
const source = 'https://github.com/lyzhang1999/kubernetes-example';
const labels = (revision: string) => ({
  'org.opencontainers.image.source': source,
  'org.opencontainers.image.revision': revision,
});

/** Build times deliberately out of name order: by name main-f4c1d0e wins, by time main-b99bc73. */
const builds = [
  { tag: 'main-1276e23', age: 72, revision: '1276e23a0c4f5d2b9e8a7c6d5e4f3a2b1c0d9e8f' },
  { tag: 'main-2682590', age: 48, revision: '26825901b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7' },
  { tag: 'main-f4c1d0e', age: 30, revision: 'f4c1d0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3' },
  { tag: 'main-b99bc73', age: 2, revision: 'b99bc73d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b' },
  { tag: 'feature-login-9a8b7c6', age: 1, revision: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' },
  { tag: 'v1.0.0', age: 200, revision: 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0' },
  { tag: 'v1.1.0', age: 100, revision: 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1' },
  { tag: 'v1.2.0-rc.1', age: 20, revision: 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2' },
  { tag: 'v2.0.0', age: 10, revision: 'd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3' },
];

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** A commit dated `hours` ago (author and committer), as the chart repository's history. */
function commitAgo(dir: string, hours: number, message: string): void {
  const date = hoursAgo(hours).toISOString();
  execFileSync(
    'git',
    ['-c', 'user.name=demo', '-c', 'user.email=demo@example.com', 'commit', '-qam', message],
    { cwd: dir, env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } },
  );
}

/** An environment's values file of the example chart, with the frontend at `tag`. */
function environmentValues(image: string, tag: string): string {
  return `frontend:\n  image: ${image}\n  tag: ${tag}\n`;
}

function cli(dir: string, args: string[]): void {
  console.log(`$ helm-image-updater ${args.join(' ')}\n`);
  try {
    const out = execFileSync(process.execPath, [CLI_ENTRY, '--dir', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    process.stdout.write(out);
  } catch (error) {
    process.stdout.write(String((error as { stdout?: string }).stdout ?? ''));
    throw error;
  }
}

const registry = await startRegistry();
const workdir = mkdtempSync(path.join(os.tmpdir(), 'helm-image-updater-demo-'));
try {
  heading(
    `1. A registry on ${registry.host} (Debian's docker-registry), seeded through its HTTP API`,
  );
  for (const image of ['lyzhang1999/frontend', 'lyzhang1999/backend']) {
    for (const build of builds) {
      await registry.push(image, build.tag, {
        created: hoursAgo(build.age),
        platforms: ['linux/amd64', 'linux/arm64'],
        labels: labels(build.revision),
      });
    }
  }
  console.log('lyzhang1999/frontend and lyzhang1999/backend, linux/amd64 + linux/arm64:');
  for (const build of [...builds].sort((a, b) => (a.tag < b.tag ? 1 : -1))) {
    console.log(`  ${build.tag.padEnd(24)} built ${hoursAgo(build.age).toISOString()}`);
  }
  console.log('\nBy name, main-f4c1d0e is "newest"; by build time it is main-b99bc73.');

  const checkout = path.join(workdir, 'chart');
  // The chart pulls from this registry, so the diffs below show the tags moving and nothing else.
  copyExampleChart(checkout, registry.host);
  git(checkout, 'init', '-q', '-b', 'main');
  git(checkout, 'add', '-A');
  // Dated in the past, so the promotion history of step 2c can follow it.
  commitAgo(checkout, 200, 'chart');
  const frontend = `${registry.host}/lyzhang1999/frontend`;
  const backend = `${registry.host}/lyzhang1999/backend`;

  heading('2a. Override file (.argocd-source-example.yaml), newest main-* build');
  cli(checkout, [
    '--images',
    `frontend=${frontend}, backend=${backend}`,
    '--insecure-registries',
    registry.host,
    '--write-back-target',
    'argocd-override',
    '--chart-path',
    'helm',
    '--app-name',
    'example',
  ]);
  console.log(`\n$ git diff\n${git(checkout, '--no-pager', 'diff')}`);
  git(checkout, 'checkout', '-q', '--', '.');

  heading('2b. One environment per env/<name>/values.yaml, prod on semver ^1');
  const config = [
    'images:',
    `  frontend: { repository: ${frontend}, strategy: newest-build, allow-tags: "regexp:^main-" }`,
    'targets:',
    '  - name: environments',
    '    type: values',
    '    files: helm-env/env/*/values.yaml',
    '    images: [frontend]',
    '    environments:',
    '      prod: { strategy: semver, constraint: "^1", allow-tags: any }',
    '',
  ].join('\n');
  writeFileSync(path.join(checkout, '.github/helm-image-updater.yml'), config);
  console.log(`.github/helm-image-updater.yml:\n${config}`);
  cli(checkout, ['--insecure-registries', registry.host]);
  console.log(`\n$ git diff\n${git(checkout, '--no-pager', 'diff')}`);

  heading('2c. Promotion: dev follows the registry, staging soaks 2h, prod soaks 24h');
  const promotion = path.join(workdir, 'promotion');
  git(workdir, 'clone', '-q', checkout, promotion);
  const environment = (name: string) => path.join(promotion, `helm-env/env/${name}/values.yaml`);
  for (const name of ['dev', 'test', 'staging', 'prod']) {
    writeFileSync(environment(name), environmentValues(frontend, 'main-2682590'));
  }
  const promotionConfig = [
    'images:',
    `  frontend: { repository: ${frontend}, allow-tags: "regexp:^main-" }`,
    'targets:',
    '  - name: environments',
    '    type: values',
    '    files: helm-env/env/*/values.yaml',
    '    environments:',
    '      staging: { promote-from: dev, soak: 2h }',
    '      prod: { promote-from: staging, soak: 24h }',
    '',
  ].join('\n');
  writeFileSync(path.join(promotion, '.github/helm-image-updater.yml'), promotionConfig);
  git(promotion, 'add', '-A');
  commitAgo(promotion, 48, 'all environments on main-2682590 (#10)');
  writeFileSync(environment('dev'), environmentValues(frontend, 'main-f4c1d0e'));
  commitAgo(promotion, 32, 'dev: main-f4c1d0e (#12)');
  writeFileSync(environment('staging'), environmentValues(frontend, 'main-f4c1d0e'));
  commitAgo(promotion, 30, 'staging: main-f4c1d0e (#13)');
  writeFileSync(environment('dev'), environmentValues(frontend, 'main-b99bc73'));
  commitAgo(promotion, 2, 'dev: main-b99bc73 (#15)');
  writeFileSync(environment('staging'), environmentValues(frontend, 'main-b99bc73'));
  commitAgo(promotion, 1, 'staging: main-b99bc73 (#16)');
  console.log(`.github/helm-image-updater.yml:\n${promotionConfig}`);
  console.log(`$ git log --format='%cd %s' --date=iso-strict -- helm-env/env/staging`);
  console.log(
    git(promotion, 'log', '--format=%cd %s', '--date=iso-strict', '--', 'helm-env/env/staging'),
  );
  console.log(
    'main-f4c1d0e ran 29 h in staging before main-b99bc73 replaced it an hour ago: prod gets\n' +
      'main-f4c1d0e now, and main-b99bc73 once it has run 24 h there.\n',
  );
  cli(promotion, ['--insecure-registries', registry.host]);
  console.log(`\n$ git diff\n${git(promotion, '--no-pager', 'diff')}`);

  heading('3. The action (dist/index.js) against a GitHub API server backed by git');
  const files: Record<string, string> = {};
  for (const file of git(path.join(workdir, 'chart'), 'ls-files').split('\n').filter(Boolean)) {
    files[file] = execFileSync('git', ['show', `HEAD:${file}`], {
      cwd: checkout,
      encoding: 'utf8',
    });
  }
  const github = await startGitHubServer({ owner: 'acme', repo: 'kubernetes-example-helm', files });
  try {
    const run = await runAction({
      inputs: {
        images: `frontend=${frontend}, backend=${backend}`,
        'insecure-registries': registry.host,
        'write-back-target': 'argocd-override',
        'chart-path': 'helm',
        'app-name': 'example',
        labels: 'images',
        token: github.token,
        repository: 'acme/kubernetes-example-helm',
        'config-source': 'inputs',
        cache: 'false',
      },
      eventName: 'schedule',
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/kubernetes-example-helm' },
    });
    // What the Actions log shows: workflow commands (::debug::, ::add-mask::) are hidden there.
    process.stdout.write(
      run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::debug::') && !line.startsWith('::add-mask::'))
        .join('\n'),
    );
    if (run.exitCode !== 0) process.stderr.write(run.stderr);
    console.log(`\noutputs.changed = ${run.outputs.changed}`);
    console.log(`outputs.pull-requests = ${run.outputs['pull-requests']}`);
    for (const pull of github.listPulls()) {
      heading(`Pull request #${pull.number} (${pull.state}): ${pull.title}`);
      console.log(`branch ${pull.head} → ${pull.base}, labels: ${pull.labels.join(', ')}\n`);
      console.log(pull.body ?? '');
      console.log(
        execFileSync('git', ['--no-pager', 'diff', `${pull.base}...${pull.head}`], {
          cwd: github.gitDir,
          encoding: 'utf8',
        }),
      );
    }
    if (run.exitCode !== 0) process.exitCode = run.exitCode;
  } finally {
    await github.close();
  }
} finally {
  await registry.close();
  rmSync(workdir, { recursive: true, force: true });
}
