import type { JobReport } from './job.js';
import { decisionRecords, pullRequestRecords, usageRecord } from './report.js';
import type { RunOutcome } from './run.js';

/**
 * The outcome of a run as one JSON-ready object, the same shape whether the run finished, was
 * skipped or stopped early (command line `--json`): `{decisions, updates, pullRequests, errors,
 * registryUsage, incomplete}`.
 */
export function outcomeRecord(outcome: RunOutcome): object {
  switch (outcome.kind) {
    case 'finished':
      return {
        decisions: decisionRecords(outcome.report),
        updates: outcome.report.updates,
        pullRequests: pullRequestRecords(outcome.report),
        errors: outcome.report.errors,
        registryUsage: usageRecord(outcome.usage),
        incomplete: outcome.incomplete.length > 0,
      };
    case 'skipped':
      return {
        decisions: [],
        updates: [],
        pullRequests: [],
        errors: [],
        registryUsage: {},
        incomplete: false,
      };
    case 'failed':
      return {
        decisions: [],
        updates: [],
        pullRequests: [],
        errors: [{ message: outcome.message }],
        registryUsage: {},
        incomplete: false,
      };
  }
}

/** The action's outputs `updates`, `pull-requests`, `changed` and `incomplete`, as text. */
export function outcomeOutputs(
  outcome: RunOutcome | undefined,
): Record<'updates' | 'pull-requests' | 'changed' | 'incomplete', string> {
  const report = outcome?.kind === 'finished' ? outcome.report : undefined;
  return {
    updates: JSON.stringify(report?.updates ?? []),
    'pull-requests': JSON.stringify(report ? pullRequestRecords(report) : []),
    changed: String(report !== undefined && changedAnything(report)),
    incomplete: String(outcome?.kind === 'finished' && outcome.incomplete.length > 0),
  };
}

/** The message a failed run ends with; `undefined` when nothing failed. */
export function failureMessage(outcome: RunOutcome): string | undefined {
  if (outcome.kind === 'failed') return outcome.message;
  if (outcome.kind === 'skipped') return undefined;
  const { errors } = outcome.report;
  if (errors.length === 0) {
    return outcome.failOnIncomplete && outcome.incomplete.length > 0
      ? `the run is incomplete and fail-on-incomplete is set: ${outcome.incomplete.join(', ')} kept their values without a decision because the request budget or a registry rate limit ran out`
      : undefined;
  }
  const lines = errors.map(
    (error) =>
      [error.target, error.environment, error.image].filter(Boolean).join('/') +
      `: ${error.message}`,
  );
  return `${errors.length} failure(s); targets that succeeded were published:\n${lines.join('\n')}`;
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
