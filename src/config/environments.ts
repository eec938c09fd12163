import picomatch from 'picomatch';
import { didYouMean } from './did-you-mean.js';

/**
 * Environment naming, the one rule for config loading and unit expansion (ADR 0018).
 *
 * Every wildcard segment of a values glob names the environment: the path segments it matched,
 * joined with `/`. `env/*\/values.yaml` + `env/dev/values.yaml` → `dev`;
 * `charts/*\/env/*\/values.yaml` + `charts/web/env/qa/values.yaml` → `web/qa`. When the wildcard
 * is in the file name, the extension is dropped (`envs/*.yaml` + `envs/prod.yaml` → `prod`), and a
 * file name whose wildcard only picks the extension (`values.{yaml,yml}`) adds nothing. A `**`
 * contributes every segment it matched. Distinct files thus get distinct names, except files that
 * differ only in their extension, which `environmentsOf` reports.
 */
export function environmentName(glob: string, file: string): string {
  const parts = wildcardParts(glob.split('/'), file.split('/'));
  const name = parts?.filter((part) => part !== '').join('/') ?? '';
  if (name !== '') return name;
  // Only reachable for a file the segment rule cannot explain (a brace holding a `/`, or a `**`
  // that matched nothing): the file's path below the glob's literal prefix, without extension.
  const base = picomatch.scan(glob).base;
  const below = base === '' || !file.startsWith(`${base}/`) ? file : file.slice(base.length + 1);
  return below.replace(/\.[^./]*$/, '');
}

/** What each wildcard segment of the glob matched in the file, in order; undefined on no match. */
function wildcardParts(
  globSegments: readonly string[],
  fileSegments: readonly string[],
): string[] | undefined {
  const last = fileSegments.length - 1;
  const visit = (g: number, f: number): string[] | undefined => {
    if (g === globSegments.length) return f === fileSegments.length ? [] : undefined;
    const segment = globSegments[g] ?? '';
    if (segment === '**') {
      // Longest match first, so `**` takes what it can and a literal tail still matches.
      for (let end = fileSegments.length; end >= f; end -= 1) {
        const rest = visit(g + 1, end);
        if (rest) return [fileSegments.slice(f, end).join('/'), ...rest];
      }
      return undefined;
    }
    const fileSegment = fileSegments[f];
    if (fileSegment === undefined) return undefined;
    if (!picomatch.scan(segment).isGlob) {
      return segment === fileSegment ? visit(g + 1, f + 1) : undefined;
    }
    if (!picomatch(segment, { dot: true })(fileSegment)) return undefined;
    const rest = visit(g + 1, f + 1);
    if (!rest) return undefined;
    return [f === last ? fileNamePart(segment, fileSegment) : fileSegment, ...rest];
  };
  return visit(0, 0);
}

/** The environment part of a matched file name: without its extension, nothing when only the extension was a wildcard. */
function fileNamePart(segment: string, fileSegment: string): string {
  const dot = segment.lastIndexOf('.');
  const stem = dot > 0 ? segment.slice(0, dot) : segment;
  if (dot > 0 && !picomatch.scan(stem).isGlob) return '';
  return fileSegment.replace(/\.[^.]*$/, '');
}

/** The environments of a values glob's matches: one file per name, the rest reported. */
export interface EnvironmentFiles {
  /** Environment name → file, in the order of the matches. */
  readonly files: ReadonlyMap<string, string>;
  /** Files that gave a name already taken by an earlier file; they are not used. */
  readonly duplicates: readonly {
    readonly name: string;
    readonly file: string;
    readonly kept: string;
  }[];
}

export function environmentsOf(glob: string, matches: readonly string[]): EnvironmentFiles {
  const files = new Map<string, string>();
  const duplicates: { name: string; file: string; kept: string }[] = [];
  for (const file of matches) {
    const name = environmentName(glob, file);
    const kept = files.get(name);
    if (kept === undefined) files.set(name, file);
    else duplicates.push({ name, file, kept });
  }
  return { files, duplicates };
}

/** The warning for a file that would give an environment a second file. */
export function duplicateEnvironmentWarning(
  target: string,
  duplicate: EnvironmentFiles['duplicates'][number],
): string {
  return (
    `target ${target}: ${duplicate.file} and ${duplicate.kept} both belong to environment ` +
    `\`${duplicate.name}\`; only ${duplicate.kept} is updated. Keep one values file per environment.`
  );
}

/**
 * The warning for an `environments:` key that no matched file is named by: most likely a typo
 * (`prd` for `prod`), reported rather than refused because the directory may be added later.
 */
export function unmatchedEnvironmentWarning(
  target: string,
  name: string,
  glob: string,
  found: readonly string[],
): string {
  return (
    `target ${target}: environment \`${name}\` has overrides but no file matching \`${glob}\` belongs to it ` +
    `(environments found: ${found.length === 0 ? 'none' : found.join(', ')}).${didYouMean(name, found)}`
  );
}

/** An environment key of the config file: directory names joined with `/`, like the names above. */
export const ENVIRONMENT_NAME_PATTERN =
  /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
