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
import { duplicateEnvironmentWarning, environmentsOf } from '../config/environments.js';

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
      const file = path.join(chart, `.argocd-source-${target.app}.yaml`);
      await warnAboutOtherOverrideFile(target.name, target.app, chart, file, files, logger);
      units.push({ ...whole, file, fallbackFile: path.join(chart, 'values.yaml') });
      continue;
    }
    if (!picomatch.scan(target.files).isGlob) {
      units.push({ ...whole, file: target.files, fallbackFile: undefined });
      continue;
    }
    // The files this run means to update: a link among them is reported, never followed.
    const matches = await files.glob(target.files, { reportLinks: true });
    if (matches.length === 0) {
      logger.warning(
        `Target "${target.name}": no file matches ${target.files}; nothing to update.`,
      );
    }
    const { files: environments, duplicates } = environmentsOf(target.files, matches);
    for (const duplicate of duplicates) {
      logger.warning(duplicateEnvironmentWarning(target.name, duplicate));
    }
    for (const [environment, file] of environments) {
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
    // Environment keys that name no file were reported once, when the settings were loaded.
  }
  return units;
}

/**
 * An override file for another application name, when this one has none, is most likely a
 * misspelt `app-name`: the update would go to a new file that Argo CD never reads for the
 * application. Creating the file stays allowed (a new application), so this is a warning.
 */
async function warnAboutOtherOverrideFile(
  target: string,
  app: string,
  chart: string,
  file: string,
  files: ChartFiles,
  logger: Logger,
): Promise<void> {
  const existing = await files.glob(path.join(chart, '.argocd-source-*.yaml'));
  if (existing.includes(file) || existing.length !== 1) return;
  const [other] = existing;
  const otherApp = path.basename(other ?? '').replace(/^\.argocd-source-|\.yaml$/g, '');
  logger.warning(
    `target ${target}: ${file} does not exist, but ${other ?? ''} does: is the application named \`${otherApp}\` rather than \`${app}\`? ` +
      `The update creates ${file}, which Argo CD reads only for an application named \`${app}\`.`,
  );
}
