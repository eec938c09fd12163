import type { PromotionPolicy } from '../promotion/types.js';

/**
 * The validated, immutable model every other part works from. Inputs, the config file and
 * Argo CD annotations are three spellings of it (see src/config/). Nothing here is read from the
 * network: settings exist before the first request.
 */

import type { PublishPolicy } from '../core/changes.js';
import type { TagPolicy } from '../strategy/policy.js';
import type { VerificationPolicy } from '../verify/policy.js';

export type { MergeMethod, PublishMode, PublishPolicy } from '../core/changes.js';

// The tag-choosing vocabulary belongs to strategy/; settings are built from it.
export type { StrategyName, TagMatcher, TagPattern, TagPolicy } from '../strategy/policy.js';
export { DEFAULT_ALLOW_TAGS } from '../strategy/policy.js';

export type WriteBackType = 'argocd-override' | 'values';

/** Dotted paths into the Helm values written for one image (argocd-image-updater's helm keys). */
export interface HelmKeys {
  /** e.g. `frontend.image`; written with the repository. Undefined when `imageSpec` is used. */
  readonly imageName: string | undefined;
  /** e.g. `frontend.tag`. Undefined when `imageSpec` is used. */
  readonly imageTag: string | undefined;
  /** e.g. `frontend.image` holding `repo:tag` in one value. */
  readonly imageSpec: string | undefined;
}

export interface ImageSettings {
  /** The alias used in helm keys, titles and outputs, e.g. `frontend`. */
  readonly alias: string;
  /** The repository as the user wrote it, e.g. `lyzhang1999/frontend` or `ghcr.io/o/i`. */
  readonly repository: string;
  readonly policy: TagPolicy;
  readonly helm: HelmKeys;
  /** What a tag must prove before it is written (signatures, provenance); absent: nothing. */
  readonly verification?: VerificationPolicy | undefined;
}

/** Effective settings for one environment of a values target (overrides already applied). */
export interface EnvironmentSettings {
  readonly images: readonly ImageSettings[];
  readonly publish: PublishPolicy;
  /** `promote-from` with `soak` and `promote-window`; undefined: the environment follows the registry. */
  readonly promotion?: PromotionPolicy | undefined;
}

interface TargetBase {
  readonly name: string;
  /** Effective images for the target (and for environments without overrides). */
  readonly images: readonly ImageSettings[];
  readonly publish: PublishPolicy;
  /** Promotion for the target (and for environments without their own); see src/promotion/. */
  readonly promotion?: PromotionPolicy | undefined;
}

export interface OverrideTarget extends TargetBase {
  readonly type: 'argocd-override';
  /** Chart directory, repository-relative, no leading `./`; `.` for the root. */
  readonly chartPath: string;
  /** Argo CD application name: the file is `<chartPath>/.argocd-source-<app>.yaml`. */
  readonly app: string;
}

export interface ValuesTarget extends TargetBase {
  readonly type: 'values';
  /**
   * A path or a glob of values files, repository-relative. With a `*` in it, every match is one
   * environment named by its wildcard parts (`env/dev/values.yaml` → `dev`,
   * `charts/web/env/qa/values.yaml` → `web/qa`; see config/environments.ts).
   */
  readonly files: string;
  /** Per-environment overrides by environment name; others use the target's images/publish. */
  readonly environments: ReadonlyMap<string, EnvironmentSettings>;
}

export type TargetSettings = OverrideTarget | ValuesTarget;

export type {
  CredentialHelperRule,
  CredentialSource,
  RegistryCredential,
  RegistrySettings,
} from '../registry/settings.js';
import type { RegistrySettings } from '../registry/settings.js';

export interface GitHubSettings {
  readonly token: string;
  /** The chart repository, `owner/name`. */
  readonly owner: string;
  readonly repo: string;
  /** Base branch; undefined means the repository's default branch. */
  readonly baseBranch: string | undefined;
  readonly apiUrl: string;
  readonly graphqlUrl: string;
}

export interface Settings {
  /** Images by alias, with their default policy. */
  readonly images: ReadonlyMap<string, ImageSettings>;
  readonly targets: readonly TargetSettings[];
  readonly registry: RegistrySettings;
  /** `repository_dispatch` types this action reacts to (default `image-pushed`). */
  readonly dispatchTypes: readonly string[];
}

export const DEFAULT_PLATFORMS: readonly string[] = ['linux/amd64'];
export const BRANCH_PREFIX = 'helm-image-updater';
