import type { JobReport } from './job.js';
import type { RegistryUsage } from '../registry/types.js';
import type { PromotionRecord } from '../core/decision.js';
import type { RateLimit } from '../registry/vendors.js';

/** One decision as printed by `--json` and logged: flat and stable. */
export interface DecisionRecord {
  readonly target: string;
  readonly environment: string | undefined;
  readonly alias: string;
  readonly image: string;
  readonly current: string | undefined;
  readonly chosen: string | undefined;
  readonly changed: boolean;
  readonly digest: string | undefined;
  readonly created: string | undefined;
  readonly reason: string;
  readonly tiedWith: readonly string[];
  /** For a promoted environment: the source, the commit, and when newer values are eligible. */
  readonly promotion?: PromotionRecord;
}

export function decisionRecords(report: JobReport): DecisionRecord[] {
  return report.decisions.map(({ target, environment, decision }) => ({
    target,
    environment,
    alias: decision.alias,
    image: decision.image,
    current: decision.current,
    chosen: decision.chosen,
    changed: decision.changed,
    digest: decision.metadata?.digest,
    created: decision.metadata?.created,
    reason: decision.reason,
    tiedWith: decision.tiedWith,
    ...(decision.promotion !== undefined && { promotion: decision.promotion }),
  }));
}

/** The `pull-requests` output: what publishing did per unit. */
export function pullRequestRecords(report: JobReport): object[] {
  return report.results
    .filter((result) => result.action !== 'none')
    .map((result) => ({
      target: result.target,
      environment: result.environment,
      action: result.action,
      number: result.number,
      url: result.url,
      branch: result.branch,
      commit: result.commit,
    }));
}

/** Requests and bytes per image, as a plain object for JSON. */
export function usageRecord(
  usage: ReadonlyMap<string, RegistryUsage>,
): Record<string, RegistryUsage> {
  return Object.fromEntries(usage);
}

/** A markdown table of registry requests and bytes per image, for the job summary. */
export function usageMarkdown(usage: ReadonlyMap<string, RegistryUsage>): string {
  if (usage.size === 0) return '';
  const rows = [...usage.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const total = rows.reduce(
    (sum, [, entry]) => ({
      requests: sum.requests + entry.requests,
      bytes: sum.bytes + entry.bytes,
    }),
    { requests: 0, bytes: 0 },
  );
  const lines = [
    '### Registry requests',
    '',
    '| Image | Requests | Bytes |',
    '|---|---:|---:|',
    ...rows.map(([image, entry]) => `| \`${image}\` | ${entry.requests} | ${entry.bytes} |`),
    `| **total** | **${total.requests}** | **${total.bytes}** |`,
    '',
  ];
  return lines.join('\n');
}

/** One line per registry that reported a pull rate limit (Docker Hub's `ratelimit-remaining`). */
export function rateLimitLines(
  registries: Iterable<string>,
  readingOf: (registry: string) => RateLimit | undefined,
): string[] {
  const lines: string[] = [];
  for (const registry of new Set(registries)) {
    const reading = readingOf(registry);
    if (!reading) continue;
    const limit = reading.limit === undefined ? '' : ` of ${reading.limit}`;
    const window =
      reading.windowSeconds === undefined
        ? ''
        : ` per ${Math.round(reading.windowSeconds / 3600)} h`;
    lines.push(`${registry}: ${reading.remaining}${limit} pulls remaining${window}`);
  }
  return lines;
}
