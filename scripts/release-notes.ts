/**
 * The notes of a release: `tsx scripts/release-notes.ts v1.2.3` prints the `## [1.2.3]` section
 * of CHANGELOG.md (without its heading) for `gh release create --notes-file`. It refuses a tag
 * that is not `vMAJOR.MINOR.PATCH[-PRERELEASE]`, a tag whose version differs from package.json's,
 * and a changelog without a dated, non-empty section for that version, so a release cannot ship
 * with the wrong notes or none.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Semantic Versioning 2.0.0's grammar with a `v` prefix; build metadata is not used in tags. */
const RELEASE_TAG =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;

export interface Release {
  readonly version: string;
  /** `v1` for `v1.2.3`: the tag that moves to the newest release of a major version. */
  readonly majorTag: string;
  readonly prerelease: boolean;
}

export function parseReleaseTag(tag: string): Release {
  const match = RELEASE_TAG.exec(tag);
  if (!match) {
    throw new Error(`release tag "${tag}" is not vMAJOR.MINOR.PATCH (e.g. v1.2.3 or v1.3.0-rc.1)`);
  }
  return { version: tag.slice(1), majorTag: `v${match[1]}`, prerelease: match[4] !== undefined };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The body of `## [version] - YYYY-MM-DD` in a Keep a Changelog file, up to the next `## `
 * heading or the link definitions at the end; trimmed.
 */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.replace(/\r\n/g, '\n').split('\n');
  const heading = new RegExp(`^## \\[${escapeRegExp(version)}\\](.*)$`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) {
    throw new Error(
      `CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section; move the Unreleased entries there`,
    );
  }
  const suffix = heading.exec(lines[start] ?? '')?.[1] ?? '';
  if (!/^ - \d{4}-\d{2}-\d{2}\s*$/.test(suffix)) {
    throw new Error(
      `CHANGELOG.md: the heading of ${version} must end with its release date, " - YYYY-MM-DD" (found "${lines[start]}")`,
    );
  }
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^## /.test(line) || /^\[[^\]]+\]: /.test(line));
  const body = (end === -1 ? rest : rest.slice(0, end)).join('\n').trim();
  if (body === '') throw new Error(`CHANGELOG.md: the section of ${version} is empty`);
  return body;
}

/** Compares two release versions by Semantic Versioning precedence (numbers numerically). */
function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = a.split(/-(.*)/s);
  const [coreB = '', preB] = b.split(/-(.*)/s);
  const numbersA = coreA.split('.').map(Number);
  const numbersB = coreB.split('.').map(Number);
  for (let index = 0; index < 3; index++) {
    const difference = (numbersA[index] ?? 0) - (numbersB[index] ?? 0);
    if (difference !== 0) return difference;
  }
  if (preA === undefined || preB === undefined)
    return (preA === undefined ? 1 : 0) - (preB === undefined ? 1 : 0);
  const partsA = preA.split('.');
  const partsB = preB.split('.');
  for (let index = 0; index < Math.max(partsA.length, partsB.length); index++) {
    const x = partsA[index];
    const y = partsB[index];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const numericX = /^\d+$/.test(x);
    const numericY = /^\d+$/.test(y);
    if (numericX && numericY) {
      if (Number(x) !== Number(y)) return Number(x) - Number(y);
    } else if (numericX !== numericY) {
      return numericX ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * The major tag (`v1`) to move to `tag`, or undefined: a pre-release never moves it, nor does a
 * release older than another release of the same major version among `tags` (a patch to an old
 * line must not take `v1` back).
 */
export function majorTagToMove(tag: string, tags: readonly string[]): string | undefined {
  const release = parseReleaseTag(tag);
  if (release.prerelease) return undefined;
  for (const other of tags) {
    let parsed: Release;
    try {
      parsed = parseReleaseTag(other);
    } catch {
      continue; // v1 itself and other tags that are not releases
    }
    if (parsed.prerelease || parsed.majorTag !== release.majorTag) continue;
    if (compareVersions(parsed.version, release.version) > 0) return undefined;
  }
  return release.majorTag;
}

/** Checks the tag against package.json and returns the notes. */
export function releaseNotes(tag: string, packageJson: string, changelog: string): string {
  const release = parseReleaseTag(tag);
  const { version } = JSON.parse(packageJson) as { version?: unknown };
  if (version !== release.version) {
    throw new Error(
      `package.json has version ${JSON.stringify(version)}, the tag ${tag} says ${release.version}`,
    );
  }
  return changelogSection(changelog, release.version);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const [first, second] = process.argv.slice(2);
  try {
    if (first === '--major-tag' && second) {
      // Prints the major tag to move to this release (nothing when it must stay), given every
      // tag of the repository on standard input, one per line.
      const tags = readFileSync(0, 'utf8')
        .split('\n')
        .map((line) => line.trim());
      process.stdout.write(`${majorTagToMove(second, tags) ?? ''}\n`);
      process.exit(0);
    }
    const tag = first;
    if (!tag) {
      throw new Error(
        'usage: tsx scripts/release-notes.ts vX.Y.Z | tsx scripts/release-notes.ts --major-tag vX.Y.Z < tags',
      );
    }
    const notes = releaseNotes(
      tag,
      readFileSync(path.join(root, 'package.json'), 'utf8'),
      readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'),
    );
    process.stdout.write(`${notes}\n`);
  } catch (error) {
    console.error(`release-notes: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
