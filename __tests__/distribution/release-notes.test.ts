/**
 * The release workflow's notes and major tag (scripts/release-notes.ts), table-driven, plus the
 * repository's own CHANGELOG.md and release workflow.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  changelogSection,
  majorTagToMove,
  parseReleaseTag,
  releaseNotes,
} from '../../scripts/release-notes.js';
import { PROJECT_ROOT } from './package-install.js';

const CHANGELOG = [
  '# Changelog',
  '',
  'Intro.',
  '',
  '## [Unreleased]',
  '',
  '### Fixed',
  '',
  '- Something not yet released.',
  '',
  '## [1.10.0] - 2027-02-01',
  '',
  '### Added',
  '',
  '- Ten.',
  '',
  '## [1.1.0] - 2027-01-15',
  '',
  '### Added',
  '',
  '- One, with a link to [1.0.0].',
  '',
  '## [1.0.0] - 2027-01-01',
  '',
  '- First.',
  '',
  '## [0.9.0]',
  '',
  '- Undated.',
  '',
  '## [0.8.0] - 2026-12-01',
  '',
  '## [0.7.0] - 2026-11-01',
  '',
  '- Seven.',
  '',
  '[1.1.0]: https://example.invalid/compare/v1.0.0...v1.1.0',
  '[1.0.0]: https://example.invalid/releases/tag/v1.0.0',
  '',
].join('\n');

describe('parseReleaseTag', () => {
  it.each([
    ['v1.2.3', { version: '1.2.3', majorTag: 'v1', prerelease: false }],
    ['v10.0.0', { version: '10.0.0', majorTag: 'v10', prerelease: false }],
    ['v0.1.0', { version: '0.1.0', majorTag: 'v0', prerelease: false }],
    ['v1.3.0-rc.1', { version: '1.3.0-rc.1', majorTag: 'v1', prerelease: true }],
  ])('%s', (tag, expected) => {
    expect(parseReleaseTag(tag)).toEqual(expected);
  });

  it.each([
    '1.2.3',
    'v1.2',
    'v1',
    'v01.2.3',
    'v1.2.3+build.5',
    'v1.2.3-',
    'v1.2.3-rc..1',
    'v1.2.3\n',
  ])('refuses %j', (tag) => {
    expect(() => parseReleaseTag(tag)).toThrow(/is not vMAJOR\.MINOR\.PATCH/);
  });
});

describe('changelogSection', () => {
  it.each([
    ['1.1.0', '### Added\n\n- One, with a link to [1.0.0].'],
    ['1.10.0', '### Added\n\n- Ten.'],
    // The last section stops at the link definitions.
    ['0.7.0', '- Seven.'],
    ['1.0.0', '- First.'],
  ])('%s', (version, body) => {
    expect(changelogSection(CHANGELOG, version)).toBe(body);
  });

  it('reads CRLF files', () => {
    expect(changelogSection(CHANGELOG.replaceAll('\n', '\r\n'), '1.10.0')).toBe(
      '### Added\n\n- Ten.',
    );
  });

  it.each([
    ['2.0.0', /has no "## \[2\.0\.0\] - YYYY-MM-DD" section/],
    ['1.1', /has no "## \[1\.1\] - YYYY-MM-DD" section/],
    ['0.9.0', /must end with its release date/],
    ['0.8.0', /section of 0\.8\.0 is empty/],
    ['Unreleased', /must end with its release date/],
  ])('%s is refused', (version, message) => {
    expect(() => changelogSection(CHANGELOG, version)).toThrow(message);
  });
});

describe('releaseNotes', () => {
  it('needs the tag to match package.json', () => {
    expect(releaseNotes('v1.1.0', '{"version":"1.1.0"}', CHANGELOG)).toContain('- One');
    expect(() => releaseNotes('v1.1.0', '{"version":"1.0.0"}', CHANGELOG)).toThrow(
      'package.json has version "1.0.0", the tag v1.1.0 says 1.1.0',
    );
  });
});

describe('majorTagToMove', () => {
  const tags = ['v1', 'v1.0.0', 'v1.1.0', 'v1.10.0', 'v1.11.0-rc.1', 'v2.0.0', 'v2', 'latest'];
  it.each([
    ['v1.11.0', tags, 'v1'], // newer than v1.10.0 (not by characters: v1.11 vs v1.2 alike)
    ['v1.10.1', tags, 'v1'],
    ['v1.1.1', tags, undefined], // a patch to an old line does not take v1 back
    ['v1.11.0-rc.2', tags, undefined], // pre-releases never move it
    ['v2.0.1', tags, 'v2'],
    ['v3.0.0', tags, 'v3'], // the first release of a major version creates its tag
    ['v1.10.0', tags, 'v1'], // re-running the release of the newest tag
  ])('%s', (tag, existing, expected) => {
    expect(majorTagToMove(tag, existing)).toBe(expected);
  });

  it('orders versions numerically and pre-releases below releases', () => {
    expect(majorTagToMove('v1.9.0', ['v1.10.0'])).toBeUndefined();
    expect(majorTagToMove('v1.10.0', ['v1.9.0', 'v1.10.0-rc.1', 'v1.10.0-rc.10'])).toBe('v1');
  });
});

describe('the repository', () => {
  it('CHANGELOG.md has an Unreleased section with entries, and every release section is complete', () => {
    const changelog = readFileSync(path.join(PROJECT_ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n/);
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((match) => match[1]);
    expect(versions[0]).toBe('Unreleased');
    for (const version of versions.slice(1)) {
      expect(changelogSection(changelog, version ?? '')).not.toBe('');
    }
  });

  it('the release workflow runs on version tags and uses this script for notes and the major tag', () => {
    const workflow = parse(
      readFileSync(path.join(PROJECT_ROOT, '.github/workflows/release.yml'), 'utf8'),
    ) as {
      on: { push: { tags: string[] } };
      jobs: Record<string, { needs?: string; steps: { run?: string }[] }>;
    };
    expect(workflow.on.push.tags).toEqual(['v*.*.*']);
    expect(workflow.jobs.release?.needs).toBe('ci');
    const script = (workflow.jobs.release?.steps ?? []).map((step) => step.run ?? '').join('\n');
    expect(script).toContain('npm run bundle');
    expect(script).toContain('npx tsx scripts/release-notes.ts "$GITHUB_REF_NAME"');
    expect(script).toContain('--major-tag "$GITHUB_REF_NAME"');
  });

  it('the command line of the script prints the major tag, and refuses a tag package.json does not have', async () => {
    const tsx = path.join(PROJECT_ROOT, 'node_modules/.bin/tsx');
    const script = path.join(PROJECT_ROOT, 'scripts/release-notes.ts');
    const major = await runScript(
      tsx,
      [script, '--major-tag', 'v1.2.0'],
      'v1\nv1.1.0\nv1.10.0-rc.1\n',
    );
    expect(major).toEqual({ code: 0, stdout: 'v1\n', stderr: '' });
    const stale = await runScript(tsx, [script, '--major-tag', 'v1.2.0'], 'v1.3.0\n');
    expect(stale).toEqual({ code: 0, stdout: '\n', stderr: '' });
    const wrong = await runScript(tsx, [script, 'v99.0.0'], '');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(
      /^release-notes: package\.json has version "[^"]+", the tag v99\.0\.0 says 99\.0\.0\n$/,
    );
  });
});

function runScript(
  command: string,
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { cwd: PROJECT_ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        });
      },
    );
    child.stdin?.end(input);
  });
}
