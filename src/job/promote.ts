import type { ImageSettings } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { HistoryProvider } from '../promotion/history.js';
import { planPromotion, type PromotionPlan } from '../promotion/plan.js';
import { formatInstant } from '../promotion/soak.js';
import type { ImageReference, RegistryClient } from '../registry/types.js';
import { splitDigestValue } from '../strategy/digest.js';
import type { Decision } from '../core/decision.js';
import { resolvePayloadTag } from './resolve.js';
import type { Unit } from './units.js';

/** What a promoted unit needs besides itself: where its values come from. */
export interface PromotionContext {
  readonly source: Unit;
  readonly history: HistoryProvider;
}

export type ImageOutcome =
  | { readonly image: ImageSettings; readonly decision: Decision; readonly error?: undefined }
  | { readonly image: ImageSettings; readonly decision?: undefined; readonly error: unknown };

export interface PromoteInput {
  readonly unit: Unit;
  readonly context: PromotionContext;
  /** The value each image has now on the base branch, and on the open pull request. */
  readonly current: (image: ImageSettings) => string | undefined;
  readonly pending: (image: ImageSettings) => string | undefined;
  /** The value of each of the unit's images in one version of the source file. */
  readonly readSource: (text: string) => ReadonlyMap<string, string | undefined>;
  readonly referenceOf: (image: ImageSettings) => ImageReference;
  readonly client: RegistryClient;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * Decides a promoted unit: the values come from the source's history (see src/promotion/), and
 * only the gates ask the registry (the tag exists with that digest, platforms, min-age, no
 * downgrade). Images that moved together in the source move together here: when a gate refuses
 * one image, the unit's other images keep their values too.
 */
export async function promoteUnit(input: PromoteInput): Promise<ImageOutcome[]> {
  const { unit, context, logger } = input;
  const policy = unit.promotion;
  if (policy === undefined) throw new Error(`${label(unit)} has no promotion policy`);
  const sourceLabel =
    context.source.target === unit.target && context.source.environment !== undefined
      ? context.source.environment
      : label(context.source);
  const plan = await planPromotion({
    policy,
    sourceLabel,
    sourceFile: context.source.file,
    aliases: unit.images.map((image) => image.alias),
    readValues: input.readSource,
    history: context.history,
    now: input.now(),
  });
  logger.debug(
    `${label(unit)}: read ${plan.commitsRead} commit(s) of ${context.source.file} from ${context.history.description}${plan.historyComplete ? '' : ' (not its whole history)'}.`,
  );

  const outcomes: ImageOutcome[] = [];
  const moving: { image: ImageSettings; value: string; gate: Decision }[] = [];
  const refusals: string[] = [];
  for (const image of unit.images) {
    const current = input.current(image);
    const reason = plan.reasons.get(image.alias) ?? '';
    const desired = plan.values?.get(image.alias);
    if (desired === undefined || desired === current || plan.heldUntil !== undefined) {
      const prefix = desired !== undefined && desired === current ? 'already at ' : '';
      outcomes.push({
        image,
        decision: promotionDecision(image, current, undefined, `${prefix}${reason}`, plan),
      });
      continue;
    }
    const { tag, digest } = splitDigestValue(desired);
    if (tag === undefined) {
      const message = `${sourceLabel} pins ${image.alias} to the bare digest ${desired}; promotion copies a tag (with its digest), so write \`tag@digest\` there.`;
      outcomes.push({ image, error: new Error(message) });
      refusals.push(`${image.alias}: ${message}`);
      continue;
    }
    try {
      const gate = await resolvePayloadTag({
        image,
        reference: input.referenceOf(image),
        current,
        pending: input.pending(image),
        tag,
        digest,
        fields: { tag: `${sourceLabel}'s ${image.alias}`, digest: `${sourceLabel}'s digest` },
        client: input.client,
        // The gate's own line would repeat the decision; the promotion line below explains it.
        logger: { ...logger, info: (message: string) => logger.debug(message) },
        now: input.now,
      });
      if (gate.chosen === tag || gate.chosen === desired) {
        moving.push({ image, value: desired, gate });
        continue;
      }
      const why = `not promoted: ${gate.reason}`;
      refusals.push(`${image.alias}: ${gate.reason}`);
      outcomes.push({
        image,
        decision: { ...promotionDecision(image, current, gate, `${reason}; ${why}`, plan) },
      });
    } catch (error) {
      refusals.push(`${image.alias}: ${errorMessage(error)}`);
      outcomes.push({ image, error });
    }
  }
  for (const { image, value, gate } of moving) {
    const current = input.current(image);
    const reason = plan.reasons.get(image.alias) ?? '';
    if (refusals.length > 0) {
      // Never a mix: the source ran these values together, so they wait for each other.
      outcomes.push({
        image,
        decision: promotionDecision(
          image,
          current,
          gate,
          `${reason}; held, because the images promoted with it cannot move (${refusals.join('; ')})`,
          plan,
        ),
      });
      continue;
    }
    outcomes.push({
      image,
      decision: {
        ...promotionDecision(image, current, gate, reason, plan),
        chosen: value,
        metadata: gate.metadata,
        changed: value !== current,
      },
    });
  }
  // Configuration order, as the job reports the other units.
  const order = new Map(unit.images.map((image, index) => [image.alias, index]));
  outcomes.sort((a, b) => (order.get(a.image.alias) ?? 0) - (order.get(b.image.alias) ?? 0));
  for (const outcome of outcomes) {
    if (outcome.decision !== undefined) {
      logger.info(`${label(unit)}: ${outcome.image.alias}: ${outcome.decision.reason}`);
    }
  }
  return outcomes;
}

function promotionDecision(
  image: ImageSettings,
  current: string | undefined,
  gate: Decision | undefined,
  reason: string,
  plan: PromotionPlan,
): Decision {
  const chosenHeld = plan.evaluation.chosen?.values.find((held) => held.alias === image.alias);
  return {
    alias: image.alias,
    image: image.repository,
    current,
    chosen: current,
    metadata: undefined,
    currentMetadata: gate?.currentMetadata,
    changed: false,
    reason,
    counts: { seen: 0, afterFilter: 0, skipped: {} },
    tiedWith: [],
    promotion: {
      source: plan.sourceLabel,
      since: chosenHeld === undefined ? undefined : chosenHeld.since.date.toISOString(),
      commit: chosenHeld?.since.sha,
      pullRequest: chosenHeld?.since.pullRequest,
      eligibleAt: plan.eligibleAt?.toISOString(),
      eligibleAtText: plan.eligibleAt === undefined ? undefined : formatInstant(plan.eligibleAt),
      heldUntil: plan.heldUntil?.toISOString(),
    },
  };
}

function label(unit: { target: string; environment: string | undefined }): string {
  return unit.environment === undefined ? unit.target : `${unit.target}/${unit.environment}`;
}
