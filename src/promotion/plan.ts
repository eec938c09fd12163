import type { HistoryProvider, SourceCommit } from './history.js';
import {
  evaluateSoak,
  formatHeld,
  formatInstant,
  type HeldValue,
  type SoakCandidate,
  type SoakEvaluation,
  type SourceState,
} from './soak.js';
import type { PromotionPolicy } from './types.js';
import { isInWindow, nextWindowOpening } from './window.js';

export interface PromotionInput {
  readonly policy: PromotionPolicy;
  /** The source as people name it: `staging`, or `other-target/staging`. */
  readonly sourceLabel: string;
  /** The source unit's file on the base branch. */
  readonly sourceFile: string;
  /** The promoted images, by alias, in configuration order. */
  readonly aliases: readonly string[];
  /** The value of each alias in one version of the source file (tag, or `tag@sha256:…`). */
  readonly readValues: (text: string) => ReadonlyMap<string, string | undefined>;
  readonly history: HistoryProvider;
  readonly now: Date;
}

export interface PromotionPlan {
  readonly sourceLabel: string;
  readonly evaluation: SoakEvaluation;
  /** The values to promote, by alias: the newest state that soaked. Undefined when none did. */
  readonly values: ReadonlyMap<string, string> | undefined;
  /** Outside `promote-window`: nothing moves now; the window opens then. */
  readonly heldUntil: Date | undefined;
  /** When the source's current values will have soaked, if they differ from the chosen ones. */
  readonly eligibleAt: Date | undefined;
  /** One explanation per alias, in the form the log, summary and pull request show. */
  readonly reasons: ReadonlyMap<string, string>;
  /** How many commits of the source's history were read, and whether that reached its start. */
  readonly commitsRead: number;
  readonly historyComplete: boolean;
}

/**
 * Reads the source's history on the base branch and decides what the promoted unit should hold:
 * the newest set of values that ran in the source for at least the soak time. Registry gates
 * (platforms, no downgrade) are the job's business; this decides from history alone.
 */
export async function planPromotion(input: PromotionInput): Promise<PromotionPlan> {
  const { policy, now } = input;
  const history = await input.history.history({
    path: input.sourceFile,
    until: new Date(now.getTime() - policy.soakSeconds * 1000),
  });
  const states: SourceState[] = [];
  for (const commit of [...history.commits].reverse()) {
    const text = await input.history.readAt(commit.sha, input.sourceFile);
    const values =
      text === undefined ? new Map<string, string | undefined>() : input.readValues(text);
    states.push({ commit, values });
  }
  const evaluation = evaluateSoak({
    states,
    complete: history.complete,
    aliases: input.aliases,
    soakSeconds: policy.soakSeconds,
    now,
  });
  const chosen = evaluation.chosen;
  const values =
    chosen === undefined
      ? undefined
      : new Map(chosen.values.map((held) => [held.alias, held.value as string]));
  const latest = evaluation.latest;
  const pendingLatest = latest !== undefined && latest !== chosen && !sameValues(latest, chosen);
  const eligibleAt = pendingLatest ? latest.eligibleAt : undefined;
  const heldUntil =
    policy.window === undefined || isInWindow(policy.window, now)
      ? undefined
      : nextWindowOpening(policy.window, now);

  const reasons = new Map<string, string>();
  for (const [index, alias] of input.aliases.entries()) {
    const parts: string[] = [];
    const held = chosen?.values[index];
    if (held === undefined) {
      parts.push(
        latest === undefined
          ? `${input.sourceLabel} has no history for ${input.sourceFile} on the base branch; nothing to promote`
          : `nothing in ${input.sourceLabel} has run ${formatHeld(policy.soakSeconds)} yet`,
      );
    } else {
      parts.push(describeHeld(held, input.sourceLabel, policy.soakSeconds));
    }
    const newest = latest?.values[index];
    if (pendingLatest && newest !== undefined && newest.value !== held?.value) {
      parts.push(describeSoaking(newest, latest, policy, eligibleAt));
    }
    if (heldUntil !== undefined && policy.window !== undefined) {
      parts.push(
        `outside promote-window ${policy.window.text}: waits until ${formatInstant(heldUntil)}`,
      );
    }
    reasons.set(alias, parts.join('; '));
  }
  return {
    sourceLabel: input.sourceLabel,
    evaluation,
    values,
    heldUntil,
    eligibleAt,
    reasons,
    commitsRead: history.commits.length,
    historyComplete: history.complete,
  };
}

function sameValues(a: SoakCandidate, b: SoakCandidate | undefined): boolean {
  return b !== undefined && a.values.every((held, index) => held.value === b.values[index]?.value);
}

/** `main-b99bc73 from staging, where it has run since … (commit abc1234, #41), 28 h ≥ 24 h`. */
function describeHeld(held: HeldValue, source: string, soakSeconds: number): string {
  const since = `${held.sinceExact ? '' : 'at least '}since ${formatInstant(held.since.date)} (${describeCommit(held.since)})`;
  const duration = `${held.sinceExact ? '' : '≥ '}${formatHeld(held.heldSeconds)} ≥ ${formatHeld(soakSeconds)}`;
  return held.until === undefined
    ? `${held.value} from ${source}, where it has run ${since}, ${duration}`
    : `${held.value} from ${source}, where it ran ${since} until ${formatInstant(held.until)}, ${duration}`;
}

function describeSoaking(
  newest: HeldValue,
  latest: SoakCandidate,
  policy: PromotionPolicy,
  eligibleAt: Date | undefined,
): string {
  const ran = `${newest.value ?? '(no value)'} has run there ${formatHeld(newest.heldSeconds)}`;
  if (newest.value === undefined) return `${ran}; the source file lacks this image's key`;
  if (eligibleAt !== undefined) {
    const window =
      policy.window === undefined ? undefined : nextWindowOpening(policy.window, eligibleAt);
    const opens =
      window !== undefined && window.getTime() !== eligibleAt.getTime()
        ? ` (promotes when promote-window opens, ${formatInstant(window)})`
        : '';
    return `${ran}, eligible at ${formatInstant(eligibleAt)}${opens}`;
  }
  const blocker = latest.values.find((held) => held.value === undefined);
  return blocker === undefined
    ? ran
    : `${ran}, but ${blocker.alias} has no value there, so that set cannot move`;
}

export function describeCommit(commit: SourceCommit): string {
  const short = `commit ${commit.sha.slice(0, 7)}`;
  return commit.pullRequest === undefined ? short : `${short}, #${commit.pullRequest}`;
}
