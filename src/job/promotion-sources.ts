import { ConfigurationError } from '../core/errors.js';
import { closestMatch } from '../config/did-you-mean.js';
import type { PromotionPolicy } from '../promotion/types.js';

/** What promotion needs to know of a unit; `src/job/units.ts`'s Unit satisfies it. */
export interface PromotionUnit {
  readonly target: string;
  readonly environment: string | undefined;
  readonly file: string;
  readonly images: readonly { readonly alias: string }[];
  readonly promotion?: PromotionPolicy | undefined;
}

/** `target/environment`, or the target alone for a single-unit target. */
export function promotionLabel(unit: Pick<PromotionUnit, 'target' | 'environment'>): string {
  return unit.environment === undefined ? unit.target : `${unit.target}/${unit.environment}`;
}

/**
 * Finds the source unit of every promoted unit, once the environments are known from the files
 * and before any registry request. `promote-from: X` names, in this order: environment X of the
 * same target, a target X that is a single unit, or (with a `/`) environment E of target T.
 * An unknown source, a source lacking one of the promoted images, and a cycle are
 * configuration errors.
 */
export function linkPromotionSources<U extends PromotionUnit>(units: readonly U[]): Map<U, U> {
  const sources = new Map<U, U>();
  for (const unit of units) {
    const policy = unit.promotion;
    if (policy === undefined) continue;
    const source = findSource(unit, policy, units);
    const missing = unit.images
      .map((image) => image.alias)
      .filter((alias) => !source.images.some((image) => image.alias === alias));
    if (missing.length > 0) {
      throw new ConfigurationError(
        `${promotionLabel(unit)} promotes from ${promotionLabel(source)}, which does not update ${missing.join(', ')}; ` +
          'the source must have every image of the promoted environment.',
        policy.location,
      );
    }
    sources.set(unit, source);
  }
  for (const start of sources.keys()) {
    const chain: U[] = [start];
    for (let next = sources.get(start); next !== undefined; next = sources.get(next)) {
      if (chain.includes(next)) {
        const loop = [...chain.slice(chain.indexOf(next)), next].map(promotionLabel);
        throw new ConfigurationError(
          `promote-from forms a cycle: ${loop.join(' ← ')}; one environment of a chain must follow the registry.`,
          (next.promotion ?? start.promotion)?.location,
        );
      }
      chain.push(next);
    }
  }
  return sources;
}

function findSource<U extends PromotionUnit>(
  unit: U,
  policy: PromotionPolicy,
  units: readonly U[],
): U {
  const name = policy.from;
  const sameTarget = units.find(
    (candidate) => candidate.target === unit.target && candidate.environment === name,
  );
  if (sameTarget !== undefined) return sameTarget;
  const whole = units.filter((candidate) => candidate.target === name);
  const single = whole[0];
  if (whole.length === 1 && single !== undefined && single.environment === undefined) return single;
  if (whole.length > 0) {
    throw new ConfigurationError(
      `${promotionLabel(unit)}: promote-from \`${name}\` is a target with environments ` +
        `${whole.map((candidate) => `\`${candidate.environment ?? ''}\``).join(', ')}; write \`${name}/<environment>\`.`,
      policy.location,
    );
  }
  const slash = name.indexOf('/');
  if (slash > 0) {
    const target = name.slice(0, slash);
    const environment = name.slice(slash + 1);
    const other = units.find(
      (candidate) => candidate.target === target && candidate.environment === environment,
    );
    if (other !== undefined) return other;
  }
  const known = [
    ...units
      .filter(
        (candidate) => candidate.target === unit.target && candidate.environment !== undefined,
      )
      .map((candidate) => candidate.environment as string),
    ...units.map(promotionLabel),
  ].filter((candidate) => candidate !== promotionLabel(unit) && candidate !== unit.environment);
  const match = closestMatch(name, known);
  throw new ConfigurationError(
    `${promotionLabel(unit)}: promote-from \`${name}\` names no environment or target; ` +
      `known: ${[...new Set(known)].map((candidate) => `\`${candidate}\``).join(', ') || 'none'}.` +
      (match === undefined ? '' : ` Did you mean \`${match}\`?`),
    policy.location,
  );
}
