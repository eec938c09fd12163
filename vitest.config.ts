import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: no registry, no GitHub API server, no child process — under a minute
 * (`npm run test:unit`). `integration`: everything else, after a check that dist/ is built from
 * the current sources. A test file belongs to `integration` when it starts real programs or
 * servers, which it shows by what it imports (or by `@module-tag integration`); the split
 * follows the files, so a new test lands in the right project without a list to keep.
 */
const INTEGRATION_MARKERS = [
  /harness\/registry/,
  /harness\/github/,
  /harness\/action-runner/,
  /harness\/scripted-registry/,
  /node:child_process/,
  /@module-tag integration/,
  /\bstartRegistry\b|\bstartGitHubServer\b/,
];

const testFiles = readdirSync('__tests__', { recursive: true })
  .map((entry) => path.join('__tests__', String(entry)).split(path.sep).join('/'))
  .filter((file) => file.endsWith('.test.ts'))
  .sort();

/** Whether a file, or a test helper it imports (relative imports, followed), starts programs. */
const startsPrograms = new Map<string, boolean>();
function isIntegration(file: string): boolean {
  const known = startsPrograms.get(file);
  if (known !== undefined) return known;
  startsPrograms.set(file, false); // an import cycle adds nothing
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const helpers = [...text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)]
    .map((match) => path.posix.join(path.posix.dirname(file), String(match[1])))
    .filter((helper) => helper.startsWith('__tests__/'))
    .map((helper) => helper.replace(/\.js$/, '.ts'));
  const result =
    INTEGRATION_MARKERS.some((marker) => marker.test(text)) || helpers.some(isIntegration);
  startsPrograms.set(file, result);
  return result;
}
const integrationFiles = testFiles.filter(isIntegration);
const unitFiles = testFiles.filter((file) => !integrationFiles.includes(file));

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    tags: [
      {
        name: 'integration',
        description:
          'starts real programs: a registry, npm, git, the bundled command line (`--tags-filter=integration`)',
      },
    ],
    projects: [
      { extends: true, test: { name: 'unit', include: unitFiles } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integrationFiles,
          globalSetup: ['__tests__/harness/fresh-dist.ts'],
        },
      },
    ],
  },
});
