import path from 'node:path/posix';
import picomatch from 'picomatch';
import type { ChartFiles } from '../core/files.js';
import type {
  ImageSettings,
  PublishPolicy,
  TargetSettings,
  WriteBackType,
} from '../config/settings.js';
import type { Logger } from '../core/logging.js';
import type { PromotionPolicy } from '../promotion/types.js';

/**
 * One publication unit: a target, or one environment of a values target. Each unit has its own
 * file, its own branch and its own pull request.
 */
export interface Unit {
  readonly target: string;
  readonly environment: string | undefined;
  readonly type: WriteBackType;
  readonly images: readonly ImageSettings[];
  readonly publish: PublishPolicy;
  /** The file this unit writes. */
  readonly file: string;
  /** Read for current tags when the written file lacks them (the chart's values.yaml for an override file). */
  readonly fallbackFile: string | undefined;
  /** Set when the unit takes its values from another unit's history instead of the registry. */
  readonly promotion?: PromotionPolicy | undefined;
}

/** Expands targets into units, listing values files once per glob. */
export async function expandUnits(
  targets: readonly TargetSettings[],
  files: ChartFiles,
  logger: Logger,
): Promise<Unit[]> {
  const units: Unit[] = [];
  for (const target of targets) {
    // The whole target as one unit, before any per-environment split.
    const whole = {
      target: target.name,
      environment: undefined,
      type: target.type,
      images: target.images,
      publish: target.publish,
      promotion: target.promotion,
    };
    if (target.type === 'argocd-override') {
      const chart = target.chartPath === '.' ? '' : target.chartPath;
      units.push({
        ...whole,
        file: path.join(chart, `.argocd-source-${target.app}.yaml`),
        fallbackFile: path.join(chart, 'values.yaml'),
      });
      continue;
    }
    if (!picomatch.scan(target.files).isGlob) {
      units.push({ ...whole, file: target.files, fallbackFile: undefined });
      continue;
    }
    const matches = await files.glob(target.files);
    if (matches.length === 0) {
      logger.warning(
        `Target "${target.name}": no file matches ${target.files}; nothing to update.`,
      );
    }
    const seen = new Set<string>();
    for (const file of matches) {
      const environment = environmentName(target.files, file);
      if (seen.has(environment)) {
        logger.warning(
          `Target "${target.name}": ${file} gives environment "${environment}" a second time; it is skipped.`,
        );
        continue;
      }
      seen.add(environment);
      const overrides = target.environments.get(environment);
      units.push({
        target: target.name,
        environment,
        type: target.type,
        images: overrides?.images ?? target.images,
        publish: overrides?.publish ?? target.publish,
        promotion: overrides === undefined ? target.promotion : overrides.promotion,
        file,
        fallbackFile: undefined,
      });
    }
    for (const name of target.environments.keys()) {
      if (!seen.has(name)) {
        logger.warning(
          `Target "${target.name}": environment "${name}" is configured but no file matching ${target.files} belongs to it.`,
        );
      }
    }
  }
  return units;
}

/**
 * The environment a matched file belongs to: the path segment matched by the first wildcard
 * segment of the glob (`env/*\/values.yaml` + `env/dev/values.yaml` → `dev`); when that segment
 * is the file name, the name without its extension (`envs/*.yaml` + `envs/prod.yaml` → `prod`).
 */
export function environmentName(glob: string, file: string): string {
  const globSegments = glob.split('/');
  const fileSegments = file.split('/');
  const index = globSegments.findIndex((segment) => picomatch.scan(segment).isGlob);
  if (index < 0 || index >= fileSegments.length) return path.basename(path.dirname(file));
  const segment = fileSegments[index] ?? '';
  return index === fileSegments.length - 1 ? segment.replace(/\.[^.]*$/, '') : segment;
}
