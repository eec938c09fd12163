import { ConfigurationError, formatLocation, type ConfigLocation } from '../core/errors.js';
import { DEFAULT_TRACKED_TAG } from '../strategy/digest.js';
import { parseKeyPath } from '../writers/yaml-path.js';
import {
  compileGlob,
  isValidOciTag,
  parseAllowTags,
  parseDuration,
  parseMinAge,
  parseStrategyName,
  validateConstraint,
} from '../strategy/index.js';
import {
  NO_VERIFICATION,
  VERIFY_METHODS,
  type IdentityMatcher,
  type MaterialSource,
  type VerificationPolicy,
  type VerifyMethod,
} from '../verify/policy.js';
import { didYouMean } from './did-you-mean.js';
import { normaliseRepositoryPath } from './repository-path.js';
import type { PromotionPolicy } from '../promotion/types.js';
import { parsePromoteWindow } from '../promotion/window.js';
import {
  DEFAULT_PLATFORMS,
  type HelmKeys,
  type MergeMethod,
  type PublishMode,
  type PublishPolicy,
  type TagPolicy,
} from './settings.js';

/** A value as the user wrote it, with where: errors point at the input or file line. */
export interface Located<T> {
  readonly value: T;
  readonly location: ConfigLocation;
  /** True for an action default the user did not write (an input left at its action.yml value). */
  readonly implicit?: boolean;
}

/**
 * Tag policy fields of one configuration scope (defaults, image, target, environment). Unset
 * fields fall through to the scope below; see `mergeFields`.
 */
export interface PolicyFields {
  readonly strategy?: Located<string>;
  readonly constraint?: Located<string>;
  readonly allowTags?: Located<string>;
  readonly ignoreTags?: Located<readonly string[]>;
  readonly platforms?: Located<readonly string[]>;
  readonly allowDowngrade?: Located<boolean>;
  readonly minAge?: Located<string>;
  /** `none`, or methods that must all hold: `cosign-key`, `keyless`, `attestation`. */
  readonly verify?: Located<readonly string[]>;
  readonly verifyKey?: Located<string>;
  readonly verifyIdentity?: Located<string>;
  readonly verifyIdentityRegexp?: Located<string>;
  readonly verifyIssuer?: Located<string>;
  readonly trustedRoot?: Located<string>;
}

export interface PublishFields {
  readonly mode?: Located<string>;
  readonly mergeMethod?: Located<string>;
  readonly labels?: Located<readonly string[]>;
  readonly reviewers?: Located<readonly string[]>;
  readonly branch?: Located<string>;
}

/** `promote-from`, `soak`, `promote-window` of a target or environment; see src/promotion/. */
export interface PromotionFields {
  readonly promoteFrom?: Located<string>;
  readonly soak?: Located<string>;
  readonly promoteWindow?: Located<string>;
}

/** Helm key templates; `{alias}` is replaced by the image alias. */
export interface HelmFields {
  readonly imageName?: Located<string>;
  readonly imageTag?: Located<string>;
  readonly imageSpec?: Located<string>;
}

/** Later scopes win, field by field. */
export function mergeFields<T extends object>(...scopes: readonly T[]): T {
  const merged: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const [key, value] of Object.entries(scope)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged as T;
}

export const PUBLISH_MODES: readonly PublishMode[] = [
  'pull-request',
  'auto-merge',
  'merge',
  'push',
  'dry-run',
];
export const MERGE_METHODS: readonly MergeMethod[] = ['squash', 'merge', 'rebase'];

/**
 * Builds the tag policy of one image from its merged fields. `subject` names the image (and
 * target) in messages. Every check happens here, before any registry is asked.
 */
export function buildTagPolicy(
  fields: PolicyFields,
  subject: string,
  /** `key` identifies the problem, so one written value is reported once, not once per target. */
  warn: (message: string, key: string) => void,
): TagPolicy {
  const strategy = fields.strategy
    ? parseStrategyName(fields.strategy.value, fields.strategy.location)
    : 'newest-build';
  let constraint: string | undefined;
  const written = fields.constraint;
  if (written !== undefined && written.value.trim() !== '') {
    if (strategy === 'digest') {
      constraint = written.value.trim();
      if (!isValidOciTag(constraint)) {
        throw new ConfigurationError(
          `${subject}: constraint \`${constraint}\` is not a tag; with the digest strategy the ` +
            'constraint is the tag to follow, e.g. `latest`.',
          written.location,
        );
      }
    } else if (strategy === 'semver') {
      constraint = validateConstraint(written.value, written.location);
    } else {
      // argocd-image-updater ignores the constraint for these strategies; so do we, loudly.
      constraint = written.value.trim();
      warn(
        `${formatLocation(written.location)}: ${subject}: constraint \`${constraint}\` has no effect with the ` +
          `${strategy} strategy; it applies to semver (a range) and digest (the tag to follow).`,
        `${formatLocation(written.location)} ${strategy} ${constraint}`,
      );
    }
  } else if (strategy === 'digest') {
    constraint = DEFAULT_TRACKED_TAG;
  }
  const platforms = fields.platforms?.value ?? DEFAULT_PLATFORMS;
  for (const platform of platforms) {
    if (!/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/.test(platform)) {
      throw new ConfigurationError(
        `${subject}: platform \`${platform}\` is not in the form \`os/arch[/variant]\`, e.g. \`linux/amd64\` or \`linux/arm64\`.`,
        fields.platforms?.location,
      );
    }
  }
  if (platforms.length === 0) {
    throw new ConfigurationError(
      `${subject}: no platform given; name at least one, e.g. \`linux/amd64\`.`,
      fields.platforms?.location,
    );
  }
  // The default filter `regexp:^main-` is for build tags; a semver or digest image that never
  // asked for it would match nothing, so there the untouched default means `any`.
  const allowTags =
    fields.allowTags?.implicit === true && (strategy === 'semver' || strategy === 'digest')
      ? undefined
      : fields.allowTags;
  const ignoreTags = fields.ignoreTags?.value ?? [];
  // Compiled here only to report a bad glob now; the filter compiles its own copy.
  for (const glob of ignoreTags) compileGlob(glob, fields.ignoreTags?.location);
  return {
    strategy,
    constraint,
    allowTags: allowTags ? parseAllowTags(allowTags.value, allowTags.location) : { kind: 'any' },
    ignoreTags: [...ignoreTags],
    platforms: [...platforms],
    allowDowngrade: fields.allowDowngrade?.value ?? false,
    minAgeSeconds: fields.minAge ? parseMinAge(fields.minAge.value, fields.minAge.location) : 0,
  };
}

/** A branch name git accepts (`git check-ref-format`), without the rarely wanted corner cases. */
function isValidBranchName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 200 &&
    !/[\s~^:?*[\\]/.test(name) &&
    ![...name].some(
      (character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f,
    ) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.includes('//') &&
    !name.startsWith('/') &&
    !name.endsWith('/') &&
    !name.endsWith('.') &&
    !name.endsWith('.lock') &&
    !name.split('/').some((part) => part.startsWith('.'))
  );
}

export function checkBranchName(name: string, location: ConfigLocation): string {
  if (!isValidBranchName(name)) {
    throw new ConfigurationError(
      `branch \`${name}\` is not a valid Git branch name; use letters, digits, \`/\`, \`-\`, \`_\` and \`.\`, ` +
        'e.g. `helm-image-updater/dev`.',
      location,
    );
  }
  return name;
}

function checkEnum<T extends string>(
  field: Located<string>,
  allowed: readonly T[],
  what: string,
): T {
  const value = field.value.trim();
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new ConfigurationError(
      `${what} \`${value}\` is not one of ${allowed.map((item) => `\`${item}\``).join(', ')}.${didYouMean(value, allowed)}`,
      field.location,
    );
  }
  return found;
}

export function buildPublishPolicy(fields: PublishFields): PublishPolicy {
  return {
    mode: fields.mode ? checkEnum(fields.mode, PUBLISH_MODES, 'mode') : 'pull-request',
    mergeMethod: fields.mergeMethod
      ? checkEnum(fields.mergeMethod, MERGE_METHODS, 'merge-method')
      : 'squash',
    labels: [...(fields.labels?.value ?? [])],
    reviewers: [...(fields.reviewers?.value ?? [])],
    branch:
      fields.branch && fields.branch.value.trim() !== ''
        ? checkBranchName(fields.branch.value.trim(), fields.branch.location)
        : undefined,
  };
}

function expandHelmKey(field: Located<string> | undefined, alias: string): string | undefined {
  if (field === undefined || field.value.trim() === '') return undefined;
  const template = field.value.trim();
  // `{alias}` is the one placeholder; any other (`{name}.tag`) would be written as a literal key.
  const unknown = /\{[^{}]*\}/.exec(template.split('{alias}').join(''));
  if (unknown) {
    throw new ConfigurationError(
      `helm key \`${template}\` has the placeholder \`${unknown[0]}\`; the only placeholder is \`{alias}\` (the image alias), e.g. \`{alias}.tag\`.`,
      field.location,
    );
  }
  const key = template.split('{alias}').join(alias);
  // The writers' own parser, so a key accepted here is a key they can follow (`a\.b` included).
  parseKeyPath(key, formatLocation(field.location));
  return key;
}

/** Helm keys of one image: `image-spec` when set (name and tag are then unused), else name and tag. */
export function buildHelmKeys(fields: HelmFields, alias: string): HelmKeys {
  const imageSpec = expandHelmKey(fields.imageSpec, alias);
  if (imageSpec !== undefined) return { imageName: undefined, imageTag: undefined, imageSpec };
  return {
    imageName: expandHelmKey(fields.imageName, alias) ?? `${alias}.image`,
    imageTag: expandHelmKey(fields.imageTag, alias) ?? `${alias}.tag`,
    imageSpec: undefined,
  };
}

/**
 * The verification policy of one image from its merged fields: methods checked, and each method
 * given what it needs (a key; an identity and an issuer). Key files are read later, from the
 * chart repository, but still before any registry request.
 */
export function buildVerificationPolicy(fields: PolicyFields, subject: string): VerificationPolicy {
  const written = (fields.verify?.value ?? []).map((method) => method.trim().toLowerCase());
  const location = fields.verify?.location;
  const methods: VerifyMethod[] = [];
  for (const method of written) {
    if (method === 'none' || method === '') continue;
    const known = VERIFY_METHODS.find((candidate) => candidate === method);
    if (known === undefined) {
      throw new ConfigurationError(
        `${subject}: verify \`${method}\` is not one of \`none\`, ${VERIFY_METHODS.map((name) => `\`${name}\``).join(', ')}.${didYouMean(method, VERIFY_METHODS)}`,
        location,
      );
    }
    if (!methods.includes(known)) methods.push(known);
  }
  if (methods.length > 0 && written.includes('none')) {
    throw new ConfigurationError(
      `${subject}: verify lists \`none\` together with ${methods.join(', ')}; write either \`none\` or the methods that must hold.`,
      location,
    );
  }
  if (methods.length === 0) return NO_VERIFICATION;
  const where = location === undefined ? 'defaults' : formatLocation(location);
  const source = (field: Located<string> | undefined, what: string): MaterialSource | undefined => {
    const value = field?.value.trim();
    if (field === undefined || value === undefined || value === '') return undefined;
    if (value.startsWith('env:')) {
      const name = value.slice(4);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ConfigurationError(
          `${subject}: ${what} \`${value}\` names no valid environment variable; write \`env:NAME\`.`,
          field.location,
        );
      }
      return { kind: 'env', name };
    }
    return { kind: 'file', path: normaliseRepositoryPath(value, what, field.location) };
  };
  const key = source(fields.verifyKey, 'verify-key');
  if (methods.includes('cosign-key') && key === undefined) {
    throw new ConfigurationError(
      `${subject}: verify cosign-key needs verify-key, the public key as a path in the chart repository (e.g. \`cosign.pub\`) or \`env:NAME\`.`,
      location,
    );
  }
  const exact = fields.verifyIdentity?.value.trim() || undefined;
  const pattern = fields.verifyIdentityRegexp?.value.trim() || undefined;
  if (exact !== undefined && pattern !== undefined) {
    throw new ConfigurationError(
      `${subject}: set verify-identity or verify-identity-regexp, not both.`,
      fields.verifyIdentityRegexp?.location,
    );
  }
  let identity: IdentityMatcher | undefined;
  if (exact !== undefined) identity = { kind: 'exact', value: exact };
  if (pattern !== undefined) {
    try {
      identity = { kind: 'regexp', source: pattern, pattern: new RegExp(pattern) };
    } catch (error) {
      throw new ConfigurationError(
        `${subject}: verify-identity-regexp \`${pattern}\` is not a valid regular expression (${error instanceof Error ? error.message : String(error)}).`,
        fields.verifyIdentityRegexp?.location,
      );
    }
  }
  const issuer = fields.verifyIssuer?.value.trim() || undefined;
  for (const method of methods) {
    if (method === 'cosign-key') continue;
    if (identity === undefined || issuer === undefined) {
      throw new ConfigurationError(
        `${subject}: verify ${method} needs verify-identity (or verify-identity-regexp) and verify-issuer, e.g. ` +
          '`https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main` and `https://token.actions.githubusercontent.com`.',
        location,
      );
    }
  }
  return {
    methods,
    key,
    identity,
    issuer,
    trustedRoot: source(fields.trustedRoot, 'trusted-root'),
    location: where,
  };
}

/**
 * The promotion policy of one unit from its merged fields, or undefined when it has no
 * `promote-from`. `soak` and `promote-window` without `promote-from` are refused: they would
 * silently do nothing.
 */
export function buildPromotionPolicy(
  fields: PromotionFields,
  subject: string,
): PromotionPolicy | undefined {
  const from = fields.promoteFrom;
  if (from === undefined || from.value.trim() === '') {
    const stray = fields.soak ?? fields.promoteWindow;
    if (stray !== undefined) {
      throw new ConfigurationError(
        `${subject}: \`${fields.soak ? 'soak' : 'promote-window'}\` needs \`promote-from: <environment>\` (the environment whose history is read).`,
        stray.location,
      );
    }
    return undefined;
  }
  const source = from.value.trim();
  if (
    !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(source) ||
    source.endsWith('/') ||
    source.includes('//')
  ) {
    throw new ConfigurationError(
      `${subject}: promote-from \`${source}\` is not an environment name; expected \`<environment>\`, \`<target>\` or \`<target>/<environment>\`.`,
      from.location,
    );
  }
  return {
    from: source,
    soakSeconds: fields.soak ? parseDuration(fields.soak.value, 'soak', fields.soak.location) : 0,
    window: fields.promoteWindow
      ? parsePromoteWindow(fields.promoteWindow.value, fields.promoteWindow.location)
      : undefined,
    location: from.location,
  };
}
