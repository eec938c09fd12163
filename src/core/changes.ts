import type { Decision } from './decision.js';

export type PublishMode = 'pull-request' | 'auto-merge' | 'merge' | 'push' | 'dry-run';
export type MergeMethod = 'squash' | 'merge' | 'rebase';

/** How one unit's changes reach the base branch. */
export interface PublishPolicy {
  readonly mode: PublishMode;
  readonly mergeMethod: MergeMethod;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  /** Branch for the pull request; undefined means `helm-image-updater/<target>[/<env>]`. */
  readonly branch: string | undefined;
}

/** One scalar changed in one file: the element of the `updates` output. */
export interface Update {
  readonly target: string;
  /** Environment name for a values target with one file per environment. */
  readonly environment: string | undefined;
  /** Image alias. */
  readonly image: string;
  readonly file: string;
  readonly key: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly digest: string | undefined;
}

/** Everything one publication unit (a target, or one environment of it) wants on its branch. */
export interface ChangeSet {
  readonly target: string;
  readonly environment: string | undefined;
  readonly publish: PublishPolicy;
  /** New full contents of every file that changed; empty means the base already matches. */
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly updates: readonly Update[];
  /** Decisions for every image of the unit, changed or not, for the PR body and summary. */
  readonly decisions: readonly Decision[];
}

/** What publishing did for one unit: the element of the `pull-requests` output. */
export interface PublishResult {
  readonly target: string;
  readonly environment: string | undefined;
  readonly action:
    | 'created'
    | 'updated'
    | 'unchanged'
    | 'merged'
    | 'auto-merge-enabled'
    | 'pushed'
    | 'closed'
    | 'dry-run'
    | 'written'
    | 'none';
  readonly number: number | undefined;
  readonly url: string | undefined;
  readonly branch: string | undefined;
  readonly commit: string | undefined;
  /** Degraded paths, e.g. auto-merge not allowed on the repository. */
  readonly warnings: readonly string[];
}
