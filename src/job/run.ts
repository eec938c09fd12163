import type { RawInputs } from '../config/inputs.js';
import { inputLocation, parseBooleanText } from '../config/inputs-form.js';
import { loadSettings, parseDispatchTypes } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { Workspace } from '../core/workspace.js';
import { createRegistryClient } from '../registry/client.js';
import type { MetadataCache } from '../registry/cache.js';
import { parseImageReference } from '../registry/reference.js';
import type { RegistryUsage } from '../registry/types.js';
import { triggerFromEvent } from './events.js';
import { runJob, type JobReport } from './job.js';
import { rateLimitLines } from './report.js';

type Environment = Readonly<Record<string, string | undefined>>;

/** The metadata cache of one run, restored by an edge, and how to keep it for the next run. */
export interface OpenedCache {
  readonly store: MetadataCache;
  save(): Promise<void>;
}

/**
 * What differs between the action and the command line. Everything else — the order of the
 * steps, which checks run before which request, when the cache is saved, what the outcome holds —
 * is the pipeline's and therefore the same for both.
 */
export interface RunEdges {
  /** Every input as text (action inputs, or the command line's flags of the same names). */
  readonly inputs: RawInputs;
  /** The process environment: credentials, `GITHUB_*`, `DOCKER_CONFIG`. */
  readonly env: Environment;
  /** The event that started the run; read after the inputs were checked. */
  readEvent(): Promise<{ name: string; payload: unknown }>;
  /** The chart repository; opened only when the event asks for work. */
  openWorkspace(): Workspace;
  /**
   * Restores tag metadata kept by earlier runs; `undefined` when this run keeps none. Saved at
   * the end of every run that restored it, failed or not: cached metadata is about immutable
   * tags and stays true whatever happened to the rest of the run.
   */
  restoreCache(settings: Settings): Promise<OpenedCache | undefined>;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Plan only, whatever the configured modes say (command line `--dry-run`). */
  readonly dryRun?: boolean;
}

/** How a run ended; each edge turns this into its own outputs and exit status. */
export type RunOutcome =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'finished';
      readonly report: JobReport;
      readonly usage: ReadonlyMap<string, RegistryUsage>;
      /** One line per registry that reported a pull rate limit. */
      readonly rateLimits: readonly string[];
      /**
       * Images kept without a decision because a request budget or rate limit ran out, as
       * `alias (target/environment)`; empty when the run decided everything.
       */
      readonly incomplete: readonly string[];
      /** Input `fail-on-incomplete`: an incomplete run fails. */
      readonly failOnIncomplete: boolean;
    }
  /** The run stopped before publishing anything: bad configuration, bad payload, no access. */
  | { readonly kind: 'failed'; readonly message: string; readonly error: unknown };

/**
 * One run: inputs → event → workspace → settings → cache → registry → job → cache saved →
 * outcome. The only assembly of these steps; the action and the command line supply edges.
 * Never throws: an error that stops the run is a `failed` outcome.
 */
export async function runPipeline(edges: RunEdges): Promise<RunOutcome> {
  const { logger } = edges;
  try {
    // The event is judged before the chart repository is read: a skipped event costs nothing.
    const dispatchTypes = parseDispatchTypes(edges.inputs);
    const event = await edges.readEvent();
    const trigger = triggerFromEvent({ ...event, dispatchTypes });
    if (trigger.kind === 'skip') {
      logger.info(`Nothing to do: ${trigger.reason}.`);
      return { kind: 'skipped', reason: trigger.reason };
    }

    const workspace = edges.openWorkspace();
    const settings = await loadSettings(
      edges.inputs,
      await workspace.baseFiles(),
      edges.env,
      logger,
    );
    const failOnIncomplete = parseBooleanText(
      edges.inputs['fail-on-incomplete'],
      inputLocation('fail-on-incomplete'),
      'fail-on-incomplete',
    );
    const cache = await edges.restoreCache(settings);
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
        now: edges.now,
        dryRun: edges.dryRun === true,
        env: edges.env,
      });
      const rateLimits = rateLimitLines(
        [...settings.images.values()].map(
          (image) => parseImageReference(image.repository).registry,
        ),
        (name) => registry.rateLimitRemaining(name),
      );
      for (const line of rateLimits) logger.info(`Rate limit: ${line}`);
      const incomplete = incompleteImages(report);
      if (incomplete.length > 0) {
        logger.warning(
          `The run is incomplete: ${incomplete.length} image${incomplete.length === 1 ? '' : 's'} kept ` +
            `${incomplete.length === 1 ? 'its value' : 'their values'} without a decision because the request ` +
            `budget or a registry rate limit ran out: ${incomplete.join(', ')}. Raise request-budget, ` +
            'authenticate to the registry, or keep the metadata cache between runs' +
            (failOnIncomplete ? '.' : '; set fail-on-incomplete to fail such runs.'),
        );
      }
      return {
        kind: 'finished',
        report,
        usage: registry.usage(),
        rateLimits,
        incomplete,
        failOnIncomplete,
      };
    } finally {
      await registry.close();
      if (cache) await saveCache(cache, logger);
    }
  } catch (error) {
    return { kind: 'failed', message: errorMessage(error), error };
  }
}

/** A cache that cannot be saved costs the next run requests, never this run its result. */
async function saveCache(cache: OpenedCache, logger: Logger): Promise<void> {
  try {
    await cache.save();
  } catch (error) {
    logger.warning(`Could not save the tag metadata cache: ${errorMessage(error)}`);
  }
}

/** True when the outcome should fail the step or exit non-zero. */
export function outcomeFailed(outcome: RunOutcome): boolean {
  return (
    outcome.kind === 'failed' ||
    (outcome.kind === 'finished' &&
      (outcome.report.errors.length > 0 ||
        (outcome.failOnIncomplete && outcome.incomplete.length > 0)))
  );
}

/** `alias (target/environment)` for every decision a spent budget or rate limit left open. */
function incompleteImages(report: JobReport): string[] {
  return report.decisions
    .filter((entry) => entry.decision.incomplete === true)
    .map(
      (entry) =>
        `${entry.decision.alias} (${[entry.target, entry.environment].filter(Boolean).join('/')})`,
    );
}
