import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import type { Settings } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { ChartFiles } from '../../src/core/files.js';
import { createLocalChartFiles } from '../../src/workspace/local/files.js';
import { memoryChartFiles, recordingLogger } from './chart-files.js';
import { ANY, compiledPattern, image, publishPolicy } from './expected.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../__fixtures__/config/${name}`, import.meta.url));
const noRunnerFiles = (): undefined => undefined;
const ARGOCD = { ...defaultInputs(), 'config-source': 'argocd' };

function load(files: ChartFiles, logger = recordingLogger()): Promise<Settings> {
  return loadSettings(ARGOCD, files, {}, logger, noRunnerFiles);
}

/** An Application manifest with the given annotations (without the prefix) and source path. */
function application(name: string, annotations: Record<string, string>, path = 'helm'): string {
  const lines = Object.entries(annotations).map(
    ([key, value]) => `    argocd-image-updater.argoproj.io/${key}: ${JSON.stringify(value)}`,
  );
  return [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Application',
    'metadata:',
    `  name: ${name}`,
    '  annotations:',
    ...lines,
    'spec:',
    '  source:',
    `    path: ${path}`,
    '',
  ].join('\n');
}

describe('Argo CD annotations → settings', () => {
  it('reads the kubernetes-example application.yaml unchanged', async () => {
    const logger = recordingLogger();
    const settings = await load(createLocalChartFiles(fixture('kubernetes-example')), logger);
    const policy = {
      allowTags: { kind: 'regexp', source: '^main', pattern: compiledPattern },
    } as const;
    const frontend = image('frontend', 'lyzhang1999/frontend', policy);
    const backend = image('backend', 'lyzhang1999/backend', policy);
    // `latest` is newest-build; the unannotated ApplicationSet of helm-env/ is not a target.
    expect(settings.targets).toEqual([
      {
        type: 'argocd-override',
        name: 'example',
        chartPath: '.',
        app: 'example',
        images: [frontend, backend],
        publish: publishPolicy(),
      },
    ]);
    expect([...settings.images.values()]).toEqual([frontend, backend]);
    const pullSecret = (line: number): string =>
      `application.yaml:${line}: Application example: pull-secret \`pullsecret:argocd/dockerhub-secret\` is a cluster secret this action cannot read; give registry credentials with the \`registry-credentials\` input (\`host=env:VARIABLE\`) or docker/login-action.`;
    expect(logger.at('warning', 'error')).toEqual([pullSecret(9), pullSecret(13)]);
  });

  it('reads an ApplicationSet that writes back to one values file per environment', async () => {
    const settings = await load(createLocalChartFiles(fixture('applicationset-helmvalues')));
    expect(settings.targets).toEqual([
      {
        type: 'values',
        name: 'frontend',
        files: 'helm-env/env/*/values.yaml',
        environments: new Map(),
        images: [image('frontend', 'lyzhang1999/frontend')],
        publish: publishPolicy(),
      },
    ]);
  });

  it("expands an ApplicationSet's git files generator into one override file per Application", async () => {
    const manifest = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
spec:
  generators:
  - git:
      files:
      - path: "clusters/*/config.json"
  template:
    metadata:
      name: "app-{{path.basename}}"
      annotations:
        argocd-image-updater.argoproj.io/image-list: web=org/web
    spec:
      source:
        path: "charts/{{ .path.basename }}"
`;
    const files = memoryChartFiles({
      'argocd/apps.yaml': manifest,
      'clusters/dev/config.json': '{}',
      'clusters/prod/config.json': '{}',
    });
    const settings = await load(files);
    const web = image('web', 'org/web', { strategy: 'semver', allowTags: ANY });
    expect(settings.targets).toEqual([
      {
        type: 'argocd-override',
        name: 'app-dev',
        chartPath: 'charts/dev',
        app: 'app-dev',
        images: [web],
        publish: publishPolicy(),
      },
      {
        type: 'argocd-override',
        name: 'app-prod',
        chartPath: 'charts/prod',
        app: 'app-prod',
        images: [web],
        publish: publishPolicy(),
      },
    ]);
  });

  it("uses argocd-image-updater's defaults and precedence: per-image over application-wide", async () => {
    const files = memoryChartFiles({
      'apps/web.yaml': application('web', {
        'image-list': 'web=org/web:~1.4, worker=ghcr.io/org/worker',
        'allow-tags': 'regexp:^v',
        'ignore-tags': '*-rc*, *-debug',
        'worker.update-strategy': 'name',
        'worker.allow-tags': 'any',
        'worker.platform': 'linux/arm64',
        'worker.helm.image-spec': 'worker.image',
        'web.helm.image-name': 'image.repository',
        'web.helm.image-tag': 'image.tag',
        'git-branch': 'main:image-updates',
      }),
    });
    const settings = await load(files);
    expect(settings.targets).toEqual([
      {
        type: 'argocd-override',
        name: 'web',
        chartPath: 'helm',
        app: 'web',
        images: [
          {
            ...image('web', 'org/web', {
              strategy: 'semver',
              constraint: '~1.4',
              allowTags: { kind: 'regexp', source: '^v', pattern: compiledPattern },
              ignoreTags: ['*-rc*', '*-debug'],
            }),
            helm: { imageName: 'image.repository', imageTag: 'image.tag', imageSpec: undefined },
          },
          {
            ...image('worker', 'ghcr.io/org/worker', {
              strategy: 'alphabetical',
              allowTags: ANY,
              ignoreTags: ['*-rc*', '*-debug'],
              platforms: ['linux/arm64'],
            }),
            helm: { imageName: undefined, imageTag: undefined, imageSpec: 'worker.image' },
          },
        ],
        publish: publishPolicy({ branch: 'image-updates' }),
      },
    ]);
  });

  it("writes an image-list entry without alias to argocd-image-updater's image.name and image.tag", async () => {
    const files = memoryChartFiles({
      'apps/web.yaml': application('web', { 'image-list': 'nginx:~1.26, api=org/api' }),
    });
    const settings = await load(files);
    const helm = settings.targets[0]?.images.map((entry) => [entry.alias, entry.helm]);
    expect(helm).toEqual([
      ['nginx', { imageName: 'image.name', imageTag: 'image.tag', imageSpec: undefined }],
      ['api', { imageName: 'api.image', imageTag: 'api.tag', imageSpec: undefined }],
    ]);
  });

  it('lets helm annotations override the defaults of an entry without alias', async () => {
    const files = memoryChartFiles({
      'apps/web.yaml': application('web', {
        'image-list': 'nginx:~1.26',
        'nginx.helm.image-tag': 'nginx.version',
      }),
    });
    const settings = await load(files);
    expect(settings.targets[0]?.images[0]?.helm).toEqual({
      imageName: 'image.name',
      imageTag: 'nginx.version',
      imageSpec: undefined,
    });
  });

  it('refuses two entries without alias in one Application: both would write image.tag', async () => {
    const files = memoryChartFiles({
      'apps/web.yaml': application('web', { 'image-list': 'nginx, org/redis' }),
    });
    await expect(load(files)).rejects.toThrow(
      'target web: images `nginx` and `redis` both write the helm key `image.name`',
    );
  });

  it.each([
    ['helmvalues', 'helm/values.yaml'],
    ['helmvalues:values-prod.yaml', 'helm/values-prod.yaml'],
    ['helmvalues:/env/prod/values.yaml', 'env/prod/values.yaml'],
  ])('write-back-target %s writes %s', async (writeBackTarget, expected) => {
    const files = memoryChartFiles({
      'app.yaml': application('web', {
        'image-list': 'web=org/web',
        'write-back-target': writeBackTarget,
      }),
    });
    const settings = await load(files);
    expect(
      settings.targets.map((target) => (target.type === 'values' ? target.files : target.type)),
    ).toEqual([expected]);
  });

  it('finds Applications among other documents and skips chart templates and broken files', async () => {
    const files = memoryChartFiles({
      'all.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n---\n${application('a', { 'image-list': 'a=org/a' })}`,
      'broken.yaml': `${application('b', { 'image-list': 'b=org/b' })}\n  : : [\n`,
      'chart/templates/app.yaml': application('c', { 'image-list': 'c=org/c' }),
      'other.yml': application('d', { 'image-list': 'd=org/d' }, '.'),
    });
    const settings = await load(files);
    expect(settings.targets.map((target) => target.name)).toEqual(['a', 'd']);
  });

  it('explains a repository too large to search', async () => {
    const files = createLocalChartFiles(fixture('kubernetes-example'), { maxWalkEntries: 3 });
    await expect(load(files)).rejects.toThrow(
      'input config-source: cannot search the repository for Argo CD manifests: glob `**/*.{yaml,yml}` walks more than 3 entries; use a narrower pattern. With a repository this large, describe the images and targets in a config file instead of `config-source: argocd`.',
    );
  });

  it('warns about annotations it does not use, with did-you-mean', async () => {
    const logger = recordingLogger();
    const files = memoryChartFiles({
      'app.yaml': application('web', {
        'image-list': 'web=org/web',
        'web.allow-tag': 'regexp:^v',
        'wbe.update-strategy': 'semver',
        'update-stratgy': 'semver',
        'write-back-method': 'argocd',
        'web.force-update': 'true',
      }),
    });
    await load(files, logger);
    expect(logger.at('warning', 'error')).toEqual([
      'app.yaml:7: Application web: annotation `web.allow-tag` is not one this action reads and is ignored. Did you mean `allow-tags`?',
      'app.yaml:8: Application web: annotation `wbe.update-strategy` is for alias `wbe`, which is not in image-list; it is ignored. Did you mean `web`?',
      'app.yaml:9: Application web: annotation `update-stratgy` is not one this action reads and is ignored. Did you mean `update-strategy`?',
      'Application web: write-back-method `argocd` changes the Application in the cluster; this action cannot reach the cluster and writes the same parameters to Git instead.',
    ]);
  });
});

describe('Argo CD annotations → errors', () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      'kustomization',
      {
        'app.yaml': application('web', {
          'image-list': 'web=org/web',
          'write-back-target': 'kustomization:../base',
        }),
      },
      'app.yaml:7: write-back-target `kustomization` is not supported: this action writes Helm parameters. Use `argocd-override` (the `.argocd-source-<app>.yaml` file) or `helmvalues:<values file>`, or keep argocd-image-updater for Kustomize applications.',
    ],
    [
      'no annotated manifests',
      { 'app.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\n' },
      "input config-source: no Application or ApplicationSet with the annotation `argocd-image-updater.argoproj.io/image-list` was found in the repository's YAML files (chart `templates/` directories are skipped); add the annotations, or use `config-source: inputs` or a config file.",
    ],
    [
      'a chart from a Helm repository',
      {
        'app.yaml': application('web', { 'image-list': 'web=org/web' }).replace(
          '    path: helm\n',
          '    chart: web\n',
        ),
      },
      'app.yaml:1: Application web has no `spec.source.path` (a chart from a Helm repository?); this action writes to a chart in this Git repository, so the Application must point at a path in it.',
    ],
    [
      'unknown write-back-method',
      {
        'app.yaml': application('web', { 'image-list': 'web=org/web', 'write-back-method': 'svn' }),
      },
      'app.yaml:7: Application web: write-back-method `svn` is not understood; expected `git`.',
    ],
    [
      'a bad image list',
      { 'app.yaml': application('web', { 'image-list': 'web=org/web, web=org/other' }) },
      'app.yaml:6: image alias `web` is used twice (`org/web` and `org/other`); give each image its own alias, e.g. `web2=org/other`.',
    ],
    [
      'a bad strategy',
      {
        'app.yaml': application('web', {
          'image-list': 'web=org/web',
          'web.update-strategy': 'newest',
        }),
      },
      'app.yaml:7: update strategy "newest" is unknown',
    ],
    [
      'the same name twice',
      {
        'a.yaml': application('web', { 'image-list': 'web=org/web' }),
        'b.yaml': application('web', { 'image-list': 'web=org/web' }, 'other'),
      },
      'b.yaml:1: target name `web` is used twice (also at a.yaml:1); target names become branch names, so give each target its own name.',
    ],
    [
      'one alias for two repositories',
      {
        'a.yaml': application('a', { 'image-list': 'web=org/web' }),
        'b.yaml': application('b', { 'image-list': 'web=org/other' }),
      },
      'b.yaml:6: image alias `web` names `org/other` here and `org/web` at a.yaml:6; an alias must mean one repository across all targets, so rename one of them.',
    ],
    [
      'a source path outside the repository',
      { 'app.yaml': application('web', { 'image-list': 'web=org/web' }, '../elsewhere') },
      'app.yaml:9: Application web spec.source.path `../elsewhere` contains `..`;',
    ],
  ];

  it.each(cases)('%s', async (_name, files, message) => {
    const result = load(memoryChartFiles(files));
    await expect(result).rejects.toBeInstanceOf(ConfigurationError);
    await expect(load(memoryChartFiles(files))).rejects.toSatisfy((error: Error) =>
      error.message.startsWith(message),
    );
  });
});
