/** Real git repositories with backdated commits, for promotion histories. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function initRepository(dir: string): void {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Chart Maintainer']);
  git(dir, ['config', 'user.email', 'charts@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
}

/** Writes the files (null deletes) and commits them with both author and committer date `at`. */
export function commitAt(
  dir: string,
  at: Date,
  files: Record<string, string | null>,
  message = 'update',
): string {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    if (content === null) {
      rmSync(full, { force: true });
    } else {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  git(dir, ['add', '-A']);
  const date = at.toISOString();
  git(dir, ['commit', '-q', '--allow-empty', '-m', message], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

export function git(dir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

/** A values file with a frontend and a backend tag, as the example chart's environments have. */
export function valuesFile(registryHost: string, frontend: string, backend: string): string {
  return [
    '# environment values',
    'frontend:',
    `  image: ${registryHost}/team/frontend`,
    `  tag: ${frontend}`,
    'backend:',
    `  image: ${registryHost}/team/backend`,
    `  tag: ${backend}`,
    '',
  ].join('\n');
}
