import { ConfigurationError, formatLocation } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { ImageDraft, SettingsDraft, TargetDraft } from './draft.js';
import {
  buildHelmKeys,
  buildPromotionPolicy,
  buildPublishPolicy,
  buildTagPolicy,
  buildVerificationPolicy,
  mergeFields,
  type PolicyFields,
  type PublishFields,
} from './policy.js';
import type {
  EnvironmentSettings,
  ImageSettings,
  RegistrySettings,
  Settings,
  TargetSettings,
} from './settings.js';

/**
 * Turns a draft into settings: policies merged defaults → image → target → environment (the
 * most specific scope wins), every value checked, the result deeply frozen.
 */
export function resolveSettings(
  draft: SettingsDraft,
  registry: RegistrySettings,
  dispatchTypes: readonly string[],
  logger: Logger,
): Settings {
  const warned = new Set<string>();
  const warn = (message: string, key: string): void => {
    // The same image-level warning would repeat once per target and environment.
    if (!warned.has(key)) logger.warning(message);
    warned.add(key);
  };
  const resolveImage = (
    image: ImageDraft,
    scopes: readonly PolicyFields[],
    subject: string,
  ): ImageSettings => {
    const fields = mergeFields(draft.defaults.policy, image.policy, ...scopes);
    return {
      alias: image.alias,
      repository: image.repository,
      policy: buildTagPolicy(fields, subject, warn),
      helm: buildHelmKeys(mergeFields(draft.defaults.helm, image.helm), image.alias),
      verification: buildVerificationPolicy(fields, subject),
    };
  };

  const images = new Map<string, ImageSettings>();
  const imageOrigins = new Map<string, ImageDraft>();
  for (const image of [...draft.images, ...draft.targets.flatMap((target) => target.images)]) {
    const earlier = imageOrigins.get(image.alias);
    if (earlier !== undefined) {
      if (earlier.repository !== image.repository) {
        throw new ConfigurationError(
          `image alias \`${image.alias}\` names \`${image.repository}\` here and \`${earlier.repository}\` at ` +
            `${formatLocation(earlier.location)}; an alias must mean one repository across all targets, so rename one of them.`,
          image.location,
        );
      }
      continue;
    }
    imageOrigins.set(image.alias, image);
    images.set(image.alias, resolveImage(image, [], `image ${image.alias}`));
  }

  const names = new Map<string, TargetDraft>();
  const targets: TargetSettings[] = [];
  for (const target of draft.targets) {
    const earlier = names.get(target.name);
    if (earlier !== undefined) {
      throw new ConfigurationError(
        `target name \`${target.name}\` is used twice (also at ${formatLocation(earlier.location)}); ` +
          'target names become branch names, so give each target its own name.',
        target.location,
      );
    }
    names.set(target.name, target);
    targets.push(resolveTarget(target, draft.defaults.publish, resolveImage));
  }
  return deepFreeze({ images, targets, registry, dispatchTypes: [...dispatchTypes] });
}

function resolveTarget(
  target: TargetDraft,
  defaultPublish: PublishFields,
  resolveImage: (
    image: ImageDraft,
    scopes: readonly PolicyFields[],
    subject: string,
  ) => ImageSettings,
): TargetSettings {
  const subject = (alias: string, environment?: string): string =>
    `image ${alias} in target ${target.name}${environment === undefined ? '' : ` environment ${environment}`}`;
  const images = target.images.map((image) =>
    resolveImage(image, [target.policy], subject(image.alias)),
  );
  checkDistinctHelmKeys(target, images);
  const publish = buildPublishPolicy(mergeFields(defaultPublish, target.publish));
  const promotion = buildPromotionPolicy(target.promotion ?? {}, `target ${target.name}`);
  if (target.type === 'argocd-override') {
    return {
      type: target.type,
      name: target.name,
      images,
      publish,
      promotion,
      chartPath: target.chartPath,
      app: target.app,
    };
  }
  const environments = new Map<string, EnvironmentSettings>();
  for (const environment of target.environments) {
    environments.set(environment.name, {
      images: target.images.map((image) =>
        resolveImage(
          image,
          [target.policy, environment.policy],
          subject(image.alias, environment.name),
        ),
      ),
      publish: buildPublishPolicy(mergeFields(defaultPublish, target.publish, environment.publish)),
      promotion: buildPromotionPolicy(
        mergeFields(target.promotion ?? {}, environment.promotion ?? {}),
        `target ${target.name} environment ${environment.name}`,
      ),
    });
  }
  return {
    type: target.type,
    name: target.name,
    images,
    publish,
    promotion,
    files: target.files,
    environments,
  };
}

/** Two images of one target writing one key would overwrite each other's value in every run. */
function checkDistinctHelmKeys(target: TargetDraft, images: readonly ImageSettings[]): void {
  const owners = new Map<string, string>();
  for (const image of images) {
    const { imageName, imageTag, imageSpec } = image.helm;
    for (const key of [imageName, imageTag, imageSpec]) {
      if (key === undefined) continue;
      const earlier = owners.get(key);
      if (earlier !== undefined && earlier !== image.alias) {
        throw new ConfigurationError(
          `target ${target.name}: images \`${earlier}\` and \`${image.alias}\` both write the helm key \`${key}\`, ` +
            'so each run would overwrite the other; give each image its own helm keys ' +
            '(`image-name`/`image-tag`, or an alias with `<alias>.helm.image-name` and `<alias>.helm.image-tag` annotations).',
          target.location,
        );
      }
      owners.set(key, image.alias);
    }
  }
}

/** A Map that throws on writes: `Object.freeze` does not stop `Map.prototype.set`. */
function freezeMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = (): never => {
    throw new TypeError('settings are read-only');
  };
  Object.defineProperties(map, {
    set: { value: refuse },
    delete: { value: refuse },
    clear: { value: refuse },
  });
  return Object.freeze(map);
}

/** Freezes plain objects, arrays and maps all the way down; RegExp values are left as they are. */
export function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const entry of value.values()) deepFreeze(entry);
    freezeMap(value);
  } else if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
    Object.freeze(value);
  } else if (typeof value === 'object' && value !== null && !(value instanceof RegExp)) {
    for (const entry of Object.values(value)) deepFreeze(entry);
    Object.freeze(value);
  }
  return value;
}
