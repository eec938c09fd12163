import type { GitHubSettings, PublishMode, PublishPolicy } from '../../../src/config/settings.js';
import type { Logger } from '../../../src/core/logging.js';
import { createGitHubClient, type GitHubClient } from '../../../src/workspace/github/octokit.js';
import type { Decision } from '../../../src/core/decision.js';
import type { ChangeSet } from '../../../src/core/changes.js';
import type { RunningGitHub } from '../../harness/github/index.js';

export { recordingLogger, type RecordingLogger } from '../../harness/recording-logger.js';

export function settingsFor(
  server: RunningGitHub,
  overrides: Partial<GitHubSettings> = {},
): GitHubSettings {
  return {
    token: server.token,
    owner: server.owner,
    repo: server.repo,
    baseBranch: undefined,
    apiUrl: server.url,
    graphqlUrl: `${server.url}/graphql`,
    ...overrides,
  };
}

export function clientFor(settings: GitHubSettings, logger: Logger): GitHubClient {
  return createGitHubClient(settings, { logger, fast: true, timeoutMs: 5_000 });
}

export function policy(mode: PublishMode, overrides: Partial<PublishPolicy> = {}): PublishPolicy {
  return {
    mode,
    mergeMethod: 'squash',
    labels: [],
    reviewers: [],
    branch: undefined,
    ...overrides,
  };
}

export const VALUES_PATH = 'helm-env/env/dev/values.yaml';

/** A values file as a user writes it: comments, quoting, no final newline. */
export function valuesFile(tag: string): string {
  return `# dev environment\nfrontend:\n  image: lyzhang1999/frontend\n  tag: "${tag}"   # bumped by CI\nreplicas: 1`;
}

function decision(from: string, to: string): Decision {
  return {
    alias: 'frontend',
    image: 'lyzhang1999/frontend',
    current: from,
    chosen: to,
    metadata: {
      tag: to,
      digest: `sha256:${'a1'.repeat(32)}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platforms: ['linux/amd64'],
      created: '2024-05-01T12:00:00Z',
      labels: {},
    },
    currentMetadata: undefined,
    changed: from !== to,
    reason: `${to} is the newest build`,
    counts: { seen: 2, afterFilter: 2, skipped: {} },
    tiedWith: [],
  };
}

/** The change set the main program builds for the dev environment moving `from` → `to`. */
export function devChangeSet(
  mode: PublishMode,
  from: string,
  to: string,
  overrides: Partial<PublishPolicy> = {},
): ChangeSet {
  return {
    target: 'environments',
    environment: 'dev',
    publish: policy(mode, overrides),
    files: [{ path: VALUES_PATH, content: valuesFile(to) }],
    updates: [
      {
        target: 'environments',
        environment: 'dev',
        image: 'frontend',
        file: VALUES_PATH,
        key: 'frontend.tag',
        from,
        to,
        digest: `sha256:${'a1'.repeat(32)}`,
      },
    ],
    decisions: [decision(from, to)],
  };
}

/** The same unit when the base already has what it wants. */
export function emptyChangeSet(mode: PublishMode, tag: string): ChangeSet {
  return {
    ...devChangeSet(mode, tag, tag),
    files: [],
    updates: [],
    decisions: [decision(tag, tag)],
  };
}
