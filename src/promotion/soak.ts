import type { SourceCommit } from './history.js';

/** The source's values for the promoted images right after one commit. */
export interface SourceState {
  readonly commit: SourceCommit;
  /** Value (tag, or `tag@sha256:…`) by image alias; undefined when the file lacks the key. */
  readonly values: ReadonlyMap<string, string | undefined>;
}

export interface SoakInput {
  /** Every commit that changed the source file, oldest first, with the state after it. */
  readonly states: readonly SourceState[];
  /** False when older commits exist than the ones given (see `FileHistory.complete`). */
  readonly complete: boolean;
  readonly aliases: readonly string[];
  readonly soakSeconds: number;
  readonly now: Date;
}

/** How long one value held in the source, continuously, as of one state. */
export interface HeldValue {
  readonly alias: string;
  readonly value: string | undefined;
  /** The commit that set the value (the oldest one read, when the history was cut short). */
  readonly since: SourceCommit;
  /** False when the value was already there before the oldest commit read: it held longer. */
  readonly sinceExact: boolean;
  /** When the value was replaced; undefined while the source still holds it. */
  readonly until: Date | undefined;
  /** Seconds it held (until replaced, or until now); never negative. */
  readonly heldSeconds: number;
}

/** One state of the source as a promotion candidate: every image's value, moved together. */
export interface SoakCandidate {
  /** The commit after which the source held exactly these values. */
  readonly commit: SourceCommit;
  readonly values: readonly HeldValue[];
  /** Every value is present and held at least the soak time. */
  readonly eligible: boolean;
  /**
   * When it becomes eligible if nothing changes: the latest value's start plus soak. Undefined
   * when it is eligible already, or never can be (a value was replaced or is missing).
   */
  readonly eligibleAt: Date | undefined;
}

export interface SoakEvaluation {
  /** The newest eligible state; undefined when no state of the source soaked long enough. */
  readonly chosen: SoakCandidate | undefined;
  /** The source's newest state (what it holds now), whether eligible or not. */
  readonly latest: SoakCandidate | undefined;
}

/**
 * Finds the newest state of the source whose values each held at least `soak`, continuously,
 * whether or not the source still holds them. A state is the set of values right after one
 * commit, so images changed together in one commit are promoted together, and images changed
 * in separate commits can each move once their own value has soaked.
 *
 * Dates are evidence, not truth: a commit dated in the future, or dated before its parent,
 * gives a hold of zero rather than a negative or inflated one.
 */
export function evaluateSoak(input: SoakInput): SoakEvaluation {
  const { states, aliases, now } = input;
  const soakMs = input.soakSeconds * 1000;
  // When a commit is dated before an earlier commit of the branch (a rewritten or skewed clock),
  // its date says nothing about when it landed, only that it was after the earlier commit: its
  // values count from now, and the values it replaced end as early as they could have.
  let latestDate = -Infinity;
  const landed: number[] = [];
  const replacedAt: number[] = [];
  for (const state of states) {
    const date = state.commit.date.getTime();
    if (date < latestDate) {
      landed.push(now.getTime());
      replacedAt.push(latestDate);
    } else {
      latestDate = date;
      landed.push(date);
      replacedAt.push(date);
    }
  }
  const candidates: SoakCandidate[] = states.map((state, index) => {
    const starts: number[] = [];
    const values = aliases.map((alias): HeldValue => {
      const value = state.values.get(alias);
      let first = index;
      while (first > 0 && states[first - 1]?.values.get(alias) === value) first--;
      let next = index + 1;
      while (next < states.length && states[next]?.values.get(alias) === value) next++;
      const since = (states[first] as SourceState).commit;
      const startMs = landed[first] as number;
      const until = next < states.length ? (states[next] as SourceState).commit.date : undefined;
      // The end is never after now, and a start in the future counts as no hold at all.
      const endMs = Math.min(
        next < states.length ? (replacedAt[next] as number) : now.getTime(),
        now.getTime(),
      );
      const heldMs = Math.max(0, endMs - startMs);
      starts.push(startMs);
      return {
        alias,
        value,
        since,
        sinceExact: first > 0 || input.complete,
        until,
        heldSeconds: Math.floor(heldMs / 1000),
      };
    });
    const missing = values.some((held) => held.value === undefined);
    const eligible = !missing && values.every((held) => held.heldSeconds * 1000 >= soakMs);
    const replacedEarly = values.some(
      (held) => held.until !== undefined && held.heldSeconds * 1000 < soakMs,
    );
    const eligibleAt =
      eligible || missing || replacedEarly ? undefined : new Date(Math.max(...starts) + soakMs);
    return { commit: state.commit, values, eligible, eligibleAt };
  });
  let chosen: SoakCandidate | undefined;
  for (let index = candidates.length - 1; index >= 0; index--) {
    const candidate = candidates[index] as SoakCandidate;
    if (candidate.eligible) {
      chosen = candidate;
      break;
    }
  }
  return { chosen, latest: candidates[candidates.length - 1] };
}

/** `2026-12-01 10:00 UTC`. */
export function formatInstant(instant: Date): string {
  return `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `28 h`, `1 h 30 min`, `45 min`, `2 d 4 h` : how long a value ran, as people say it. */
export function formatHeld(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 72) return `${Math.floor(hours / 24)} d ${hours % 24} h`;
  return rest === 0 || hours >= 10 ? `${hours} h` : `${hours} h ${rest} min`;
}
