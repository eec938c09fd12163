import type { ImageSettings } from '../../config/settings.js';
import type { Logger } from '../../core/logging.js';
import type { ImageReference, RegistryClient } from '../../registry/types.js';
import type { CandidateVerification } from './verification.js';

export interface ResolveInput {
  readonly image: ImageSettings;
  readonly reference: ImageReference;
  /** The value written on the base branch (tag, or `tag@sha256:…` for digest). */
  readonly current: string | undefined;
  /**
   * The value already proposed on the open pull-request branch. The choice never goes below it
   * (unless downgrades are allowed), so a slow run does not undo a faster one.
   */
  readonly pending?: string | undefined;
  readonly client: RegistryClient;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The supply-chain gate, when the image's policy verifies (see verification.ts). */
  readonly verification?: CandidateVerification | undefined;
}

export interface PayloadInput extends ResolveInput {
  /** Untrusted: from `client_payload` or `package_version.container_metadata`. */
  readonly tag: string;
  readonly digest?: string | undefined;
  /** How the event names the fields, for messages; defaults to `client_payload.tag` / `.digest`. */
  readonly fields?: { readonly tag: string; readonly digest: string };
}
