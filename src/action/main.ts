import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { createActionsLogger, readActionInputs } from './runner.js';
import { loadGitHubSettings, loadSettings } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { triggerFromEvent } from '../job/events.js';
import { createGitHubWorkspace } from '../workspace/github/workspace.js';
import { runJob, type JobReport } from '../job/job.js';
import type { Logger } from '../core/logging.js';
import { restoreMetadataCache, saveMetadataCache } from './metadata-cache.js';
import { createGitHubClient } from '../workspace/github/octokit.js';
import { stepSummary } from '../workspace/github/body.js';
import { createRegistryClient } from '../registry/client.js';
import { pullRequestRecords, rateLimitLines, usageMarkdown } from '../job/report.js';
import { parseImageReference } from '../registry/reference.js';

/**
 * The action: settings → event → resolve → write → publish → outputs. The only place that
 * sets the outcome of the step.
 */
export async function run(): Promise<void> {
  const logger = createActionsLogger();
  try {
    const report = await runAction(logger);
    if (report && report.errors.length > 0) {
      const lines = report.errors.map(
        (error) =>
          [error.target, error.environment, error.image].filter(Boolean).join('/') +
          `: ${error.message}`,
      );
      core.setFailed(
        `${report.errors.length} failure(s); targets that succeeded were published:\n${lines.join('\n')}`,
      );
    }
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

async function runAction(logger: Logger): Promise<JobReport | undefined> {
  // Outputs exist even when the run fails early, so later steps can test them.
  setOutputs(undefined);
  const env = process.env;
  const raw = readActionInputs();
  const github = loadGitHubSettings(raw, env);
  logger.setSecret(github.token);

  const dispatchTypes = raw['dispatch-types']
    .split(/[\s,]+/)
    .map((type) => type.trim())
    .filter(Boolean);
  const trigger = triggerFromEvent({
    name: env.GITHUB_EVENT_NAME ?? 'workflow_dispatch',
    payload: await readEventPayload(env.GITHUB_EVENT_PATH),
    dispatchTypes,
  });
  if (trigger.kind === 'skip') {
    logger.info(`Nothing to do: ${trigger.reason}.`);
    setOutputs(undefined);
    return undefined;
  }

  const client = createGitHubClient(github, { logger });
  const workspace = createGitHubWorkspace({ client, settings: github, logger });
  const files = await workspace.baseFiles();
  const settings = await loadSettings(raw, files, env, logger);

  const cache = settings.registry.cache
    ? await restoreMetadataCache(settings, env, logger)
    : undefined;
  const registry = createRegistryClient({
    settings: settings.registry,
    logger,
    cache: cache?.store,
  });
  try {
    const report = await runJob({
      settings,
      trigger,
      workspace,
      registry,
      logger,
      now: () => new Date(),
    });
    setOutputs(report);
    const rateLimits = rateLimitLines(
      [...settings.images.values()].map((image) => parseImageReference(image.repository).registry),
      (name) => registry.rateLimitRemaining(name),
    );
    for (const line of rateLimits) logger.info(`Rate limit: ${line}`);
    await core.summary
      .addRaw(stepSummary(report.changeSets, report.results))
      .addRaw(usageMarkdown(registry.usage()))
      .addRaw(rateLimits.map((line) => `Rate limit: ${line}\n`).join(''))
      .write();
    return report;
  } finally {
    await registry.close();
    if (cache) await saveMetadataCache(cache, logger);
  }
}

function setOutputs(report: JobReport | undefined): void {
  core.setOutput('updates', JSON.stringify(report?.updates ?? []));
  core.setOutput('pull-requests', JSON.stringify(report ? pullRequestRecords(report) : []));
  core.setOutput('changed', String(report !== undefined && changedAnything(report)));
}

/**
 * True when the run moved something (or, in dry-run, would have): a pull request opened or
 * updated, a commit pushed or merged. A run whose open pull request already holds the values
 * changed nothing.
 */
function changedAnything(report: JobReport): boolean {
  return report.results.some(
    (result) =>
      result.action !== 'unchanged' &&
      result.action !== 'none' &&
      result.action !== 'closed' &&
      (result.action !== 'dry-run' ||
        report.updates.some(
          (update) => update.target === result.target && update.environment === result.environment,
        )),
  );
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
