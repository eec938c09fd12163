import type { Decision } from '../core/decision.js';
import { RequestBudgetSpent } from '../core/errors.js';
import { strategyFor } from '../strategy/index.js';
import { buildDecision } from './resolve/decision.js';
import { resolveDigest } from './resolve/digest.js';
import type { PayloadInput, ResolveInput } from './resolve/input.js';
import { checkPayload, decidePayload } from './resolve/payload.js';
import { resolveRanking } from './resolve/ranking.js';

// The per-image resolver. Its seams live in resolve/: ranking (the tag list through the ranking
// walk), digest (following one tag), payload (an event's tag through the same walk), explain
// (the sentences), decision (the one Decision builder), registry-reads.

export type { PayloadInput, ResolveInput } from './resolve/input.js';

/** Resolves one image: lists the tags, filters, ranks (or follows one tag for digest) and chooses. */
export async function resolveImage(input: ResolveInput): Promise<Decision> {
  const strategy = strategyFor(input.image.policy.strategy);
  let decision: Decision;
  try {
    decision =
      strategy.kind === 'tracking'
        ? await resolveDigest(input)
        : await resolveRanking(input, strategy);
  } catch (error) {
    if (!(error instanceof RequestBudgetSpent)) throw error;
    decision = budgetSpentDecision(input, error);
    input.logger.warning(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
    return decision;
  } finally {
    input.client.releaseShare?.(input.reference);
  }
  input.logger.info(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
  return decision;
}

/**
 * Resolves the tag an event names (`repository_dispatch`, `registry_package`) without listing
 * tags; see resolve/payload.ts for the checks an untrusted payload must pass.
 */
export async function resolvePayloadTag(input: PayloadInput): Promise<Decision> {
  const decision = await decidePayload(input);
  input.logger.info(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
  return decision;
}

/**
 * Checks an event's tag against one image (valid, allowed, exists, digest) without deciding or
 * logging a decision: the decision depends on each unit's current value and comes per unit.
 */
export async function checkPayloadTag(input: PayloadInput): Promise<void> {
  await checkPayload(input);
}

/**
 * No more registry requests may be made: the chart keeps what it has (and an open pull request
 * keeps what it proposes) rather than failing the image or choosing from a partial list.
 */
function budgetSpentDecision(input: ResolveInput, error: RequestBudgetSpent): Decision {
  const kept = input.pending ?? input.current;
  return buildDecision(input, {
    chosen: kept,
    metadata: undefined,
    reason: `kept ${kept === undefined ? 'the current value' : JSON.stringify(kept)} without deciding: ${error.message}`,
    counts: { seen: 0, afterFilter: 0, skipped: {} },
    incomplete: true,
  });
}
