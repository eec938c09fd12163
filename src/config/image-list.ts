import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import { splitList } from './text-list.js';

/** One item of an argocd-image-updater image-list: `[alias=]repository[:constraint]`. */
export interface ImageListEntry {
  readonly alias: string;
  readonly repository: string;
  readonly constraint: string | undefined;
  /**
   * True for `alias=repository`; false when the alias was taken from the repository's last path
   * segment (argocd-image-updater then uses its default Helm keys `image.name`/`image.tag`).
   */
  readonly aliased: boolean;
}

/** Aliases become Helm key segments (`{alias}.tag`) and branch names, so no dots or slashes. */
const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** A registry host: has a dot or a port, or is `localhost` (the distribution reference grammar). */
const HOST_PATTERN =
  /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]+)?|\[[0-9A-Fa-f:]+\](?::[0-9]+)?)$/;
const PATH_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export const IMAGE_LIST_FORM =
  '`alias=repository[:constraint]`, e.g. `frontend=lyzhang1999/frontend` or `api=ghcr.io/org/api:^1.2`';

export function isValidAlias(alias: string): boolean {
  return ALIAS_PATTERN.test(alias);
}

export function checkAlias(alias: string, location: ConfigLocation): string {
  if (!isValidAlias(alias)) {
    throw new ConfigurationError(
      `image alias \`${alias}\` is not valid; an alias starts with a letter or digit and has only ` +
        'letters, digits, `_` and `-` (it becomes part of Helm keys such as `{alias}.tag`).',
      location,
    );
  }
  return alias;
}

/**
 * Checks a repository as written in the configuration (`nginx`, `lyzhang1999/frontend`,
 * `127.0.0.1:5000/team/app`) against the reference grammar, without tag or digest.
 */
export function checkRepository(repository: string, location: ConfigLocation): string {
  const expected = 'expected a repository such as `lyzhang1999/frontend` or `ghcr.io/org/app`';
  if (repository === '')
    throw new ConfigurationError(`empty image repository; ${expected}.`, location);
  if (repository.includes('@')) {
    throw new ConfigurationError(
      `image \`${repository}\` has a digest; give the repository only (${expected}), and use ` +
        '`update-strategy: digest` with the tag to follow as the constraint.',
      location,
    );
  }
  const components = repository.split('/');
  const first = components[0] ?? '';
  const hasHost =
    components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost && !HOST_PATTERN.test(first)) {
    throw new ConfigurationError(
      `image \`${repository}\` has an invalid registry host \`${first}\`.`,
      location,
    );
  }
  for (const component of hasHost ? components.slice(1) : components) {
    if (!PATH_COMPONENT_PATTERN.test(component)) {
      const hint = component !== component.toLowerCase() ? ' (repository names are lowercase)' : '';
      throw new ConfigurationError(
        `image \`${repository}\` has an invalid path component \`${component}\`${hint}; ${expected}.`,
        location,
      );
    }
  }
  return repository;
}

/** Parses one `[alias=]repository[:constraint]`. Without an alias, the last path segment is the alias. */
export function parseImageListEntry(text: string, location: ConfigLocation): ImageListEntry {
  const trimmed = text.trim();
  const equals = trimmed.indexOf('=');
  const explicitAlias = equals >= 0 ? trimmed.slice(0, equals).trim() : undefined;
  const reference = (equals >= 0 ? trimmed.slice(equals + 1) : trimmed).trim();
  if (reference.includes('@')) checkRepository(reference, location);
  // The constraint colon comes after the last `/`, so `host:5000/app:^1` keeps its port.
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  const repository = colon >= 0 ? reference.slice(0, colon) : reference;
  const constraint = colon >= 0 ? reference.slice(colon + 1).trim() : undefined;
  if (repository === '') {
    throw new ConfigurationError(
      `image \`${trimmed}\` has no repository; expected ${IMAGE_LIST_FORM}.`,
      location,
    );
  }
  checkRepository(repository, location);
  if (constraint === '') {
    throw new ConfigurationError(
      `image \`${trimmed}\` ends with \`:\` but has no constraint; expected ${IMAGE_LIST_FORM}.`,
      location,
    );
  }
  const alias = explicitAlias ?? repository.slice(repository.lastIndexOf('/') + 1);
  if (explicitAlias === '') {
    throw new ConfigurationError(
      `image \`${trimmed}\` has an empty alias; expected ${IMAGE_LIST_FORM}.`,
      location,
    );
  }
  checkAlias(alias, location);
  return { alias, repository, constraint, aliased: explicitAlias !== undefined };
}

/** Parses a comma or newline separated image list; the same alias twice is an error. */
export function parseImageList(text: string, location: ConfigLocation): ImageListEntry[] {
  const entries = splitList(text).map((item) => parseImageListEntry(item, location));
  const seen = new Map<string, ImageListEntry>();
  for (const entry of entries) {
    const earlier = seen.get(entry.alias);
    if (earlier !== undefined) {
      throw new ConfigurationError(
        `image alias \`${entry.alias}\` is used twice (\`${earlier.repository}\` and \`${entry.repository}\`); ` +
          `give each image its own alias, e.g. \`${entry.alias}2=${entry.repository}\`.`,
        location,
      );
    }
    seen.set(entry.alias, entry);
  }
  return entries;
}
