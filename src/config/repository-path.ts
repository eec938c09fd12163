import { ConfigurationError, type ConfigLocation } from '../core/errors.js';

/**
 * Checks a repository-relative path (or glob) written by the user and returns it in one
 * spelling: `/` separators, no `./`, no empty or `.` segments, `.` for the root. A path that
 * could leave the repository (`..`, absolute, a drive letter, NUL) is refused, because the same
 * settings drive writes through the GitHub API and to a local checkout.
 */
export function normaliseRepositoryPath(
  path: string,
  what: string,
  location?: ConfigLocation,
): string {
  const expected = `${what} must be a path inside the repository such as \`helm\` or \`env/*/values.yaml\``;
  if (path.includes('\0')) {
    throw new ConfigurationError(`${what} contains a NUL character; ${expected}.`, location);
  }
  const trimmed = path.trim();
  if (trimmed.includes('\\')) {
    throw new ConfigurationError(
      `${what} \`${trimmed}\` uses \`\\\`; write repository paths with \`/\` separators.`,
      location,
    );
  }
  if (trimmed.startsWith('/') || /^[A-Za-z]:/.test(trimmed)) {
    throw new ConfigurationError(
      `${what} \`${trimmed}\` is absolute; ${expected}, relative to the repository root.`,
      location,
    );
  }
  const segments = trimmed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw new ConfigurationError(
      `${what} \`${trimmed}\` contains \`..\`; ${expected}, without \`..\`.`,
      location,
    );
  }
  return segments.length === 0 ? '.' : segments.join('/');
}

/** Joins repository-relative paths that were already normalised (`.` is the root). */
export function joinRepositoryPath(...parts: readonly string[]): string {
  const kept = parts.filter((part) => part !== '.' && part !== '');
  return kept.length === 0 ? '.' : kept.join('/');
}
