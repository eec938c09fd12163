import type { ChartFiles } from './files.js';
import type { ChangeSet, PublishPolicy, PublishResult } from './changes.js';
import type { HistoryProvider } from './history.js';

/** What a workspace needs to know of a publication unit: its name and how it publishes. */
export interface UnitAddress {
  readonly target: string;
  readonly environment: string | undefined;
  readonly publish: PublishPolicy;
}

/** What one attempt at a unit sees: the base files, and the files of its open pull request. */
export interface UnitSnapshot {
  readonly base: ChartFiles;
  /** The files on the unit's open pull-request branch, when there is one. */
  readonly pending: ChartFiles | undefined;
  /** Opaque state the workspace needs to publish against exactly this snapshot. */
  readonly state: unknown;
}

/**
 * Where the chart lives and how changes land: the GitHub API (the action) or a local checkout
 * (the CLI). The job does not know which.
 */
export interface Workspace {
  /** The files of the base branch, for configuration and unit expansion. */
  baseFiles(): Promise<ChartFiles>;
  /** A fresh read of the unit's base and pending files; called again after a lost race. */
  readUnit(unit: UnitAddress): Promise<UnitSnapshot>;
  /** Lands a change set; throws a conflict error (see isConflict) when the snapshot went stale. */
  publish(changeSet: ChangeSet, snapshot: UnitSnapshot): Promise<PublishResult>;
  /** True for the error `publish` throws when another writer moved a ref first. */
  isConflict(error: unknown): boolean;
  /**
   * The base branch's history, for `promote-from`. Called only when promotion is configured;
   * `why` names the promoted unit for the error a workspace without history throws.
   */
  history?(why: string): Promise<HistoryProvider>;
}
