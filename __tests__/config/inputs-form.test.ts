import { describe, expect, it } from 'vitest';
import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import type { Settings, TargetSettings } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { memoryChartFiles, recordingLogger } from './chart-files.js';
import { ANY, compiledPattern, image, publishPolicy } from './expected.js';

const noRunnerFiles = (): undefined => undefined;

function load(inputs: Partial<RawInputs>, logger = recordingLogger()): Promise<Settings> {
  return loadSettings(
    { ...defaultInputs(), ...inputs },
    memoryChartFiles({}),
    {},
    logger,
    noRunnerFiles,
  );
}

const EXAMPLE = {
  images: 'frontend=lyzhang1999/frontend, backend=lyzhang1999/backend',
  'app-name': 'example',
};

describe('inputs → settings', () => {
  const cases: { name: string; inputs: Partial<RawInputs>; target: TargetSettings }[] = [
    {
      name: 'the SPEC example: two aliased images into .argocd-source-example.yaml',
      inputs: EXAMPLE,
      target: {
        type: 'argocd-override',
        name: 'example',
        chartPath: '.',
        app: 'example',
        images: [
          image('frontend', 'lyzhang1999/frontend'),
          image('backend', 'lyzhang1999/backend'),
        ],
        publish: publishPolicy(),
      },
    },
    {
      name: 'no alias: the last path segment; newline separated; chart path normalised',
      inputs: {
        images: 'ghcr.io/org/api\n127.0.0.1:5000/team/worker\n',
        'app-name': 'api',
        'chart-path': './charts/api/',
      },
      target: {
        type: 'argocd-override',
        name: 'api',
        chartPath: 'charts/api',
        app: 'api',
        images: [image('api', 'ghcr.io/org/api'), image('worker', '127.0.0.1:5000/team/worker')],
        publish: publishPolicy(),
      },
    },
    {
      name: 'semver with a constraint: the untouched default allow-tags becomes any',
      inputs: { images: 'nginx=nginx:~1.26', 'update-strategy': 'semver', 'app-name': 'web' },
      target: {
        type: 'argocd-override',
        name: 'web',
        chartPath: '.',
        app: 'web',
        images: [
          image('nginx', 'nginx', { strategy: 'semver', constraint: '~1.26', allowTags: ANY }),
        ],
        publish: publishPolicy(),
      },
    },
    {
      name: 'digest follows latest unless a tag is given; an explicit allow-tags is kept',
      inputs: {
        images: 'a=org/a, b=127.0.0.1:5000/org/b:stable',
        'update-strategy': 'digest',
        'allow-tags': 'regexp:^(latest|stable)$',
        'app-name': 'x',
      },
      target: {
        type: 'argocd-override',
        name: 'x',
        chartPath: '.',
        app: 'x',
        images: [
          image('a', 'org/a', {
            strategy: 'digest',
            constraint: 'latest',
            allowTags: {
              kind: 'regexp',
              source: '^(latest|stable)$',
              pattern: compiledPattern,
            },
          }),
          image('b', '127.0.0.1:5000/org/b', {
            strategy: 'digest',
            constraint: 'stable',
            allowTags: {
              kind: 'regexp',
              source: '^(latest|stable)$',
              pattern: compiledPattern,
            },
          }),
        ],
        publish: publishPolicy(),
      },
    },
    {
      name: 'values files with one directory per environment: the target is named after the directory',
      inputs: {
        images: 'frontend=lyzhang1999/frontend',
        'write-back-target': 'values',
        'values-files': 'helm-env/env/*/values.yaml',
      },
      target: {
        type: 'values',
        name: 'env',
        files: 'helm-env/env/*/values.yaml',
        environments: new Map(),
        images: [image('frontend', 'lyzhang1999/frontend')],
        publish: publishPolicy(),
      },
    },
    {
      name: 'a single values file under chart-path is the target `values`',
      inputs: {
        images: 'frontend=lyzhang1999/frontend',
        'write-back-target': 'values',
        'values-files': 'values.yaml',
        'chart-path': 'helm',
      },
      target: {
        type: 'values',
        name: 'values',
        files: 'helm/values.yaml',
        environments: new Map(),
        images: [image('frontend', 'lyzhang1999/frontend')],
        publish: publishPolicy(),
      },
    },
    {
      name: "argocd-image-updater's helmvalues:<path>, relative to chart-path",
      inputs: {
        images: 'frontend=lyzhang1999/frontend',
        'write-back-target': 'helmvalues:env/*/values.yaml',
        'chart-path': 'helm-env',
      },
      target: {
        type: 'values',
        name: 'env',
        files: 'helm-env/env/*/values.yaml',
        environments: new Map(),
        images: [image('frontend', 'lyzhang1999/frontend')],
        publish: publishPolicy(),
      },
    },
    {
      name: 'every filter, gate and publishing input, and Helm key templates',
      inputs: {
        images: 'frontend=lyzhang1999/frontend',
        'app-name': 'example',
        'allow-tags': 'any',
        'ignore-tags': '*-debug,\nlatest',
        platforms: 'linux/amd64, linux/arm64/v8',
        'allow-downgrade': 'true',
        'min-age': '1h30m',
        'helm-image-name': 'images.{alias}\\.io.repository',
        'helm-image-tag': 'images.{alias}.tag',
        mode: 'auto-merge',
        'merge-method': 'rebase',
        labels: 'images, automated',
        reviewers: 'alice,bob',
        branch: 'deps/images',
      },
      target: {
        type: 'argocd-override',
        name: 'example',
        chartPath: '.',
        app: 'example',
        images: [
          {
            ...image('frontend', 'lyzhang1999/frontend', {
              allowTags: ANY,
              ignoreTags: ['*-debug', 'latest'],
              platforms: ['linux/amd64', 'linux/arm64/v8'],
              allowDowngrade: true,
              minAgeSeconds: 5400,
            }),
            helm: {
              imageName: 'images.frontend\\.io.repository',
              imageTag: 'images.frontend.tag',
              imageSpec: undefined,
            },
          },
        ],
        publish: publishPolicy({
          mode: 'auto-merge',
          mergeMethod: 'rebase',
          labels: ['images', 'automated'],
          reviewers: ['alice', 'bob'],
          branch: 'deps/images',
        }),
      },
    },
    {
      name: 'image-spec replaces image-name and image-tag',
      inputs: {
        images: 'frontend=lyzhang1999/frontend',
        'app-name': 'example',
        'helm-image-spec': '{alias}.image',
      },
      target: {
        type: 'argocd-override',
        name: 'example',
        chartPath: '.',
        app: 'example',
        images: [
          {
            ...image('frontend', 'lyzhang1999/frontend'),
            helm: { imageName: undefined, imageTag: undefined, imageSpec: 'frontend.image' },
          },
        ],
        publish: publishPolicy(),
      },
    },
  ];

  it.each(cases)('$name', async ({ inputs, target }) => {
    const settings = await load(inputs);
    expect(settings.targets).toEqual([target]);
    expect([...settings.images.values()]).toEqual(target.images);
  });

  it('keeps the registry and dispatch inputs', async () => {
    const settings = await load({
      ...EXAMPLE,
      'insecure-registries': '127.0.0.1:5000, registry.local',
      'registry-concurrency': '4',
      'request-budget': '200',
      'registry-listings': 'false',
      cache: 'false',
      'dispatch-types': 'image-pushed, build-done',
    });
    expect(settings.registry).toEqual({
      credentials: [],
      caCertificates: undefined,
      insecureRegistries: ['127.0.0.1:5000', 'registry.local'],
      concurrency: 4,
      requestBudget: 200,
      timeoutMs: 30_000,
      listings: false,
      cache: false,
    });
    expect(settings.dispatchTypes).toEqual(['image-pushed', 'build-done']);
  });

  it('warns that a constraint does nothing with newest-build', async () => {
    const logger = recordingLogger();
    await load({ images: 'app=org/app:^1', 'app-name': 'app' }, logger);
    expect(logger.at('warning', 'error')).toEqual([
      'input images: image app: constraint `^1` has no effect with the newest-build strategy; it applies to semver (a range) and digest (the tag to follow).',
    ]);
  });

  it('freezes everything it returns', async () => {
    const settings = await load(EXAMPLE);
    const target = settings.targets[0];
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(target)).toBe(true);
    expect(Object.isFrozen(target?.images[0]?.policy.platforms)).toBe(true);
    expect(() => (settings.images as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() =>
      (settings.targets as TargetSettings[]).push(settings.targets[0] as TargetSettings),
    ).toThrow(TypeError);
  });
});

describe('inputs → errors', () => {
  const cases: [string, Partial<RawInputs>, string][] = [
    [
      'no images',
      { images: '' },
      'input images: no images configured; set `images` to `alias=repository[:constraint]`, e.g. `frontend=lyzhang1999/frontend` or `api=ghcr.io/org/api:^1.2`, or add the config file `.github/helm-image-updater.yml`.',
    ],
    [
      'duplicate alias',
      { images: 'web=org/a, web=org/b' },
      'input images: image alias `web` is used twice (`org/a` and `org/b`); give each image its own alias, e.g. `web2=org/b`.',
    ],
    [
      'duplicate implicit alias',
      { images: 'org/app, other/app' },
      'input images: image alias `app` is used twice (`org/app` and `other/app`); give each image its own alias, e.g. `app2=other/app`.',
    ],
    [
      'upper-case repository',
      { images: 'web=Org/Web' },
      'input images: image `Org/Web` has an invalid path component `Org` (repository names are lowercase); expected a repository such as `lyzhang1999/frontend` or `ghcr.io/org/app`.',
    ],
    [
      'digest in the image list',
      { images: 'web=org/web@sha256:abc' },
      'input images: image `org/web@sha256:abc` has a digest; give the repository only (expected a repository such as `lyzhang1999/frontend` or `ghcr.io/org/app`), and use `update-strategy: digest` with the tag to follow as the constraint.',
    ],
    [
      'empty constraint',
      { images: 'web=org/web:' },
      'input images: image `web=org/web:` ends with `:` but has no constraint; expected `alias=repository[:constraint]`, e.g. `frontend=lyzhang1999/frontend` or `api=ghcr.io/org/api:^1.2`.',
    ],
    [
      'alias with a dot',
      { images: 'my.app=org/app' },
      'input images: image alias `my.app` is not valid; an alias starts with a letter or digit and has only letters, digits, `_` and `-` (it becomes part of Helm keys such as `{alias}.tag`).',
    ],
    [
      'no app-name',
      { images: 'web=org/web' },
      'input app-name: app-name is required for `write-back-target: argocd-override`; set it to the Argo CD application name, the `<app>` of `.argocd-source-<app>.yaml`.',
    ],
    [
      'no values-files',
      { ...EXAMPLE, 'write-back-target': 'values' },
      'input values-files: values-files is required for `write-back-target: values`; set it to a values file or a glob with one directory per environment, e.g. `env/*/values.yaml`.',
    ],
    [
      'kustomization',
      { ...EXAMPLE, 'write-back-target': 'kustomization' },
      'input write-back-target: write-back-target `kustomization` is not supported: this action writes Helm parameters. Use `argocd-override` (the `.argocd-source-<app>.yaml` file) or `helmvalues:<values file>`, or keep argocd-image-updater for Kustomize applications.',
    ],
    [
      'unknown write-back-target',
      { ...EXAMPLE, 'write-back-target': 'override' },
      'input write-back-target: write-back-target `override` is not supported; expected `argocd-override` or `values`.',
    ],
    [
      'chart-path with ..',
      { ...EXAMPLE, 'chart-path': '../other' },
      'input chart-path: chart-path `../other` contains `..`; chart-path must be a path inside the repository such as `helm` or `env/*/values.yaml`, without `..`.',
    ],
    [
      'absolute chart-path',
      { ...EXAMPLE, 'chart-path': '/srv/helm' },
      'input chart-path: chart-path `/srv/helm` is absolute; chart-path must be a path inside the repository such as `helm` or `env/*/values.yaml`, relative to the repository root.',
    ],
    [
      'values-files with ..',
      { ...EXAMPLE, 'write-back-target': 'values', 'values-files': 'env/../../x.yaml' },
      'input values-files: values-files `env/../../x.yaml` contains `..`; values-files must be a path inside the repository such as `helm` or `env/*/values.yaml`, without `..`.',
    ],
    [
      'config-file with ..',
      { ...EXAMPLE, 'config-file': '../config.yml' },
      'input config-file: config-file `../config.yml` contains `..`; config-file must be a path inside the repository such as `helm` or `env/*/values.yaml`, without `..`.',
    ],
    [
      'unknown mode',
      { ...EXAMPLE, mode: 'merg' },
      'input mode: mode `merg` is not one of `pull-request`, `auto-merge`, `merge`, `push`, `dry-run`. Did you mean `merge`?',
    ],
    [
      'unknown merge-method',
      { ...EXAMPLE, 'merge-method': 'fast-forward' },
      'input merge-method: merge-method `fast-forward` is not one of `squash`, `merge`, `rebase`.',
    ],
    [
      'bad branch',
      { ...EXAMPLE, branch: 'images..next' },
      'input branch: branch `images..next` is not a valid Git branch name; use letters, digits, `/`, `-`, `_` and `.`, e.g. `helm-image-updater/dev`.',
    ],
    [
      'bad boolean',
      { ...EXAMPLE, 'allow-downgrade': 'yes' },
      'input allow-downgrade: allow-downgrade `yes` is not a boolean; expected `true` or `false`.',
    ],
    [
      'bad platform',
      { ...EXAMPLE, platforms: 'amd64' },
      'input platforms: image frontend: platform `amd64` is not in the form `os/arch[/variant]`, e.g. `linux/amd64` or `linux/arm64`.',
    ],
    [
      'bad helm key',
      { ...EXAMPLE, 'helm-image-tag': '{alias}..tag' },
      'input helm-image-tag: helm key "frontend..tag" is not a dotted key path: part 2 is empty; write it like frontend.image, with \\. for a dot inside a key and [1] for a list element',
    ],
    [
      'concurrency 0',
      { ...EXAMPLE, 'registry-concurrency': '0' },
      'input registry-concurrency: registry-concurrency `0` is not a whole number from 1 to 64.',
    ],
    [
      'budget not a number',
      { ...EXAMPLE, 'request-budget': 'lots' },
      'input request-budget: request-budget `lots` is not a whole number from 1 to 1000000.',
    ],
    [
      'insecure registry with scheme',
      { ...EXAMPLE, 'insecure-registries': 'http://127.0.0.1:5000' },
      'input insecure-registries: insecure registry `http://127.0.0.1:5000` is not a host or `host:port` (no scheme, no path), e.g. `127.0.0.1:5000`.',
    ],
    [
      'missing ca-file',
      { ...EXAMPLE, 'ca-file': '/tmp/missing-ca.pem' },
      'input ca-file: CA file `/tmp/missing-ca.pem` does not exist on the runner; give the path of a PEM file, e.g. one written by an earlier step.',
    ],
    [
      'unknown config-source',
      { ...EXAMPLE, 'config-source': 'argo' },
      'input config-source: config-source `argo` is not one of `auto`, `inputs`, `file`, `argocd`.',
    ],
    [
      'bad dispatch type',
      { ...EXAMPLE, 'dispatch-types': 'image pushed' },
      'input dispatch-types: dispatch type `image pushed` is not valid; expected names such as `image-pushed`, comma separated.',
    ],
    [
      'bad cache',
      { ...EXAMPLE, cache: 'on' },
      'input cache: cache `on` is not a boolean; expected `true` or `false`.',
    ],
  ];

  it.each(cases)('%s', async (_name, inputs, message) => {
    const result = load(inputs);
    await expect(result).rejects.toBeInstanceOf(ConfigurationError);
    await expect(result).rejects.toThrow(message);
    await expect(load(inputs)).rejects.toSatisfy((error: Error) => error.message === message);
  });

  it.each([
    [
      'update-strategy',
      { ...EXAMPLE, 'update-strategy': 'newst' },
      /^input update-strategy: .*newst.*semver, newest-build/,
    ],
    [
      'allow-tags',
      { ...EXAMPLE, 'allow-tags': 'regexp:main-(' },
      /^input allow-tags: .*main-\(.*invalid/,
    ],
    ['min-age', { ...EXAMPLE, 'min-age': '2 hours' }, /^input min-age: .*2 hours.*duration/],
    ['ignore-tags', { ...EXAMPLE, 'ignore-tags': '[abc' }, /^input ignore-tags: /],
  ])('names the input when the strategy layer refuses %s', async (_name, inputs, message) => {
    await expect(load(inputs)).rejects.toThrow(message);
  });
});
