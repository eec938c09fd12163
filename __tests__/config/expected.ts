import { expect } from 'vitest';

import { NO_VERIFICATION } from '../../src/verify/policy.js';
import type {
  ImageSettings,
  PublishPolicy,
  TagPattern,
  TagPolicy,
} from '../../src/config/settings.js';

/** A compiled allow-tags pattern; the matcher's `source` next to it says which. */
export const compiledPattern = expect.objectContaining({
  test: expect.any(Function) as unknown,
}) as TagPattern;

/** Expected-value builders: the defaults spelled out once, so each table row shows only what differs. */
export function tagPolicy(overrides: Partial<TagPolicy> = {}): TagPolicy {
  return {
    strategy: 'newest-build',
    constraint: undefined,
    allowTags: { kind: 'regexp', source: '^main-', pattern: compiledPattern },
    ignoreTags: [],
    platforms: ['linux/amd64'],
    allowDowngrade: false,
    minAgeSeconds: 0,
    ...overrides,
  };
}

export function image(
  alias: string,
  repository: string,
  policy: Partial<TagPolicy> = {},
): ImageSettings {
  return {
    alias,
    repository,
    policy: tagPolicy(policy),
    helm: { imageName: `${alias}.image`, imageTag: `${alias}.tag`, imageSpec: undefined },
    verification: NO_VERIFICATION,
  };
}

export function publishPolicy(overrides: Partial<PublishPolicy> = {}): PublishPolicy {
  return {
    mode: 'pull-request',
    mergeMethod: 'squash',
    labels: [],
    reviewers: [],
    branch: undefined,
    ...overrides,
  };
}

export const ANY = { kind: 'any' } as const;
