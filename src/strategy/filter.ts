import { RE2JS } from 're2js';

import { DEFAULT_ALLOW_TAGS, type TagMatcher, type TagPattern, type TagPolicy } from './policy.js';
import { ConfigurationError, errorMessage, type ConfigLocation } from '../core/errors.js';
import { isValidOciTag } from '../core/oci.js';

export { isValidOciTag } from '../core/oci.js';

/**
 * Parses `allow-tags`: `any`, or `regexp:<re>` (the prefix in any case, as argocd-image-updater
 * reads it). Empty text means the default, `regexp:^main-`. Unlike argocd-image-updater, which
 * silently matches nothing, an unreadable value is a configuration error.
 */
export function parseAllowTags(text: string, location: ConfigLocation): TagMatcher {
  const value = text.trim() === '' ? DEFAULT_ALLOW_TAGS : text.trim();
  if (value.toLowerCase() === 'any') return { kind: 'any' };
  const colon = value.indexOf(':');
  const kind = colon < 0 ? undefined : value.slice(0, colon).toLowerCase();
  if (kind !== 'regexp') {
    const hint = colon < 0 ? ` (did you mean ${JSON.stringify(`regexp:${value}`)}?)` : '';
    throw new ConfigurationError(
      `allow-tags ${JSON.stringify(value)} is not understood; expected \`any\` or \`regexp:<regular expression>\`${hint}`,
      location,
    );
  }
  const source = value.slice(colon + 1);
  return { kind: 'regexp', source, pattern: compileTagRegExp(source, location) };
}

/**
 * Compiles an `allow-tags` expression with RE2 (re2js, a pure JavaScript port), the engine of
 * Go's `regexp` that argocd-image-updater matches with: the same syntax (POSIX classes, `\A`,
 * `\z`, `\pN`, inline flags such as `(?i)`), the same refusals (lookaround, backreferences), and
 * matching in time linear in the tag, so no pattern and no pushed tag can stall a run.
 */
function compileTagRegExp(source: string, location: ConfigLocation): TagPattern {
  try {
    return compileRe2(source);
  } catch (error) {
    throw new ConfigurationError(
      `allow-tags regular expression ${JSON.stringify(source)} is invalid in RE2 syntax, which ` +
        `argocd-image-updater uses too (${errorMessage(error)}); lookahead, lookbehind and ` +
        'backreferences are not part of it. Fix the expression or use `any`',
      location,
    );
  }
}

/**
 * An unanchored RE2 search, as Go's `MatchString`. Two patterns from the same source compare
 * equal (the compiled program is private), as settings built twice from one text should.
 */
class Re2Pattern implements TagPattern {
  readonly #compiled: RE2JS;

  constructor(readonly source: string) {
    this.#compiled = RE2JS.compile(source);
  }

  test(tag: string): boolean {
    return this.#compiled.test(tag);
  }
}

function compileRe2(source: string): TagPattern {
  return new Re2Pattern(source);
}

export function matchesAllowTags(matcher: TagMatcher, tag: string): boolean {
  return matcher.kind === 'any' || matcher.pattern.test(tag);
}

/**
 * Compiles an ignore-tags glob with Go's `filepath.Match` semantics (what argocd-image-updater
 * uses) into an anchored RE2 pattern (linear time, however many `*` it has): `*` any run of characters, `?` exactly one, `[...]` a class
 * (`[^...]` negated, `a-z` ranges), `\` escapes the next character. The glob must match the
 * whole tag, so `tag?` ignores `tag1` but not `tag10`. A malformed class is a configuration error.
 */
export function compileGlob(glob: string, location?: ConfigLocation): TagPattern {
  const fail = (why: string): never => {
    throw new ConfigurationError(
      `ignore-tags glob ${JSON.stringify(glob)} is malformed: ${why}; use *, ? and [a-z] classes`,
      location,
    );
  };
  let out = '^';
  let index = 0;
  const readClassChar = (): string => {
    const char = glob[index];
    if (char === undefined) return fail('unterminated [');
    if (char === '-' || char === ']') return fail(`unexpected ${JSON.stringify(char)} in a class`);
    if (char === '\\') {
      index += 1;
      const escaped = glob[index];
      if (escaped === undefined) return fail('trailing \\');
      index += 1;
      return escaped;
    }
    index += 1;
    return char;
  };
  while (index < glob.length) {
    const char = glob[index] as string;
    index += 1;
    if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '\\') {
      const escaped = glob[index];
      if (escaped === undefined) fail('trailing \\');
      out += escapeRegExp(escaped as string);
      index += 1;
    } else if (char === '[') {
      let negated = false;
      if (glob[index] === '^') {
        negated = true;
        index += 1;
      }
      let ranges = '';
      for (;;) {
        if (glob[index] === ']' && ranges !== '') {
          index += 1;
          break;
        }
        const low = readClassChar();
        let range = escapeClassChar(low);
        if (glob[index] === '-') {
          index += 1;
          const high = readClassChar();
          if (high < low) fail(`range ${low}-${high} is reversed`);
          range += `-${escapeClassChar(high)}`;
        }
        ranges += range;
      }
      out += negated ? `[^/${ranges}]` : `[${ranges}]`;
    } else {
      out += escapeRegExp(char);
    }
  }
  return compileRe2(`${out}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function escapeClassChar(char: string): string {
  return /[\\\]^-]/.test(char) ? `\\${char}` : char;
}

/** Why a tag did not pass the filters. */
export type FilterRejection = 'invalid' | 'notAllowed' | 'ignored';

export interface FilterResult {
  /** Tags that passed, in the order given, without duplicates. */
  readonly kept: string[];
  readonly skipped: {
    readonly invalid: string[];
    readonly notAllowed: string[];
    readonly ignored: string[];
  };
}

/**
 * Tags that hold signatures, attestations and SBOMs beside an image (cosign's
 * `sha256-<hex>.sig`/`.att`/`.sbom`) and referrers-tag-schema indexes (`sha256-<hex>`): never
 * images, so never candidates, whatever allow-tags says. Counted with the ignored tags.
 */
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?$/;

/** A policy's filters compiled once, for checking many tags. */
export interface TagFilter {
  /** Undefined when the tag passes. */
  check(tag: string): FilterRejection | undefined;
}

export function compileTagFilter(policy: Pick<TagPolicy, 'allowTags' | 'ignoreTags'>): TagFilter {
  const ignore = policy.ignoreTags.map((glob) => compileGlob(glob));
  return {
    check(tag) {
      if (!isValidOciTag(tag)) return 'invalid';
      if (!matchesAllowTags(policy.allowTags, tag)) return 'notAllowed';
      if (ignore.some((pattern) => pattern.test(tag))) return 'ignored';
      if (SIGNATURE_TAG.test(tag)) return 'ignored';
      return undefined;
    },
  };
}

/** Drops invalid OCI tags, tags `allow-tags` rejects, and tags an `ignore-tags` glob matches. */
export function filterTags(
  tags: readonly string[],
  policy: Pick<TagPolicy, 'allowTags' | 'ignoreTags'>,
): FilterResult {
  const filter = compileTagFilter(policy);
  const result = {
    kept: [] as string[],
    skipped: { invalid: [] as string[], notAllowed: [] as string[], ignored: [] as string[] },
  };
  for (const tag of new Set(tags)) {
    const rejection = filter.check(tag);
    if (rejection === undefined) result.kept.push(tag);
    else result.skipped[rejection].push(tag);
  }
  return result;
}

/** `allow-tags` as the user wrote it, for messages. */
export function describeAllowTags(matcher: TagMatcher): string {
  return matcher.kind === 'any' ? 'any' : `regexp:${matcher.source}`;
}
