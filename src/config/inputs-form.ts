import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import type { ImageDraft, SettingsDraft, TargetDraft } from './draft.js';
import { IMAGE_LIST_FORM, parseImageList } from './image-list.js';
import { defaultInputs, type InputName, type RawInputs } from './inputs.js';
import type { HelmFields, Located, PolicyFields, PublishFields } from './policy.js';
import { joinRepositoryPath, normaliseRepositoryPath } from './repository-path.js';
import { splitList } from './text-list.js';

export function inputLocation(name: InputName): ConfigLocation {
  return { source: `input ${name}` };
}

function located<T>(name: InputName, value: T): Located<T> {
  return { value, location: inputLocation(name) };
}

/** `true`/`false` as `core.getBooleanInput` reads them (YAML 1.2 core schema spellings). */
export function parseBooleanText(text: string, location: ConfigLocation, what: string): boolean {
  const value = text.trim();
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new ConfigurationError(
    `${what} \`${value}\` is not a boolean; expected \`true\` or \`false\`.`,
    location,
  );
}

/** Policy, publishing and Helm key defaults from the inputs; every image starts from these. */
export function defaultsFromInputs(raw: RawInputs): SettingsDraft['defaults'] {
  const policy: PolicyFields = {
    strategy: located('update-strategy', raw['update-strategy']),
    allowTags: {
      ...located('allow-tags', raw['allow-tags']),
      implicit: raw['allow-tags'] === defaultInputs()['allow-tags'],
    },
    ignoreTags: located('ignore-tags', splitList(raw['ignore-tags'])),
    platforms: located('platforms', splitList(raw.platforms)),
    allowDowngrade: located(
      'allow-downgrade',
      parseBooleanText(raw['allow-downgrade'], inputLocation('allow-downgrade'), 'allow-downgrade'),
    ),
    minAge: located('min-age', raw['min-age']),
    verify: located('verify', splitList(raw.verify)),
    verifyKey: located('verify-key', raw['verify-key']),
    verifyIdentity: located('verify-identity', raw['verify-identity']),
    verifyIdentityRegexp: located('verify-identity-regexp', raw['verify-identity-regexp']),
    verifyIssuer: located('verify-issuer', raw['verify-issuer']),
    trustedRoot: located('trusted-root', raw['trusted-root']),
  };
  const publish: PublishFields = {
    mode: located('mode', raw.mode),
    mergeMethod: located('merge-method', raw['merge-method']),
    labels: located('labels', splitList(raw.labels)),
    reviewers: located('reviewers', splitList(raw.reviewers)),
    branch: located('branch', raw.branch),
  };
  const helm: HelmFields = {
    imageName: located('helm-image-name', raw['helm-image-name']),
    imageTag: located('helm-image-tag', raw['helm-image-tag']),
    imageSpec: located('helm-image-spec', raw['helm-image-spec']),
  };
  return { policy, publish, helm };
}

/**
 * The name of a values target from its file pattern: the directory that holds the environments
 * (`helm-env/env/*\/values.yaml` → `env`), or `values` for a single file.
 */
export function valuesTargetName(files: string): string {
  const segments = files.split('/');
  const wildcard = segments.findIndex((segment) => /[*?[{]/.test(segment));
  if (wildcard <= 0) return 'values';
  return segments[wildcard - 1] ?? 'values';
}

/** Inputs only: the images of `images` and one target described by the write-back inputs. */
export function draftFromInputs(raw: RawInputs): SettingsDraft {
  const defaults = defaultsFromInputs(raw);
  const imagesLocation = inputLocation('images');
  const entries = parseImageList(raw.images, imagesLocation);
  if (entries.length === 0) {
    throw new ConfigurationError(
      `no images configured; set \`images\` to ${IMAGE_LIST_FORM}, or add the config file \`${raw['config-file']}\`.`,
      imagesLocation,
    );
  }
  const images: ImageDraft[] = entries.map((entry) => ({
    alias: entry.alias,
    repository: entry.repository,
    location: imagesLocation,
    policy:
      entry.constraint === undefined
        ? {}
        : { constraint: { value: entry.constraint, location: imagesLocation } },
    helm: {},
  }));
  const chartPath = normaliseRepositoryPath(
    raw['chart-path'],
    'chart-path',
    inputLocation('chart-path'),
  );
  const writeBack = raw['write-back-target'].trim();
  const targetLocation = inputLocation('write-back-target');
  let target: TargetDraft;
  if (writeBack === 'argocd-override') {
    const app = raw['app-name'].trim();
    if (app === '') {
      throw new ConfigurationError(
        'app-name is required for `write-back-target: argocd-override`; set it to the Argo CD ' +
          'application name, the `<app>` of `.argocd-source-<app>.yaml`.',
        inputLocation('app-name'),
      );
    }
    checkApplicationName(app, inputLocation('app-name'));
    target = {
      type: 'argocd-override',
      name: app,
      location: targetLocation,
      images,
      policy: {},
      publish: {},
      chartPath,
      app,
    };
  } else if (writeBack === 'values' || writeBack.startsWith('helmvalues')) {
    // `helmvalues:<path>` is argocd-image-updater's spelling; accepted so annotations copy over.
    const written =
      writeBack === 'values'
        ? raw['values-files'].trim()
        : writeBack.slice('helmvalues'.length).replace(/^:/, '');
    const location = writeBack === 'values' ? inputLocation('values-files') : targetLocation;
    if (written === '') {
      throw new ConfigurationError(
        'values-files is required for `write-back-target: values`; set it to a values file or a glob ' +
          'with one directory per environment, e.g. `env/*/values.yaml`.',
        location,
      );
    }
    const files = joinRepositoryPath(
      chartPath,
      normaliseRepositoryPath(written, 'values-files', location),
    );
    target = {
      type: 'values',
      name: valuesTargetName(files),
      location,
      images,
      policy: {},
      publish: {},
      files,
      environments: [],
    };
  } else if (writeBack.startsWith('kustomization')) {
    throw kustomizationUnsupported(targetLocation);
  } else {
    throw new ConfigurationError(
      `write-back-target \`${writeBack}\` is not supported; expected \`argocd-override\` or \`values\`.`,
      targetLocation,
    );
  }
  return { defaults, images, targets: [target] };
}

export function kustomizationUnsupported(location: ConfigLocation): ConfigurationError {
  return new ConfigurationError(
    'write-back-target `kustomization` is not supported: this action writes Helm parameters. Use ' +
      '`argocd-override` (the `.argocd-source-<app>.yaml` file) or `helmvalues:<values file>`, or keep ' +
      'argocd-image-updater for Kustomize applications.',
    location,
  );
}

/** An app name becomes part of a file name and a branch name. */
export function checkApplicationName(app: string, location: ConfigLocation): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(app) || app.length > 253) {
    throw new ConfigurationError(
      `application name \`${app}\` is not valid; expected an Argo CD application name such as \`example\` ` +
        '(letters, digits, `-`, `.`, `_`).',
      location,
    );
  }
  return app;
}
