import {
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import { ConfigurationError, errorMessage, type ConfigLocation } from '../core/errors.js';
import type { ChartFiles } from '../core/files.js';
import type { Logger } from '../core/logging.js';
import { didYouMean } from './did-you-mean.js';
import type { ImageDraft, SettingsDraft, TargetDraft } from './draft.js';
import { parseImageList } from './image-list.js';
import { checkApplicationName, kustomizationUnsupported } from './inputs-form.js';
import type { HelmFields, Located, PolicyFields, PublishFields } from './policy.js';
import { joinRepositoryPath, normaliseRepositoryPath } from './repository-path.js';
import { splitList } from './text-list.js';

export const ANNOTATION_PREFIX = 'argocd-image-updater.argoproj.io/';
/** At most this many YAML files are read while looking for manifests. */
export const MAX_MANIFEST_FILES = 2_000;

/** argocd-image-updater's Helm parameters for an image-list entry without `alias=`. */
export const UPSTREAM_IMAGE_NAME_KEY = 'image.name';
export const UPSTREAM_IMAGE_TAG_KEY = 'image.tag';

/** Options argocd-image-updater reads per image (`<alias>.<option>`). */
const IMAGE_OPTIONS = [
  'update-strategy',
  'allow-tags',
  'ignore-tags',
  'platforms',
  'platform',
  'pull-secret',
  'force-update',
  'helm.image-name',
  'helm.image-tag',
  'helm.image-spec',
  'kustomize.image-name',
] as const;
/** Application-wide options. */
const GLOBAL_OPTIONS = [
  'image-list',
  'update-strategy',
  'allow-tags',
  'ignore-tags',
  'platforms',
  'pull-secret',
  'force-update',
  'write-back-method',
  'write-back-target',
  'git-branch',
  'git-repository',
] as const;

type Annotations = ReadonlyMap<string, Located<string>>;

/** One Application, or the Application template of an ApplicationSet, with its annotations. */
interface Manifest {
  readonly kind: 'Application' | 'ApplicationSet';
  readonly file: string;
  readonly location: ConfigLocation;
  readonly name: string;
  readonly document: Document;
  readonly annotations: Annotations;
  /** File and line of a node of this manifest's document. */
  readonly locate: (node: unknown) => ConfigLocation;
}

/**
 * Reads argocd-image-updater's annotations from the `Application` and `ApplicationSet`
 * manifests of the chart repository, so an existing setup works without new configuration.
 * Defaults are argocd-image-updater's (`semver`, every tag allowed) where it has one.
 */
export async function draftFromArgoCd(
  files: ChartFiles,
  defaults: SettingsDraft['defaults'],
  logger: Logger,
): Promise<SettingsDraft> {
  const manifests = await findManifests(files, logger);
  if (manifests.length === 0) {
    throw new ConfigurationError(
      `no Application or ApplicationSet with the annotation \`${ANNOTATION_PREFIX}image-list\` was found ` +
        "in the repository's YAML files (chart `templates/` directories are skipped); add the annotations, " +
        'or use `config-source: inputs` or a config file.',
      { source: 'input config-source' },
    );
  }
  const argoDefaults: SettingsDraft['defaults'] = {
    ...defaults,
    policy: {
      ...defaults.policy,
      strategy: {
        value: 'semver',
        location: { source: 'argocd-image-updater default update-strategy' },
      },
      allowTags: { value: 'any', location: { source: 'argocd-image-updater default allow-tags' } },
    },
  };
  const targets: TargetDraft[] = [];
  for (const manifest of manifests) {
    targets.push(...(await targetsFromManifest(manifest, files, logger)));
  }
  return { defaults: argoDefaults, images: [], targets };
}

async function findManifests(files: ChartFiles, logger: Logger): Promise<Manifest[]> {
  let found: string[];
  try {
    found = await files.glob('**/*.{yaml,yml}');
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(
      `cannot search the repository for Argo CD manifests: ${error.message} With a repository this ` +
        'large, describe the images and targets in a config file instead of `config-source: argocd`.',
      { source: 'input config-source' },
    );
  }
  const paths = found.filter(
    // A chart's templates are Go templates, not YAML, and never hold the Application itself.
    (path) => !path.split('/').slice(0, -1).includes('templates'),
  );
  if (paths.length > MAX_MANIFEST_FILES) {
    logger.warning(
      `the repository has ${paths.length} YAML files; only the first ${MAX_MANIFEST_FILES} are searched for Argo CD manifests.`,
    );
  }
  const manifests: Manifest[] = [];
  for (const path of paths.slice(0, MAX_MANIFEST_FILES)) {
    let text: string | undefined;
    try {
      text = await files.read(path);
    } catch (error) {
      logger.debug(`skipping ${path}: ${errorMessage(error)}`);
      continue;
    }
    // Cheap filter first: most YAML files are values files.
    if (text === undefined || !text.includes(ANNOTATION_PREFIX)) continue;
    manifests.push(...manifestsInFile(path, text, logger));
  }
  return manifests;
}

function manifestsInFile(file: string, text: string, logger: Logger): Manifest[] {
  const lineCounter = new LineCounter();
  const manifests: Manifest[] = [];
  for (const document of parseAllDocuments(text, { lineCounter })) {
    if (document.errors.length > 0) {
      logger.debug(
        `skipping a document of ${file} that does not parse: ${document.errors[0]?.message ?? ''}`,
      );
      continue;
    }
    const kind = document.get('kind');
    const apiVersion = document.get('apiVersion');
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith('argoproj.io/')) continue;
    if (kind !== 'Application' && kind !== 'ApplicationSet') continue;
    const location = (node: unknown): ConfigLocation => {
      const offset = (node as Node | undefined)?.range?.[0];
      return offset === undefined
        ? { source: file }
        : { source: file, line: lineCounter.linePos(offset).line };
    };
    const annotations = new Map<string, Located<string>>();
    // The generated Applications carry the template's annotations; the ApplicationSet's own are read too.
    const annotationPaths =
      kind === 'Application'
        ? [['metadata', 'annotations']]
        : [
            ['metadata', 'annotations'],
            ['spec', 'template', 'metadata', 'annotations'],
          ];
    for (const path of annotationPaths) {
      const node = document.getIn(path, true);
      if (!isMap(node)) continue;
      for (const pair of node.items) {
        if (!isScalar(pair.key) || typeof pair.key.value !== 'string') continue;
        if (!pair.key.value.startsWith(ANNOTATION_PREFIX)) continue;
        const textValue = scalarText(pair.value);
        annotations.set(pair.key.value.slice(ANNOTATION_PREFIX.length), {
          value: textValue,
          location: location(pair.key),
        });
      }
    }
    if (!annotations.has('image-list')) continue;
    const name = document.getIn(['metadata', 'name']);
    const manifestLocation = location(document.contents);
    if (typeof name !== 'string' || name === '') {
      throw new ConfigurationError(
        `${kind} has no \`metadata.name\`; Argo CD needs one.`,
        manifestLocation,
      );
    }
    manifests.push({
      kind,
      file,
      location: manifestLocation,
      name,
      document,
      annotations,
      locate: location,
    });
  }
  return manifests;
}

async function targetsFromManifest(
  manifest: Manifest,
  files: ChartFiles,
  logger: Logger,
): Promise<TargetDraft[]> {
  const { annotations } = manifest;
  const subject = `${manifest.kind} ${manifest.name}`;
  const imageList = annotations.get('image-list') as Located<string>;
  const entries = parseImageList(imageList.value, imageList.location);
  if (entries.length === 0) {
    throw new ConfigurationError(
      `${subject}: the annotation \`image-list\` is empty.`,
      imageList.location,
    );
  }
  warnAboutUnusedAnnotations(
    manifest,
    entries.map((entry) => entry.alias),
    logger,
  );

  const globalPolicy = policyFrom(annotations, '');
  const images: ImageDraft[] = entries.map((entry) => {
    const key = entry.alias.replace(/\//g, '_');
    const option = (name: string): Located<string> | undefined => annotations.get(`${key}.${name}`);
    const perImage = policyFrom(annotations, `${key}.`);
    const platform = option('platform');
    // argocd-image-updater writes an entry without `alias=` to its default parameters.
    const upstreamDefault = (value: string): Located<string> => ({
      value,
      location: imageList.location,
    });
    const helm: HelmFields = {
      ...(!entry.aliased && {
        imageName: upstreamDefault(UPSTREAM_IMAGE_NAME_KEY),
        imageTag: upstreamDefault(UPSTREAM_IMAGE_TAG_KEY),
      }),
      ...(option('helm.image-name') && { imageName: option('helm.image-name') }),
      ...(option('helm.image-tag') && { imageTag: option('helm.image-tag') }),
      ...(option('helm.image-spec') && { imageSpec: option('helm.image-spec') }),
    };
    return {
      alias: entry.alias,
      repository: entry.repository,
      location: imageList.location,
      policy: {
        ...globalPolicy,
        ...perImage,
        // argocd-image-updater's reference table spells it `platform`, its prose `platforms`.
        ...(platform &&
          !perImage.platforms && {
            platforms: { value: splitList(platform.value), location: platform.location },
          }),
        ...(entry.constraint !== undefined && {
          constraint: { value: entry.constraint, location: imageList.location },
        }),
      },
      helm,
    };
  });

  const method = annotations.get('write-back-method');
  checkWriteBackMethod(method, subject, logger);
  const publish = publishFrom(annotations, subject, logger);
  const source = sourceOf(manifest);
  const chartPathText = source.path;
  if (chartPathText === undefined) {
    throw new ConfigurationError(
      `${subject} has no \`spec.source.path\` (a chart from a Helm repository?); this action writes to a ` +
        'chart in this Git repository, so the Application must point at a path in it.',
      manifest.location,
    );
  }
  const target = annotations.get('write-back-target');
  const targetText = target?.value.trim() ?? '';
  if (targetText.startsWith('kustomization'))
    throw kustomizationUnsupported(target?.location ?? manifest.location);
  if (targetText !== '' && !targetText.startsWith('helmvalues')) {
    throw new ConfigurationError(
      `${subject}: write-back-target \`${targetText}\` is not supported; expected \`helmvalues:<values file>\`, ` +
        'or no write-back-target for the `.argocd-source-<app>.yaml` file.',
      target?.location,
    );
  }
  if (targetText.startsWith('helmvalues')) {
    const location = target?.location ?? manifest.location;
    const chartPath = templateToGlob(chartPathText);
    const written = targetText.slice('helmvalues'.length).replace(/^:/, '').trim();
    // Like argocd-image-updater: relative to the source path, or to the repository root with a leading `/`.
    const valuesPath = written === '' ? 'values.yaml' : templateToGlob(written);
    const files = valuesPath.startsWith('/')
      ? normaliseRepositoryPath(valuesPath.slice(1), `${subject} write-back-target`, location)
      : joinRepositoryPath(
          normaliseRepositoryPath(chartPath, `${subject} spec.source.path`, source.location),
          normaliseRepositoryPath(valuesPath, `${subject} write-back-target`, location),
        );
    return [
      {
        type: 'values',
        name: checkApplicationName(manifest.name, manifest.location),
        location: manifest.location,
        images,
        policy: {},
        publish,
        files,
        environments: [],
      },
    ];
  }
  const appName = manifest.kind === 'Application' ? manifest.name : templateName(manifest);
  if (!appName.includes('{{') && !chartPathText.includes('{{')) {
    return [
      {
        type: 'argocd-override',
        name: checkApplicationName(appName, manifest.location),
        location: manifest.location,
        images,
        policy: {},
        publish,
        chartPath: normaliseRepositoryPath(
          chartPathText,
          `${subject} spec.source.path`,
          source.location,
        ),
        app: checkApplicationName(appName, manifest.location),
      },
    ];
  }
  return expandApplicationSet(manifest, appName, chartPathText, images, publish, files);
}

function policyFrom(annotations: Annotations, prefix: string): PolicyFields {
  const get = (name: string): Located<string> | undefined => annotations.get(`${prefix}${name}`);
  const list = (name: string): Located<readonly string[]> | undefined => {
    const found = get(name);
    return found && { value: splitList(found.value), location: found.location };
  };
  const strategy = get('update-strategy');
  const allowTags = get('allow-tags');
  const ignoreTags = list('ignore-tags');
  const platforms = list('platforms');
  return {
    ...(strategy && { strategy }),
    ...(allowTags && { allowTags }),
    ...(ignoreTags && { ignoreTags }),
    ...(platforms && { platforms }),
  };
}

function publishFrom(annotations: Annotations, subject: string, logger: Logger): PublishFields {
  const branch = annotations.get('git-branch');
  if (branch === undefined) return {};
  // `base:target` commits to `target`; a plain branch is the base, which is the repository's.
  const colon = branch.value.indexOf(':');
  const writeBranch = colon >= 0 ? branch.value.slice(colon + 1).trim() : '';
  if (writeBranch === '') return {};
  if (writeBranch.includes('{{')) {
    logger.warning(
      `${subject}: git-branch \`${branch.value}\` is a template; this action names branches ` +
        '`helm-image-updater/<target>[/<environment>]` and keeps one pull request per target instead.',
    );
    return {};
  }
  return { branch: { value: writeBranch, location: branch.location } };
}

function checkWriteBackMethod(
  method: Located<string> | undefined,
  subject: string,
  logger: Logger,
): void {
  const value = method?.value.trim() ?? '';
  if (value === '' || value === 'git') return;
  if (value.startsWith('git:')) {
    logger.warning(
      `${subject}: write-back-method \`${value}\` names Git credentials in the cluster; this action commits ` +
        'with its `token` input instead.',
    );
    return;
  }
  if (value === 'argocd') {
    logger.warning(
      `${subject}: write-back-method \`argocd\` changes the Application in the cluster; this action cannot ` +
        'reach the cluster and writes the same parameters to Git instead.',
    );
    return;
  }
  throw new ConfigurationError(
    `${subject}: write-back-method \`${value}\` is not understood; expected \`git\`.`,
    method?.location,
  );
}

function warnAboutUnusedAnnotations(
  manifest: Manifest,
  aliases: readonly string[],
  logger: Logger,
): void {
  const keys = aliases.map((alias) => alias.replace(/\//g, '_'));
  const subject = `${manifest.kind} ${manifest.name}`;
  for (const [name, { value, location }] of manifest.annotations) {
    const where = `${location.source}${location.line === undefined ? '' : `:${location.line}`}`;
    const dot = name.indexOf('.');
    const key = dot >= 0 ? name.slice(0, dot) : undefined;
    const option = dot >= 0 ? name.slice(dot + 1) : name;
    if (option === 'pull-secret') {
      logger.warning(
        `${where}: ${subject}: pull-secret \`${value}\` is a cluster secret this action cannot read; ` +
          'give registry credentials with the `registry-credentials` input (`host=env:VARIABLE`) or docker/login-action.',
      );
    } else if (key === undefined && !(GLOBAL_OPTIONS as readonly string[]).includes(name)) {
      logger.warning(
        `${where}: ${subject}: annotation \`${name}\` is not one this action reads and is ignored.${didYouMean(name, GLOBAL_OPTIONS)}`,
      );
    } else if (key !== undefined && !keys.includes(key)) {
      logger.warning(
        `${where}: ${subject}: annotation \`${name}\` is for alias \`${key}\`, which is not in image-list; ` +
          `it is ignored.${didYouMean(key, keys)}`,
      );
    } else if (key !== undefined && !(IMAGE_OPTIONS as readonly string[]).includes(option)) {
      logger.warning(
        `${where}: ${subject}: annotation \`${name}\` is not one this action reads and is ignored.${didYouMean(option, IMAGE_OPTIONS)}`,
      );
    } else if (option === 'kustomize.image-name') {
      logger.warning(
        `${where}: ${subject}: \`${name}\` is for Kustomize applications; this action writes Helm parameters and ignores it.`,
      );
    }
  }
}

interface SourceOfManifest {
  readonly path: string | undefined;
  readonly location: ConfigLocation;
}

/** `spec.source.path`, or the first of `spec.sources` that has a path (multi-source Applications). */
function sourceOf(manifest: Manifest): SourceOfManifest {
  const base = manifest.kind === 'Application' ? ['spec'] : ['spec', 'template', 'spec'];
  const single = manifest.document.getIn([...base, 'source', 'path'], true);
  if (isScalar(single) && typeof single.value === 'string')
    return { path: single.value, location: manifest.locate(single) };
  const sources = manifest.document.getIn([...base, 'sources'], true);
  if (isSeq(sources)) {
    for (const item of sources.items) {
      if (isMap(item) && typeof item.get('path') === 'string') {
        return {
          path: item.get('path') as string,
          location: manifest.locate(item.get('path', true)),
        };
      }
    }
  }
  return { path: undefined, location: manifest.location };
}

function templateName(manifest: Manifest): string {
  const name = manifest.document.getIn(['spec', 'template', 'metadata', 'name']);
  return typeof name === 'string' ? name : manifest.name;
}

/** `env/{{path.basename}}/values.yaml` → `env/*\/values.yaml`: every generated value becomes a wildcard. */
export function templateToGlob(text: string): string {
  return text.replace(/\{\{[^}]*\}\}/g, '*');
}

/**
 * An ApplicationSet whose Applications write `.argocd-source-<app>.yaml` files: the git files
 * generator is expanded against the repository, one override target per generated Application.
 */
async function expandApplicationSet(
  manifest: Manifest,
  appTemplate: string,
  pathTemplate: string,
  images: readonly ImageDraft[],
  publish: PublishFields,
  files: ChartFiles,
): Promise<TargetDraft[]> {
  const subject = `ApplicationSet ${manifest.name}`;
  const plain: unknown = manifest.document.toJS();
  const spec = isRecord(plain) ? plain['spec'] : undefined;
  const generators = isRecord(spec) ? spec['generators'] : undefined;
  const patterns: string[] = [];
  if (Array.isArray(generators)) {
    for (const generator of generators as unknown[]) {
      const git = isRecord(generator) ? generator['git'] : undefined;
      const fileList = isRecord(git) ? git['files'] : undefined;
      if (!Array.isArray(fileList)) continue;
      for (const item of fileList as unknown[]) {
        const path = isRecord(item) ? item['path'] : undefined;
        if (typeof path === 'string') patterns.push(path);
      }
    }
  }
  if (patterns.length === 0) {
    throw new ConfigurationError(
      `${subject}: its Applications are named by a template (\`${appTemplate}\`), and only a git files ` +
        'generator can be expanded here; use `write-back-target: helmvalues:<values file>`, or a config file.',
      manifest.location,
    );
  }
  const targets: TargetDraft[] = [];
  for (const pattern of patterns) {
    const matched = await files.glob(
      normaliseRepositoryPath(pattern, `${subject} generator path`, manifest.location),
    );
    for (const file of matched) {
      const segments = file.split('/');
      const directorySegments = segments.slice(0, -1);
      const app = renderPathTemplate(
        appTemplate,
        directorySegments,
        file,
        subject,
        manifest.location,
      );
      const chartPath = renderPathTemplate(
        pathTemplate,
        directorySegments,
        file,
        subject,
        manifest.location,
      );
      targets.push({
        type: 'argocd-override',
        name: checkApplicationName(app, manifest.location),
        location: manifest.location,
        images,
        policy: {},
        publish,
        chartPath: normaliseRepositoryPath(
          chartPath,
          `${subject} spec.template.spec.source.path`,
          manifest.location,
        ),
        app,
      });
    }
  }
  return targets;
}

/** The git files generator's path parameters, in the plain and the Go template spelling. */
function renderPathTemplate(
  template: string,
  directorySegments: readonly string[],
  file: string,
  subject: string,
  location: ConfigLocation,
): string {
  const directory = directorySegments.length === 0 ? '.' : directorySegments.join('/');
  const basename = directorySegments.at(-1) ?? '.';
  const filename = file.slice(file.lastIndexOf('/') + 1);
  const normalise = (text: string): string => text.replace(/[^A-Za-z0-9-.]/g, '-').toLowerCase();
  const values: Record<string, string> = {
    path: directory,
    'path.path': directory,
    'path.basename': basename,
    'path.basenameNormalized': normalise(basename),
    'path.filename': filename,
    'path.filenameNormalized': normalise(filename),
  };
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, expression: string) => {
    const key = expression.replace(/^\./, '');
    const indexed = /^path\[(\d+)\]$/.exec(key) ?? /^index \.path\.segments (\d+)$/.exec(key);
    const value = indexed ? directorySegments[Number(indexed[1])] : values[key];
    if (value === undefined) {
      throw new ConfigurationError(
        `${subject}: template \`${whole}\` cannot be evaluated here (only the git files generator's path ` +
          'parameters are known); use `write-back-target: helmvalues:<values file>`, or a config file.',
        location,
      );
    }
    return value;
  });
}

/** A scalar as written: strings as they are, `true` or `2` by their source text; else empty. */
function scalarText(node: unknown): string {
  if (!isScalar(node) || node.value === null) return '';
  if (typeof node.value === 'string') return node.value;
  return node.source ?? JSON.stringify(node.value) ?? '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
