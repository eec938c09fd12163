import { NO_VERIFICATION } from '../../src/verify/policy.js';
import type { ImageSettings, TagPolicy } from '../../src/config/settings.js';
import type { TagMetadata } from '../../src/registry/types.js';

/** A policy with the action's defaults, overridden per test. */
export function policyWith(overrides: Partial<TagPolicy> = {}): TagPolicy {
  return {
    strategy: 'newest-build',
    constraint: undefined,
    allowTags: { kind: 'any' },
    ignoreTags: [],
    platforms: ['linux/amd64'],
    allowDowngrade: false,
    minAgeSeconds: 0,
    ...overrides,
  };
}

export function imageWith(overrides: Partial<TagPolicy> = {}): ImageSettings {
  return {
    alias: 'frontend',
    repository: '127.0.0.1:5000/team/frontend',
    policy: policyWith(overrides),
    helm: { imageName: 'frontend.image', imageTag: 'frontend.tag', imageSpec: undefined },
    verification: NO_VERIFICATION,
  };
}

/** Metadata of a single-arch amd64 image built at `created`. */
export function metadataOf(
  tag: string,
  created: string | undefined,
  extra: Partial<TagMetadata> = {},
): TagMetadata {
  return {
    tag,
    digest: `sha256:${digestFor(tag)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platforms: ['linux/amd64'],
    created,
    labels: {},
    ...extra,
  };
}

/** A stable fake sha256 hex per tag, so different tags have different digests. */
export function digestFor(text: string): string {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(8, '0').repeat(8);
}
