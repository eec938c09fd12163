import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Scalar } from 'yaml';
import { ConfigurationError, type ConfigLocation } from '../core/errors.js';
import { ENVIRONMENT_NAME_PATTERN } from './environments.js';
import { didYouMean } from './did-you-mean.js';
import type { EnvironmentDraft, ImageDraft, SettingsDraft, TargetDraft } from './draft.js';
import { checkAlias, checkRepository, parseImageListEntry } from './image-list.js';
import { checkApplicationName } from './inputs-form.js';
import type {
  HelmFields,
  Located,
  PolicyFields,
  PromotionFields,
  PublishFields,
} from './policy.js';
import { normaliseRepositoryPath } from './repository-path.js';
import { splitList } from './text-list.js';

/** Keys of the config file, by where they may appear. Unknown keys get a "did you mean". */
const POLICY_KEYS = [
  'strategy',
  'constraint',
  'allow-tags',
  'ignore-tags',
  'platforms',
  'allow-downgrade',
  'min-age',
  'verify',
  'verify-key',
  'verify-identity',
  'verify-identity-regexp',
  'verify-issuer',
  'trusted-root',
] as const;
const PUBLISH_KEYS = ['mode', 'merge-method', 'labels', 'reviewers', 'branch'] as const;
const PROMOTION_KEYS = ['promote-from', 'soak', 'promote-window'] as const;
const TOP_LEVEL_KEYS = ['images', 'targets'] as const;
const IMAGE_KEYS = ['repository', ...POLICY_KEYS, 'helm'] as const;
const HELM_KEYS = ['image-name', 'image-tag', 'image-spec'] as const;
const OVERRIDE_TARGET_KEYS = [
  'name',
  'type',
  'path',
  'app',
  'images',
  ...POLICY_KEYS,
  ...PUBLISH_KEYS,
  ...PROMOTION_KEYS,
] as const;
const VALUES_TARGET_KEYS = [
  'name',
  'type',
  'files',
  'images',
  'environments',
  ...POLICY_KEYS,
  ...PUBLISH_KEYS,
  ...PROMOTION_KEYS,
] as const;
const ENVIRONMENT_KEYS = [...POLICY_KEYS, ...PUBLISH_KEYS, ...PROMOTION_KEYS] as const;
const TARGET_TYPES = ['argocd-override', 'values'] as const;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

/**
 * Reads the YAML config file (`.github/helm-image-updater.yml`) into a draft. Every error names
 * the file and line, the form that was expected, and for a misspelt key the closest known one.
 */
export function draftFromConfigFile(
  text: string,
  path: string,
  defaults: SettingsDraft['defaults'],
): SettingsDraft {
  return new ConfigFileReader(text, path).read(defaults);
}

class ConfigFileReader {
  private readonly lineCounter = new LineCounter();
  private readonly root: Node | null;

  constructor(
    text: string,
    private readonly path: string,
  ) {
    const document = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false });
    const [error] = document.errors;
    if (error !== undefined) {
      throw new ConfigurationError(
        `not valid YAML: ${error.message.split('\n')[0] ?? error.message}`,
        { source: path, line: this.lineCounter.linePos(error.pos[0]).line },
      );
    }
    this.root = document.contents;
  }

  read(defaults: SettingsDraft['defaults']): SettingsDraft {
    if (this.root === null || (isScalar(this.root) && this.root.value === null)) {
      throw new ConfigurationError(
        'the config file is empty; expected the keys `images:` and `targets:`.',
        {
          source: this.path,
          line: 1,
        },
      );
    }
    const top = this.entries(
      this.root,
      'the config file',
      TOP_LEVEL_KEYS,
      'a map with `images:` and `targets:`',
    );
    const imagesEntry = this.required(
      top,
      'images',
      this.root,
      'the config file',
      'a map of image aliases, e.g. `frontend: { repository: org/frontend }`',
    );
    const targetsEntry = this.required(
      top,
      'targets',
      this.root,
      'the config file',
      'a list of targets, e.g. `- { name: example, type: argocd-override, path: helm, app: example }`',
    );
    const images = this.readImages(imagesEntry);
    const targets = this.readTargets(targetsEntry, images);
    return { defaults, images: [...images.values()], targets };
  }

  private location(node: Node | null | undefined): ConfigLocation {
    const offset = node?.range?.[0];
    return offset === undefined
      ? { source: this.path }
      : { source: this.path, line: this.lineCounter.linePos(offset).line };
  }

  private fail(node: Node | null | undefined, message: string): never {
    throw new ConfigurationError(message, this.location(node));
  }

  /** A map's entries, refusing keys outside `allowed` (with the closest allowed key). */
  private entries(
    node: Node | null,
    what: string,
    allowed: readonly string[],
    expected: string,
  ): Map<string, Entry> {
    if (!isMap(node)) this.fail(node, `${what} must be ${expected}; found ${describeNode(node)}.`);
    const entries = new Map<string, Entry>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.fail(
          keyNode ?? node,
          `${what} has a key that is not a string; keys are names such as \`${allowed[0] ?? 'name'}\`.`,
        );
      }
      const key = (keyNode as Scalar<string>).value;
      if (!allowed.includes(key)) {
        this.fail(
          keyNode,
          `unknown key \`${key}\` in ${what}; expected one of ${allowed.map((k) => `\`${k}\``).join(', ')}.${didYouMean(key, allowed)}`,
        );
      }
      entries.set(key, {
        key,
        keyNode: keyNode as Node,
        value: (pair.value ?? null) as Node | null,
      });
    }
    return entries;
  }

  private required(
    entries: Map<string, Entry>,
    key: string,
    parent: Node | null,
    what: string,
    expected: string,
  ): Entry {
    const entry = entries.get(key);
    if (entry === undefined) this.fail(parent, `${what} has no \`${key}\`; expected ${expected}.`);
    return entry;
  }

  /** A string; numbers and booleans are taken as written (`1.20` stays `1.20`). */
  private string(entry: Entry, what: string, expected = 'a string'): Located<string> {
    const node = entry.value;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      this.fail(
        node ?? entry.keyNode,
        `${what} \`${entry.key}\` must be ${expected}; found ${describeNode(node)}.`,
      );
    }
    const scalar = node;
    const value =
      typeof scalar.value === 'string' ? scalar.value : (scalar.source ?? String(scalar.value));
    return { value, location: this.location(node) };
  }

  /** A list of strings, or one comma separated string (the inputs' syntax). */
  private stringList(entry: Entry, what: string): Located<readonly string[]> {
    const node = entry.value;
    if (isSeq(node)) {
      const items = node.items.map((item) => {
        const itemNode = item as Node | null;
        if (!isScalar(itemNode) || typeof itemNode.value !== 'string') {
          this.fail(
            itemNode ?? node,
            `${what} \`${entry.key}\` must be a list of strings; found ${describeNode(itemNode)} in it.`,
          );
        }
        return (itemNode as Scalar<string>).value.trim();
      });
      return { value: items.filter((item) => item !== ''), location: this.location(node) };
    }
    const text = this.string(entry, what, 'a list of strings or a comma separated string');
    return { value: splitList(text.value), location: text.location };
  }

  private boolean(entry: Entry, what: string): Located<boolean> {
    const node = entry.value;
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.fail(
        node ?? entry.keyNode,
        `${what} \`${entry.key}\` must be \`true\` or \`false\`; found ${describeNode(node)}.`,
      );
    }
    return { value: (node as Scalar<boolean>).value, location: this.location(node) };
  }

  private policy(entries: Map<string, Entry>, what: string): PolicyFields {
    const get = (key: (typeof POLICY_KEYS)[number]): Entry | undefined => entries.get(key);
    const strategy = get('strategy');
    const constraint = get('constraint');
    const allowTags = get('allow-tags');
    const ignoreTags = get('ignore-tags');
    const platforms = get('platforms');
    const allowDowngrade = get('allow-downgrade');
    const minAge = get('min-age');
    const verify = get('verify');
    const text = (
      key: (typeof POLICY_KEYS)[number],
      expected: string,
    ): Located<string> | undefined => {
      const entry = get(key);
      return entry && this.string(entry, what, expected);
    };
    const verifyKey = text('verify-key', 'a path in the chart repository or `env:NAME`');
    const verifyIdentity = text('verify-identity', 'a certificate identity (URI or e-mail)');
    const verifyIdentityRegexp = text('verify-identity-regexp', 'a regular expression');
    const verifyIssuer = text('verify-issuer', 'an OIDC issuer URL');
    const trustedRoot = text('trusted-root', 'a path in the chart repository or `env:NAME`');
    return {
      ...(verify && { verify: this.stringList(verify, what) }),
      ...(verifyKey && { verifyKey }),
      ...(verifyIdentity && { verifyIdentity }),
      ...(verifyIdentityRegexp && { verifyIdentityRegexp }),
      ...(verifyIssuer && { verifyIssuer }),
      ...(trustedRoot && { trustedRoot }),
      ...(strategy && {
        strategy: this.string(
          strategy,
          what,
          'one of `newest-build`, `semver`, `alphabetical`, `digest`',
        ),
      }),
      ...(constraint && {
        constraint: this.string(
          constraint,
          what,
          'a semver range such as `^1.2`, or the tag to follow for digest',
        ),
      }),
      ...(allowTags && {
        allowTags: this.string(allowTags, what, '`any` or `regexp:<regular expression>`'),
      }),
      ...(ignoreTags && { ignoreTags: this.stringList(ignoreTags, what) }),
      ...(platforms && { platforms: this.stringList(platforms, what) }),
      ...(allowDowngrade && { allowDowngrade: this.boolean(allowDowngrade, what) }),
      ...(minAge && {
        minAge: this.string(minAge, what, 'a duration such as `30m`, `2h` or `1d`'),
      }),
    };
  }

  private publish(entries: Map<string, Entry>, what: string): PublishFields {
    const mode = entries.get('mode');
    const mergeMethod = entries.get('merge-method');
    const labels = entries.get('labels');
    const reviewers = entries.get('reviewers');
    const branch = entries.get('branch');
    return {
      ...(mode && {
        mode: this.string(
          mode,
          what,
          'one of `pull-request`, `auto-merge`, `merge`, `push`, `dry-run`',
        ),
      }),
      ...(mergeMethod && {
        mergeMethod: this.string(mergeMethod, what, 'one of `squash`, `merge`, `rebase`'),
      }),
      ...(labels && { labels: this.stringList(labels, what) }),
      ...(reviewers && { reviewers: this.stringList(reviewers, what) }),
      ...(branch && { branch: this.string(branch, what, 'a branch name') }),
    };
  }

  private promotion(entries: Map<string, Entry>, what: string): PromotionFields {
    const from = entries.get('promote-from');
    const soak = entries.get('soak');
    const window = entries.get('promote-window');
    return {
      ...(from && {
        promoteFrom: this.string(
          from,
          what,
          'an environment (`staging`), a target, or `<target>/<environment>`',
        ),
      }),
      ...(soak && { soak: this.string(soak, what, 'a duration such as `2h` or `1d`') }),
      ...(window && {
        promoteWindow: this.string(
          window,
          what,
          'days, hours and a time zone such as `Mon-Thu 09:00-16:00 Europe/Berlin`',
        ),
      }),
    };
  }

  private readImages(entry: Entry): Map<string, ImageDraft> {
    const images = new Map<string, ImageDraft>();
    const expected = 'a map from alias to image, e.g. `frontend: { repository: org/frontend }`';
    const node = entry.value;
    if (!isMap(node) || node.items.length === 0)
      this.fail(
        node ?? entry.keyNode,
        `\`images\` must be ${expected}; found ${isMap(node) ? 'an empty map' : describeNode(node)}.`,
      );
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.fail(
          keyNode ?? node,
          `\`images\` must be ${expected}; an alias is a name such as \`frontend\`.`,
        );
      }
      const alias = checkAlias((keyNode as Scalar<string>).value, this.location(keyNode));
      const value = (pair.value ?? null) as Node | null;
      const location = this.location(keyNode);
      const what = `image \`${alias}\``;
      if (isScalar(value) && typeof value.value === 'string') {
        // Shorthand: `backend: org/backend[:constraint]`, like one item of the image list.
        const item = parseImageListEntry(`${alias}=${value.value}`, this.location(value));
        const constraint: PolicyFields =
          item.constraint === undefined
            ? {}
            : { constraint: { value: item.constraint, location: this.location(value) } };
        images.set(alias, {
          alias,
          repository: item.repository,
          location,
          policy: constraint,
          helm: {},
        });
        continue;
      }
      const fields = this.entries(
        value,
        what,
        IMAGE_KEYS,
        'a map with `repository:` and optional `strategy`, `allow-tags`, `helm`, …, or a repository string',
      );
      const repository = this.string(
        this.required(
          fields,
          'repository',
          value,
          what,
          'the image repository, e.g. `lyzhang1999/frontend`',
        ),
        what,
      );
      checkRepository(repository.value.trim(), repository.location);
      const helmEntry = fields.get('helm');
      images.set(alias, {
        alias,
        repository: repository.value.trim(),
        location,
        policy: this.policy(fields, what),
        helm: helmEntry ? this.helm(helmEntry, what) : {},
      });
    }
    return images;
  }

  private helm(entry: Entry, what: string): HelmFields {
    const fields = this.entries(
      entry.value,
      `${what} \`helm\``,
      HELM_KEYS,
      'a map with `image-name`, `image-tag` or `image-spec`',
    );
    const name = fields.get('image-name');
    const tag = fields.get('image-tag');
    const spec = fields.get('image-spec');
    const key = 'a dotted Helm key such as `frontend.image.tag`';
    return {
      ...(name && { imageName: this.string(name, `${what} helm`, key) }),
      ...(tag && { imageTag: this.string(tag, `${what} helm`, key) }),
      ...(spec && { imageSpec: this.string(spec, `${what} helm`, key) }),
    };
  }

  private readTargets(entry: Entry, images: Map<string, ImageDraft>): TargetDraft[] {
    const node = entry.value;
    if (!isSeq(node) || node.items.length === 0) {
      this.fail(
        node ?? entry.keyNode,
        `\`targets\` must be a non-empty list of targets; found ${describeNode(node)}.`,
      );
    }
    return node.items.map((item, index) => this.readTarget(item as Node | null, index, images));
  }

  private readTarget(
    node: Node | null,
    index: number,
    images: Map<string, ImageDraft>,
  ): TargetDraft {
    const position = `target ${index + 1}`;
    const allKeys = [...new Set([...OVERRIDE_TARGET_KEYS, ...VALUES_TARGET_KEYS])];
    const fields = this.entries(
      node,
      position,
      allKeys,
      'a map with `name`, `type` and the keys of that type',
    );
    const name = this.string(
      this.required(fields, 'name', node, position, 'a target name such as `example`'),
      position,
    ).value.trim();
    if (!NAME_PATTERN.test(name)) {
      this.fail(
        fields.get('name')?.value,
        `target name \`${name}\` is not valid; use letters, digits, \`-\`, \`.\` and \`_\` (it becomes part of a branch name).`,
      );
    }
    const what = `target \`${name}\``;
    const typeEntry = this.required(
      fields,
      'type',
      node,
      what,
      '`type: argocd-override` or `type: values`',
    );
    const type = this.string(typeEntry, what, '`argocd-override` or `values`');
    if (type.value === 'kustomization') {
      this.fail(
        typeEntry.value,
        `${what}: \`type: kustomization\` is not supported; this action writes Helm parameters (\`argocd-override\`) or values files (\`values\`).`,
      );
    }
    const knownType = TARGET_TYPES.find((candidate) => candidate === type.value);
    if (knownType === undefined) {
      this.fail(
        typeEntry.value,
        `${what}: type \`${type.value}\` is not one of \`argocd-override\`, \`values\`.${didYouMean(type.value, TARGET_TYPES)}`,
      );
    }
    const allowedKeys: readonly string[] =
      knownType === 'argocd-override' ? OVERRIDE_TARGET_KEYS : VALUES_TARGET_KEYS;
    for (const field of fields.values()) {
      if (!allowedKeys.includes(field.key)) {
        this.fail(
          field.keyNode,
          `${what}: \`${field.key}\` belongs to ${knownType === 'values' ? '`argocd-override`' : '`values`'} targets, not to \`type: ${knownType}\`.`,
        );
      }
    }
    const targetImages = this.targetImages(fields.get('images'), images, what);
    const location = this.location(node);
    const policy = this.policy(fields, what);
    const publish = this.publish(fields, what);
    const promotion = this.promotion(fields, what);
    if (knownType === 'argocd-override') {
      const pathEntry = this.required(
        fields,
        'path',
        node,
        what,
        'the chart directory, e.g. `path: helm` (`.` for the repository root)',
      );
      const chartPath = this.string(pathEntry, what, 'a directory path');
      const appEntry = this.required(
        fields,
        'app',
        node,
        what,
        'the Argo CD application name, e.g. `app: example`',
      );
      const app = this.string(appEntry, what, 'an application name');
      return {
        type: knownType,
        name,
        location,
        images: targetImages,
        policy,
        publish,
        promotion,
        chartPath: normaliseRepositoryPath(chartPath.value, `${what} \`path\``, chartPath.location),
        app: checkApplicationName(app.value.trim(), app.location),
      };
    }
    const filesEntry = this.required(
      fields,
      'files',
      node,
      what,
      'a values file or a glob, e.g. `files: env/*/values.yaml`',
    );
    const filesText = this.string(filesEntry, what, 'a path or glob');
    const files = normaliseRepositoryPath(filesText.value, `${what} \`files\``, filesText.location);
    const environmentsEntry = fields.get('environments');
    const environments = environmentsEntry ? this.environments(environmentsEntry, what) : [];
    if (environments.length > 0 && !files.includes('*')) {
      this.fail(
        environmentsEntry?.keyNode,
        `${what}: \`environments\` needs a \`*\` in \`files\` (one directory per environment, e.g. \`env/*/values.yaml\`); \`${files}\` names a single file.`,
      );
    }
    return {
      type: knownType,
      name,
      location,
      images: targetImages,
      policy,
      publish,
      promotion,
      files,
      environments,
    };
  }

  private targetImages(
    entry: Entry | undefined,
    images: Map<string, ImageDraft>,
    what: string,
  ): ImageDraft[] {
    // Without `images`, a target updates every image of the file.
    if (entry === undefined) return [...images.values()];
    const aliases = this.stringList(entry, what);
    if (aliases.value.length === 0)
      this.fail(
        entry.value ?? entry.keyNode,
        `${what}: \`images\` is empty; list image aliases defined under \`images:\`, or leave the key out for all of them.`,
      );
    const seen = new Set<string>();
    return aliases.value.map((alias) => {
      const image = images.get(alias);
      if (image === undefined) {
        const known = [...images.keys()];
        this.fail(
          entry.value,
          `${what}: unknown image \`${alias}\`; the images defined under \`images:\` are ${known.map((k) => `\`${k}\``).join(', ')}.${didYouMean(alias, known)}`,
        );
      }
      if (seen.has(alias)) this.fail(entry.value, `${what}: image \`${alias}\` is listed twice.`);
      seen.add(alias);
      return image;
    });
  }

  private environments(entry: Entry, what: string): EnvironmentDraft[] {
    const node = entry.value;
    if (!isMap(node))
      this.fail(
        node ?? entry.keyNode,
        `${what}: \`environments\` must be a map from environment name to overrides, e.g. \`prod: { strategy: semver }\`; found ${describeNode(node)}.`,
      );
    return node.items.map((pair) => {
      const keyNode = pair.key as Node | null;
      if (
        !isScalar(keyNode) ||
        (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')
      ) {
        this.fail(
          keyNode ?? node,
          `${what}: an environment name must be a directory name such as \`prod\`.`,
        );
      }
      const name = String((keyNode as Scalar<string | number>).value);
      if (!ENVIRONMENT_NAME_PATTERN.test(name))
        this.fail(
          keyNode,
          `${what}: environment name \`${name}\` is not a directory name such as \`prod\`, or directory names joined by \`/\` such as \`web/prod\` (one per wildcard in \`files\`).`,
        );
      const envWhat = `${what} environment \`${name}\``;
      const value = (pair.value ?? null) as Node | null;
      // `dev:` with nothing under it is an environment without overrides.
      const fields =
        isScalar(value) && value.value === null
          ? new Map<string, Entry>()
          : this.entries(
              value,
              envWhat,
              ENVIRONMENT_KEYS,
              'a map of overrides such as `{ strategy: semver, mode: merge }`',
            );
      return {
        name,
        location: this.location(keyNode),
        policy: this.policy(fields, envWhat),
        publish: this.publish(fields, envWhat),
        promotion: this.promotion(fields, envWhat),
      };
    });
  }
}

function describeNode(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    if (typeof node.value === 'string') return `the string \`${node.value}\``;
    return `\`${String(node.source ?? (node.value as number | boolean))}\``;
  }
  return 'an alias or tag';
}
