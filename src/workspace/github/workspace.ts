import type { GitHubSettings } from '../../config/settings.js';
import type { ChartFiles } from '../../core/files.js';
import type { Logger } from '../../core/logging.js';
import type { GitHubClient } from './octokit.js';
import { PublishConflict, createPublisher, type UnitBranchState } from './publisher.js';
import { createGitHubChartFiles } from './repository-files.js';
import { createGitHubHistory } from './history.js';
import type { UnitAddress, UnitSnapshot, Workspace } from '../../core/workspace.js';

/** The chart repository on GitHub: files read and changes landed through the API. */
export function createGitHubWorkspace(options: {
  client: GitHubClient;
  settings: GitHubSettings;
  logger: Logger;
}): Workspace {
  const { client, settings, logger } = options;
  const publisher = createPublisher(options);
  const filesBySha = new Map<string, ChartFiles>();
  const filesAt = (sha: string): ChartFiles => {
    let files = filesBySha.get(sha);
    if (!files) {
      files = createGitHubChartFiles(client, settings.owner, settings.repo, sha, logger);
      filesBySha.set(sha, files);
    }
    return files;
  };
  let firstBase: { branch: string; sha: string } | undefined;
  const readOnce = new Set<string>();

  return {
    async baseFiles() {
      firstBase = await publisher.baseBranch();
      return filesAt(firstBase.sha);
    },
    async readUnit(unit: UnitAddress): Promise<UnitSnapshot> {
      // The first attempt at a unit uses the base read at the start of the run; a retry after a
      // lost race reads the base again.
      const key = `${unit.target}\u0000${unit.environment ?? ''}`;
      const base = firstBase && !readOnce.has(key) ? firstBase : await publisher.baseBranch();
      readOnce.add(key);
      const state = await publisher.readUnit(unit.target, unit.environment, unit.publish, base);
      return {
        base: filesAt(state.baseSha),
        // The branch counts even before its pull request exists: another run may be between
        // creating the branch and opening the pull request, and its newer tag must not be lost.
        pending: state.branchSha ? filesAt(state.branchSha) : undefined,
        state,
      };
    },
    publish(changeSet, snapshot) {
      return publisher.publish(changeSet, snapshot.state as UnitBranchState);
    },
    isConflict: (error) => error instanceof PublishConflict,
    // The history of the base branch as this run read it; later commits are the next run's.
    async history() {
      const base = firstBase ?? (await publisher.baseBranch());
      return createGitHubHistory({
        client,
        owner: settings.owner,
        repo: settings.repo,
        baseSha: base.sha,
        logger,
      });
    },
  };
}
