/**
 * Where a source environment's history comes from: the GitHub API in the action, the checkout's
 * git history on the command line. Both answer the same two questions for one file on the base
 * branch: which commits changed it (newest first), and what it held after each.
 */

export type {
  FileHistory,
  HistoryProvider,
  HistoryRequest,
  SourceCommit,
} from '../core/history.js';
import type { FileHistory, HistoryProvider } from '../core/history.js';

/** `fix (#41)`, `Merge pull request #41 from acme/branch` → 41. */
export function pullRequestOf(subject: string): number | undefined {
  const squash = /\(#(\d+)\)\s*$/.exec(subject);
  const merge = /^Merge pull request #(\d+)\b/.exec(subject);
  const number = squash?.[1] ?? merge?.[1];
  return number === undefined ? undefined : Number(number);
}

/** Remembers every history and file read for the length of one run. */
export function cachedHistory(provider: HistoryProvider): HistoryProvider {
  const histories = new Map<string, { until: Date; history: Promise<FileHistory> }>();
  const files = new Map<string, Promise<string | undefined>>();
  return {
    description: provider.description,
    history: (request) => {
      const entry = histories.get(request.path);
      // A second reader with a longer soak may need older commits than the first one read.
      if (entry !== undefined && entry.until.getTime() <= request.until.getTime()) {
        return entry.history;
      }
      const history = provider.history(request);
      histories.set(request.path, { until: request.until, history });
      return history;
    },
    readAt: (sha, path) => {
      const key = `${sha}:${path}`;
      let entry = files.get(key);
      if (entry === undefined) {
        entry = provider.readAt(sha, path);
        files.set(key, entry);
      }
      return entry;
    },
  };
}
