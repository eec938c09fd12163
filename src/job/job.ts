import type { ImageSettings, Settings } from '../config/settings.js';
import { PayloadError, errorMessage } from '../core/errors.js';
import type { Trigger } from './events.js';
import type { Logger } from '../core/logging.js';
import { parseImageReference } from '../registry/reference.js';
import type { ImageReference, RegistryClient } from '../registry/types.js';
import { checkPayloadTag, resolveImage, resolvePayloadTag } from './resolve.js';
import { candidateVerification } from './resolve/verification.js';
import type { ChartFiles } from '../core/files.js';
import { loadVerificationMaterial } from '../verify/material.js';
import { NO_VERIFICATION, isVerifying } from '../verify/policy.js';
import { ImageVerifier } from '../verify/verifier.js';
import { filterTags } from '../strategy/filter.js';
import type { Decision } from '../core/decision.js';
import { expandUnits, type Unit } from './units.js';
import type { ChangeSet, PublishResult, Update } from '../core/changes.js';
import { joinImageSpec, splitImageSpec } from '../writers/image-spec.js';
import { editOverrideFile, readOverrideParameter } from '../writers/override-file.js';
import type { ValueChange, WriteResult } from '../writers/types.js';
import { editValuesFile, readValue } from '../writers/values-file.js';
import type { Workspace } from '../core/workspace.js';
import { ConfigurationError } from '../core/errors.js';
import { cachedHistory } from '../promotion/history.js';
import { linkPromotionSources } from './promotion-sources.js';
import { promoteUnit, type ImageOutcome, type PromotionContext } from './promote.js';

export interface JobOptions {
  readonly settings: Settings;
  /** `all` or `image`; a `skip` trigger never reaches the job. */
  readonly trigger: Trigger;
  readonly workspace: Workspace;
  readonly registry: RegistryClient;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Plan only, whatever the configured modes say (CLI `--dry-run`). */
  readonly dryRun?: boolean;
  /** Attempts per unit when another writer wins a race. */
  readonly maxAttempts?: number;
  /** For `verify-key: env:NAME` and `trusted-root: env:NAME`; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface UnitDecision {
  readonly target: string;
  readonly environment: string | undefined;
  readonly decision: Decision;
}

/** A failure confined to one image or one unit; the rest of the run goes on. */
export interface JobError {
  readonly target: string | undefined;
  readonly environment: string | undefined;
  readonly image: string | undefined;
  readonly message: string;
}

export interface JobReport {
  readonly decisions: readonly UnitDecision[];
  readonly updates: readonly Update[];
  /** One per unit that was processed, with or without updates. */
  readonly changeSets: readonly ChangeSet[];
  readonly results: readonly PublishResult[];
  readonly errors: readonly JobError[];
}

const DEFAULT_ATTEMPTS = 5;

/**
 * The main job: for every unit, read the current values, choose tags, edit the file and
 * publish. One image or unit failing is recorded and the others go on; a bad event payload
 * stops the run before anything is written.
 */
export async function runJob(options: JobOptions): Promise<JobReport> {
  const { settings, trigger, workspace, logger } = options;
  const registry = memoizeTagLists(options.registry);
  const base = await workspace.baseFiles();
  // Keys and trust roots are configuration: a missing one stops the run before any request.
  const verifier = await openVerifier(settings, base, options);
  const units = await expandUnits(settings.targets, base, logger);
  // Promotion sources are checked here: after the environments are known from the files,
  // before any registry request.
  const promotions = new Map<Unit, PromotionContext>();
  const sources = linkPromotionSources(units);
  const [firstPromoted] = sources.keys();
  if (firstPromoted !== undefined) {
    const why = `${unitLabel(firstPromoted)} has promote-from ${firstPromoted.promotion?.from ?? ''}`;
    if (workspace.history === undefined) {
      throw new ConfigurationError(`${why}, but this workspace cannot read history.`);
    }
    const history = cachedHistory(await workspace.history(why));
    for (const [unit, source] of sources) promotions.set(unit, { source, history });
  }
  const references = new Map<string, ImageReference>();
  for (const image of settings.images.values()) {
    references.set(image.repository, parseImageReference(image.repository));
  }
  const referenceOf = (image: ImageSettings): ImageReference =>
    references.get(image.repository) ?? parseImageReference(image.repository);

  let payload: { tag: string; digest: string | undefined } | undefined;
  // Each unit with the images this run decides: all of them, or those an image event names.
  let work = units.map((unit) => ({ unit, deciding: unit.images }));
  if (trigger.kind === 'image') {
    const accepted = await validatePayload(
      trigger,
      units,
      referenceOf,
      { ...options, registry },
      verifier,
    );
    work = accepted.map((narrowed) => ({
      unit: units.find(
        (unit) => unit.target === narrowed.target && unit.environment === narrowed.environment,
      ) as Unit,
      deciding: narrowed.images,
    }));
    payload = { tag: trigger.tag, digest: trigger.digest };
    // An image event moves the environments that follow the registry; promoted ones move on
    // scheduled runs and pushes, when the source's history says the value has soaked.
    for (const unit of units.filter((candidate) => candidate.promotion !== undefined)) {
      logger.info(
        `${unitLabel(unit)}: promoted from ${unit.promotion?.from ?? ''}; an image event does not move it (it moves on scheduled runs and pushes to the base branch).`,
      );
    }
    work = work.filter(({ unit }) => unit.promotion === undefined);
  }
  // One image with thousands of tags must not leave the others without a request.
  registry.shareBudget?.([
    ...new Set(units.flatMap((unit) => unit.images.map((image) => referenceOf(image)))),
  ]);

  const report = {
    decisions: [] as UnitDecision[],
    updates: [] as Update[],
    changeSets: [] as ChangeSet[],
    results: [] as PublishResult[],
    errors: [] as JobError[],
  };
  for (const { unit, deciding } of work) {
    try {
      const outcome = await processUnit(
        unit,
        deciding,
        { ...options, registry },
        referenceOf,
        payload,
        promotions.get(unit),
        verifier,
      );
      report.decisions.push(...outcome.decisions);
      report.errors.push(...outcome.errors);
      report.changeSets.push(outcome.changeSet);
      report.updates.push(...outcome.changeSet.updates);
      report.results.push(outcome.result);
    } catch (error) {
      const message = errorMessage(error);
      logger.error(`${unitLabel(unit)}: ${message}`);
      report.errors.push({
        target: unit.target,
        environment: unit.environment,
        image: undefined,
        message,
      });
    }
  }
  return report;
}

/**
 * Checks an image event against the configuration before any write: the image must be
 * configured, the tag must pass the filters of at least one unit using it, and it must exist
 * (with the given digest). Returns the units the event applies to, each narrowed to that image.
 */
async function validatePayload(
  trigger: Extract<Trigger, { kind: 'image' }>,
  units: readonly Unit[],
  referenceOf: (image: ImageSettings) => ImageReference,
  options: JobOptions,
  verifier: ImageVerifier | undefined,
): Promise<Unit[]> {
  let wanted: ImageReference;
  try {
    wanted = parseImageReference(trigger.image);
  } catch (error) {
    throw new PayloadError(`${trigger.event}: ${errorMessage(error)}`);
  }
  const sameImage = (image: ImageSettings): boolean => {
    const reference = referenceOf(image);
    return reference.registry === wanted.registry && reference.repository === wanted.repository;
  };
  const using = units.filter((unit) => unit.images.some(sameImage));
  if (using.length === 0) {
    const configured = [...options.settings.images.values()].map((image) => image.repository);
    throw new PayloadError(
      `${trigger.event}: image ${JSON.stringify(trigger.image)} is not configured for any target (configured: ${configured.join(', ') || 'none'}); nothing was written`,
    );
  }
  const accepted: Unit[] = [];
  const rejections: string[] = [];
  for (const unit of using) {
    const images = unit.images.filter(
      (image) => sameImage(image) && filterTags([trigger.tag], image.policy).kept.length === 1,
    );
    if (images.length === 0) {
      rejections.push(unitLabel(unit));
      continue;
    }
    accepted.push({ ...unit, images });
  }
  if (accepted.length === 0) {
    throw new PayloadError(
      `${trigger.event}: tag ${JSON.stringify(trigger.tag)} does not pass the allow-tags/ignore-tags filters of any target using ${trigger.image} (${rejections.join(', ')}); nothing was written`,
    );
  }
  for (const label of rejections) {
    options.logger.info(
      `${label}: tag ${JSON.stringify(trigger.tag)} does not pass this target's filters; skipped.`,
    );
  }
  // Existence and digest are properties of the registry, not of a unit: check them once, up front.
  const first = accepted[0] as Unit;
  const image = first.images[0] as ImageSettings;
  await checkPayloadTag({
    image,
    reference: referenceOf(image),
    current: undefined,
    pending: undefined,
    tag: trigger.tag,
    digest: trigger.digest,
    client: options.registry,
    logger: options.logger,
    now: options.now,
    verification:
      verifier && candidateVerification(verifier, referenceOf(image), image.verification),
  });
  return accepted;
}

interface UnitOutcome {
  readonly decisions: UnitDecision[];
  readonly errors: JobError[];
  readonly changeSet: ChangeSet;
  readonly result: PublishResult;
}

/**
 * Decides `deciding` (the unit's images, or those an image event names), writes the file and
 * publishes. An image of the unit that this run does not decide — not named by the event, or
 * failed — keeps the value the unit's branch already proposes: the branch is rebuilt from the
 * base, and without this a run for one image would revert another image's pending update.
 */
async function processUnit(
  unit: Unit,
  deciding: readonly ImageSettings[],
  options: JobOptions,
  referenceOf: (image: ImageSettings) => ImageReference,
  payload: { tag: string; digest: string | undefined } | undefined,
  promotion: PromotionContext | undefined,
  verifier: ImageVerifier | undefined,
): Promise<UnitOutcome> {
  const { workspace, logger } = options;
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  const publish = options.dryRun ? { ...unit.publish, mode: 'dry-run' as const } : unit.publish;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await workspace.readUnit(unit);
    const text = await snapshot.base.read(unit.file);
    if (text === undefined && unit.type === 'values') {
      throw new Error(`values file ${unit.file} does not exist on the base branch`);
    }
    const fallback = unit.fallbackFile ? await snapshot.base.read(unit.fallbackFile) : undefined;
    const pendingText = snapshot.pending ? await snapshot.pending.read(unit.file) : undefined;

    const decisions: UnitDecision[] = [];
    const errors: JobError[] = [];
    const changes: ValueChange[] = [];
    const decisionByKey = new Map<string, Decision>();
    // Images of a unit are independent: resolve them at once (the HTTP layer bounds requests
    // per host), then apply the results in configuration order.
    const outcomes: ImageOutcome[] = promotion
      ? await promoteUnit({
          unit,
          context: promotion,
          current: (image) => readCurrent(unit, image, text, fallback),
          pending: (image) =>
            pendingText === undefined
              ? undefined
              : readCurrent(unit, image, pendingText, undefined),
          readSource: (sourceText) => {
            const values = new Map<string, string | undefined>();
            for (const image of promotion.source.images) {
              let value: string | undefined;
              try {
                value = readCurrent(promotion.source, image, sourceText, undefined);
              } catch {
                // A version of the source that cannot be read holds no value to promote.
                value = undefined;
              }
              values.set(image.alias, value);
            }
            return values;
          },
          referenceOf,
          client: options.registry,
          logger,
          now: options.now,
        })
      : await Promise.all(
          deciding.map(async (image) => {
            try {
              const current = readCurrent(unit, image, text, fallback);
              const pending =
                pendingText === undefined
                  ? undefined
                  : readCurrent(unit, image, pendingText, undefined);
              const common = {
                image,
                reference: referenceOf(image),
                current,
                pending,
                client: options.registry,
                logger,
                now: options.now,
                verification:
                  verifier &&
                  candidateVerification(verifier, referenceOf(image), image.verification),
              };
              const decision = payload
                ? await resolvePayloadTag({ ...common, tag: payload.tag, digest: payload.digest })
                : await resolveImage(common);
              return { image, decision };
            } catch (error) {
              return { image, error };
            }
          }),
        );
    const decided = new Set<ImageSettings>();
    for (const outcome of outcomes) {
      const { image } = outcome;
      if (outcome.decision === undefined) {
        const message = errorMessage(outcome.error);
        logger.error(`${unitLabel(unit)}: ${image.alias} (${image.repository}): ${message}`);
        errors.push({
          target: unit.target,
          environment: unit.environment,
          image: image.alias,
          message,
        });
        continue;
      }
      const { decision } = outcome;
      decided.add(image);
      decisions.push({ target: unit.target, environment: unit.environment, decision });
    }
    // Images the event does not name: the value the branch proposes is checked like an event's
    // tag (filters, existence, no downgrade against the base), so a base that moved past it wins.
    const kept = new Map<ImageSettings, Decision>();
    const unsure = new Set<ImageSettings>();
    if (pendingText !== undefined) {
      const others = unit.images.filter((image) => !deciding.includes(image));
      await Promise.all(
        others.map(async (image) => {
          const current = readCurrent(unit, image, text, fallback);
          const proposed = readCurrent(unit, image, pendingText, undefined);
          const tag = proposed?.split('@')[0];
          if (proposed === undefined || proposed === current || tag === undefined || tag === '')
            return;
          const where = `${unitLabel(unit)}: ${image.alias} (${image.repository})`;
          try {
            const decision = await resolvePayloadTag({
              image,
              reference: referenceOf(image),
              current,
              pending: undefined,
              tag,
              digest: undefined,
              client: options.registry,
              logger: { ...logger, info: (message) => logger.debug(message) },
              now: options.now,
              fields: {
                tag: `the value on the branch of the open pull request`,
                digest: 'its digest',
              },
            });
            const keeps = decision.changed && decision.chosen === proposed;
            const reason = keeps
              ? `keeps ${proposed} that the open pull request proposes (this run was started for another image)`
              : decision.reason;
            logger.info(`${where}: ${reason}`);
            kept.set(image, { ...decision, reason });
          } catch (error) {
            if (error instanceof PayloadError) {
              logger.warning(
                `${where}: ${errorMessage(error).replace(/; nothing was written$/, '')}; the pull request no longer proposes it.`,
              );
              return;
            }
            logger.warning(
              `${where}: ${proposed} on the open pull request could not be checked (${errorMessage(error)}); it is kept as it is.`,
            );
            unsure.add(image);
          }
        }),
      );
    }

    const carriedDecisions: Decision[] = [];
    // Configuration order, so the file, the title and the body list images the same way in
    // every run.
    for (const image of unit.images) {
      const decision =
        kept.get(image) ??
        decisions.find((entry) => entry.decision.alias === image.alias)?.decision;
      if ((decided.has(image) || kept.has(image)) && decision !== undefined) {
        if (kept.has(image)) carriedDecisions.push(decision);
        if (decision.changed && decision.chosen !== undefined) {
          for (const change of changesFor(image, decision.chosen)) {
            changes.push(change);
            decisionByKey.set(change.key, decision);
          }
        }
        continue;
      }
      // A failed image, or one whose proposed value could not be checked: the branch keeps
      // exactly what it has for it.
      const failed = deciding.includes(image) && !decided.has(image);
      if (pendingText === undefined || !(failed || unsure.has(image))) continue;
      const carried = carryPending(unit, image, { text, fallback, pendingText });
      if (carried === undefined) continue;
      const verbatim: Decision = {
        alias: image.alias,
        image: image.repository,
        current: carried.current,
        chosen: carried.pending,
        metadata: undefined,
        currentMetadata: undefined,
        changed: true,
        reason: `keeps ${carried.pending ?? 'the value'} that the open pull request proposes (it could not be ${failed ? 'resolved' : 'checked'} in this run)`,
        counts: { seen: 0, afterFilter: 0, skipped: {} },
        tiedWith: [],
      };
      logger.info(`${unitLabel(unit)}: ${image.alias} (${image.repository}) ${verbatim.reason}.`);
      carriedDecisions.push(verbatim);
      for (const change of carried.changes) {
        changes.push(change);
        decisionByKey.set(change.key, verbatim);
      }
    }

    const written: WriteResult =
      unit.type === 'argocd-override'
        ? changes.length === 0 && text === undefined
          ? { text: '', changes: [] }
          : editOverrideFile(text, changes, unit.file)
        : editValuesFile(text ?? '', changes, unit.file);
    const updates: Update[] = written.changes.map((change) => {
      const decision = decisionByKey.get(change.key);
      return {
        target: unit.target,
        environment: unit.environment,
        image: decision?.alias ?? change.key,
        file: unit.file,
        key: change.key,
        from: change.from,
        to: change.to,
        digest: decision?.metadata?.digest,
      };
    });
    const changeSet: ChangeSet = {
      target: unit.target,
      environment: unit.environment,
      publish,
      files: updates.length > 0 ? [{ path: unit.file, content: written.text }] : [],
      updates,
      decisions: [...decisions.map((entry) => entry.decision), ...carriedDecisions],
    };
    try {
      const result = await workspace.publish(changeSet, snapshot);
      return { decisions, errors, changeSet, result };
    } catch (error) {
      if (!workspace.isConflict(error) || attempt >= attempts) throw error;
      logger.info(
        `${unitLabel(unit)}: another run changed the branch first (${errorMessage(error)}); reading it again (attempt ${attempt + 1} of ${attempts}).`,
      );
    }
  }
}

/** The value now in the chart for an image: a tag, or `tag@sha256:…`. */
function readCurrent(
  unit: Unit,
  image: ImageSettings,
  text: string | undefined,
  fallback: string | undefined,
): string | undefined {
  const key = image.helm.imageSpec ?? image.helm.imageTag;
  if (key === undefined) return undefined;
  const value = readKey(unit, text, fallback, key);
  if (value === undefined || image.helm.imageSpec === undefined) return value;
  const spec = splitImageSpec(value);
  if (spec.tag === undefined && spec.digest === undefined) return undefined;
  return spec.digest === undefined
    ? spec.tag
    : spec.tag === undefined
      ? spec.digest
      : `${spec.tag}@${spec.digest}`;
}

/**
 * The keys of an image whose value on the unit's branch differs from the base (each key's bytes
 * as the branch has them), or `undefined` when the branch proposes nothing for this image.
 */
function carryPending(
  unit: Unit,
  image: ImageSettings,
  texts: { text: string | undefined; fallback: string | undefined; pendingText: string },
):
  { current: string | undefined; pending: string | undefined; changes: ValueChange[] } | undefined {
  const keys = [image.helm.imageSpec, image.helm.imageName, image.helm.imageTag].filter(
    (key): key is string => key !== undefined,
  );
  const changes: ValueChange[] = [];
  for (const key of keys) {
    const pending = readKey(unit, texts.pendingText, undefined, key);
    const base = readKey(unit, texts.text, texts.fallback, key);
    if (pending !== undefined && pending !== base) changes.push({ key, value: pending });
  }
  if (changes.length === 0) return undefined;
  return {
    current: readCurrent(unit, image, texts.text, texts.fallback),
    pending: readCurrent(unit, image, texts.pendingText, undefined),
    changes,
  };
}

/** One key's value in the unit's file, else in its fallback file. */
function readKey(
  unit: Unit,
  text: string | undefined,
  fallback: string | undefined,
  key: string,
): string | undefined {
  const fromFile =
    text === undefined
      ? undefined
      : unit.type === 'argocd-override'
        ? readOverrideParameter(text, key, unit.file)
        : readValue(text, key, unit.file);
  return (
    fromFile ??
    (fallback !== undefined && unit.fallbackFile !== undefined
      ? readValue(fallback, key, unit.fallbackFile)
      : undefined)
  );
}

/** The helm keys to set for a chosen value. */
function changesFor(image: ImageSettings, chosen: string): ValueChange[] {
  if (image.helm.imageSpec !== undefined) {
    return [{ key: image.helm.imageSpec, value: joinImageSpec(image.repository, chosen) }];
  }
  const changes: ValueChange[] = [];
  if (image.helm.imageName !== undefined) {
    changes.push({ key: image.helm.imageName, value: image.repository });
  }
  if (image.helm.imageTag !== undefined) changes.push({ key: image.helm.imageTag, value: chosen });
  return changes;
}

export function unitLabel(unit: { target: string; environment: string | undefined }): string {
  return unit.environment === undefined ? unit.target : `${unit.target}/${unit.environment}`;
}

/**
 * Several units share images: list each repository's tags once per run. A failure is kept too:
 * the transport already retried it as often as the retry policy allows, and asking again for
 * every unit would multiply that bound (ten environments × four timed-out attempts).
 */
/**
 * The run's verifier when any image (in any target or environment) verifies: keys and trust
 * roots read from the chart repository or the environment first, so a missing key is a
 * configuration error before the first registry request.
 */
async function openVerifier(
  settings: Settings,
  base: ChartFiles,
  options: JobOptions,
): Promise<ImageVerifier | undefined> {
  const policies = allImageSettings(settings).map((image) => image.verification ?? NO_VERIFICATION);
  if (!policies.some(isVerifying)) return undefined;
  const material = await loadVerificationMaterial(policies, {
    readFile: (path) => base.read(path),
    env: options.env ?? process.env,
  });
  return new ImageVerifier({
    artifacts: options.registry.artifacts,
    material,
    cache: options.registry.verifications,
    logger: options.logger,
  });
}

/** Every image's effective settings: defaults, per target and per environment. */
function allImageSettings(settings: Settings): ImageSettings[] {
  const images = [...settings.images.values()];
  for (const target of settings.targets) {
    images.push(...target.images);
    if (target.type === 'values') {
      for (const environment of target.environments.values()) images.push(...environment.images);
    }
  }
  return images;
}

function memoizeTagLists(client: RegistryClient): RegistryClient {
  const lists = new Map<string, Promise<string[]>>();
  return {
    listTags: (image) => {
      const key = `${image.registry}/${image.repository}`;
      let list = lists.get(key);
      if (!list) {
        list = client.listTags(image);
        lists.set(key, list);
      }
      return list;
    },
    getMetadata: (image, tag, platforms, metadataOptions) =>
      client.getMetadata(image, tag, platforms, metadataOptions),
    getDigest: (image, tag) => client.getDigest(image, tag),
    usage: () => client.usage(),
    shareBudget: (images) => client.shareBudget?.(images),
    releaseShare: (image) => client.releaseShare?.(image),
    ...(client.artifacts && { artifacts: client.artifacts }),
    ...(client.verifications && { verifications: client.verifications }),
  };
}
