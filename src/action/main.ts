import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { createActionsLogger, readActionInputs } from './runner.js';
import { loadGitHubSettings } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { createGitHubWorkspace } from '../workspace/github/workspace.js';
import { restoreMetadataCache, saveMetadataCache } from './metadata-cache.js';
import { createGitHubClient } from '../workspace/github/octokit.js';
import { stepSummary } from '../workspace/github/body.js';
import { usageMarkdown } from '../job/report.js';
import { runPipeline, type RunOutcome } from '../job/run.js';
import { failureMessage, outcomeOutputs } from '../job/outcome.js';

/**
 * The action's edge: inputs and log through `@actions/core`, the chart repository through the
 * GitHub API, tag metadata in the Actions cache, outcome as step outputs and the job summary.
 * The only place that sets the outcome of the step.
 */
export async function run(): Promise<void> {
  const logger = createActionsLogger();
  // Outputs exist even when the run fails early, so later steps can test them.
  setOutputs(undefined);
  try {
    const env = process.env;
    const inputs = readActionInputs();
    const github = loadGitHubSettings(inputs, env);
    logger.setSecret(github.token);
    const outcome = await runPipeline({
      inputs,
      env,
      logger,
      now: () => new Date(),
      readEvent: async () => ({
        name: env.GITHUB_EVENT_NAME ?? 'workflow_dispatch',
        payload: await readEventPayload(env.GITHUB_EVENT_PATH),
      }),
      openWorkspace: () =>
        createGitHubWorkspace({
          client: createGitHubClient(github, { logger }),
          settings: github,
          logger,
        }),
      restoreCache: async (settings) => {
        if (!settings.registry.cache) return undefined;
        const cache = await restoreMetadataCache(settings, env, logger);
        return cache && { store: cache.store, save: () => saveMetadataCache(cache, logger) };
      },
    });
    setOutputs(outcome);
    if (outcome.kind === 'finished') {
      await core.summary
        .addRaw(stepSummary(outcome.report.changeSets, outcome.report.results))
        .addRaw(usageMarkdown(outcome.usage))
        .addRaw(outcome.rateLimits.map((line) => `Rate limit: ${line}\n`).join(''))
        .write();
    }
    const failure = failureMessage(outcome);
    if (failure !== undefined) core.setFailed(failure);
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

function setOutputs(outcome: RunOutcome | undefined): void {
  for (const [name, value] of Object.entries(outcomeOutputs(outcome))) core.setOutput(name, value);
}

async function readEventPayload(file: string | undefined): Promise<unknown> {
  if (!file) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read the event payload ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
