import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLocalChartFiles } from './files.js';
import { ConfigurationError } from '../../core/errors.js';
import { createGitHistory } from './git-history.js';
import type { Logger } from '../../core/logging.js';
import type { PublishResult } from '../../core/changes.js';
import type { Workspace } from '../../core/workspace.js';

/**
 * A local checkout (CLI `--dir`): files are read from and written to the directory. Each file is
 * written to a temporary name and renamed, so a file is never left half-written.
 */
export function createLocalWorkspace(dir: string, logger: Logger): Workspace {
  const files = createLocalChartFiles(dir, { logger });
  const snapshot = { base: files, pending: undefined, state: undefined };
  return {
    baseFiles: () => Promise.resolve(files),
    readUnit: () => Promise.resolve(snapshot),
    async publish(changeSet): Promise<PublishResult> {
      const result = {
        target: changeSet.target,
        environment: changeSet.environment,
        number: undefined,
        url: undefined,
        branch: undefined,
        commit: undefined,
        warnings: [],
      };
      if (changeSet.files.length === 0) return { ...result, action: 'none' };
      if (changeSet.publish.mode === 'dry-run') return { ...result, action: 'dry-run' };
      for (const file of changeSet.files) {
        // The path was read through createLocalChartFiles, which refuses paths outside `dir`.
        await files.read(file.path);
        const target = path.join(dir, file.path);
        const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
        try {
          await writeFile(temporary, file.content, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          throw new ConfigurationError(
            `cannot write ${file.path}: the directory ${path.posix.dirname(file.path)} does not exist in the checkout ${dir}; check the chart path.`,
          );
        }
        await rename(temporary, target);
        logger.info(`Wrote ${file.path}`);
      }
      return { ...result, action: 'written' };
    },
    isConflict: () => false,
    // The checked-out branch is the base branch: its committed history is the promotion record.
    history: (why) => createGitHistory(dir, { why }),
  };
}
