import type { ConfigLocation } from '../core/errors.js';
import type { HelmFields, PolicyFields, PromotionFields, PublishFields } from './policy.js';
import type { WriteBackType } from './settings.js';

/**
 * The configuration as read from one source (inputs, config file, Argo CD annotations) before
 * policies are merged and checked. Every value keeps its location for messages.
 */
export interface ImageDraft {
  readonly alias: string;
  readonly repository: string;
  readonly location: ConfigLocation;
  readonly policy: PolicyFields;
  readonly helm: HelmFields;
}

export interface EnvironmentDraft {
  readonly name: string;
  readonly location: ConfigLocation;
  readonly policy: PolicyFields;
  readonly publish: PublishFields;
  readonly promotion?: PromotionFields;
}

interface TargetDraftBase {
  readonly name: string;
  readonly location: ConfigLocation;
  /** The images this target updates, with the image-level fields of this source. */
  readonly images: readonly ImageDraft[];
  readonly policy: PolicyFields;
  readonly publish: PublishFields;
  readonly promotion?: PromotionFields;
}

export interface OverrideTargetDraft extends TargetDraftBase {
  readonly type: Extract<WriteBackType, 'argocd-override'>;
  readonly chartPath: string;
  readonly app: string;
}

export interface ValuesTargetDraft extends TargetDraftBase {
  readonly type: Extract<WriteBackType, 'values'>;
  readonly files: string;
  readonly environments: readonly EnvironmentDraft[];
}

export type TargetDraft = OverrideTargetDraft | ValuesTargetDraft;

export interface SettingsDraft {
  /** Fields every image starts from (action inputs, or argocd-image-updater's defaults). */
  readonly defaults: {
    readonly policy: PolicyFields;
    readonly publish: PublishFields;
    readonly helm: HelmFields;
  };
  readonly targets: readonly TargetDraft[];
  /** Images configured but not used by any target still belong to `Settings.images`. */
  readonly images: readonly ImageDraft[];
}
