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
   * environment named after the file's directory (`env/dev/values.yaml` → `dev`).
   */
  readonly files: string;
  /** Per-environment overrides by environment name; others use the target's images/publish. */
  readonly environments: ReadonlyMap<string, EnvironmentSettings>;
}

export type TargetSettings = OverrideTarget | ValuesTarget;

export interface RegistryCredential {
  /** Registry host as written (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), normalised by the registry layer. */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** Where it came from, for messages: `input registry-credentials line 2`, `docker config`. */
  readonly source: string;
  /**
   * An OAuth2 refresh token (`identitytoken` in the Docker config, or a credential helper's
   * answer with the user name `<token>`): exchanged at the registry's token realm
   * (`grant_type=refresh_token`) instead of sending `username`/`password`.
   */
  readonly identityToken?: string;
}

/**
 * A Docker credential helper named by the Docker config: `credHelpers` (one registry) or
 * `credsStore` (every registry). `docker-credential-<helper> get` is run when a request to a
 * matching registry needs credentials.
 */
export interface CredentialHelperRule {
  /** The registry it answers for, as written in `credHelpers`; undefined for `credsStore`. */
  readonly host: string | undefined;
  /** The helper's name: the program is `docker-credential-<helper>` on `PATH`. */
  readonly helper: string;
  /** Where it came from, for messages: `docker config /home/u/.docker/config.json (credHelpers."gcr.io")`. */
  readonly source: string;
}

/** A credential given outright, or a helper to ask for one; the first source for a registry wins. */
export type CredentialSource = RegistryCredential | CredentialHelperRule;

export interface RegistrySettings {
  /** In order of precedence: the input lines, the Docker config, then `GITHUB_TOKEN` for ghcr.io. */
  readonly credentials: readonly CredentialSource[];
  /** PEM text of extra CA certificates (from `ca-file`), added to Node's roots. */
  readonly caCertificates: string | undefined;
  /** Hosts (`host` or `host:port`) reached over plain HTTP / without TLS verification. */
  readonly insecureRegistries: readonly string[];
  /** Parallel requests per registry host. */
  readonly concurrency: number;
  /** Upper bound of registry requests in one run; metadata fetching stops when it runs out. */
  readonly requestBudget: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /**
   * Order newest-build candidates with the hosted registries' listing APIs (Docker Hub), reading
   * manifests only for tags that can win (input `registry-listings`). Absent means on.
   */
  readonly listings?: boolean;
  /** Keep immutable tag metadata between runs with the Actions cache (input `cache`). */
  readonly cache: boolean;
}

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
