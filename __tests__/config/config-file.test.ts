import { describe, expect, it } from 'vitest';
import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import type { Settings, ValuesTarget } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { memoryChartFiles, recordingLogger } from './chart-files.js';
import { ANY, image, publishPolicy } from './expected.js';

const CONFIG = '.github/helm-image-updater.yml';
const noRunnerFiles = (): undefined => undefined;

/** The config file example of SPEC.md section 2, verbatim. */
const SPEC_EXAMPLE = `images:
  frontend: { repository: lyzhang1999/frontend, strategy: newest-build, allow-tags: "regexp:^main-" }
  backend:  { repository: lyzhang1999/backend }
targets:
  - name: example
    type: argocd-override
    path: helm
    app: example
    images: [frontend, backend]
  - name: environments
    type: values
    files: helm-env/env/*/values.yaml        # one environment per matched file; name = directory name
    images: [frontend]
    environments:
      prod: { strategy: semver, constraint: "^1", mode: pull-request, reviewers: [sre] }
      dev:  { mode: merge }
`;

function load(
  text: string,
  inputs: Partial<RawInputs> = {},
  logger = recordingLogger(),
): Promise<Settings> {
  return loadSettings(
    { ...defaultInputs(), ...inputs },
    memoryChartFiles({ [CONFIG]: text }),
    {},
    logger,
    noRunnerFiles,
  );
}

describe('config file → settings', () => {
  it('reads the SPEC example', async () => {
    const logger = recordingLogger();
    const settings = await load(SPEC_EXAMPLE, {}, logger);
    const frontend = image('frontend', 'lyzhang1999/frontend');
    const backend = image('backend', 'lyzhang1999/backend');
    expect([...settings.images.values()]).toEqual([frontend, backend]);
    expect(settings.targets).toEqual([
      {
        type: 'argocd-override',
        name: 'example',
        chartPath: 'helm',
        app: 'example',
        images: [frontend, backend],
        publish: publishPolicy(),
      },
      {
        type: 'values',
        name: 'environments',
        files: 'helm-env/env/*/values.yaml',
        images: [frontend],
        publish: publishPolicy(),
        environments: new Map([
          [
            'prod',
            {
              // The image's explicit allow-tags still applies: an override replaces only what it names.
              images: [
                image('frontend', 'lyzhang1999/frontend', { strategy: 'semver', constraint: '^1' }),
              ],
              publish: publishPolicy({ reviewers: ['sre'] }),
            },
          ],
          ['dev', { images: [frontend], publish: publishPolicy({ mode: 'merge' }) }],
        ]),
      },
    ]);
    expect(logger.at('info')).toContain(`configuration from ${CONFIG}`);
  });

  it('takes the inputs as defaults under the file, and the file over them', async () => {
    const text = `images:
  api: ghcr.io/org/api:^2
  web:
    repository: org/web
    ignore-tags: ["*-debug", latest]
    platforms: linux/amd64, linux/arm64
    allow-downgrade: true
    min-age: 2h
    helm: { image-spec: "{alias}.image" }
targets:
  - name: all
    type: argocd-override
    path: .
    app: all
    strategy: semver
    labels: [images]
`;
    const settings = await load(text, { mode: 'push', labels: 'ignored-by-file' });
    const target = settings.targets[0];
    expect(target?.publish).toEqual(publishPolicy({ mode: 'push', labels: ['images'] }));
    expect(target?.images).toEqual([
      image('api', 'ghcr.io/org/api', { strategy: 'semver', constraint: '^2', allowTags: ANY }),
      {
        ...image('web', 'org/web', {
          strategy: 'semver',
          allowTags: ANY,
          ignoreTags: ['*-debug', 'latest'],
          platforms: ['linux/amd64', 'linux/arm64'],
          allowDowngrade: true,
          minAgeSeconds: 7200,
        }),
        helm: { imageName: undefined, imageTag: undefined, imageSpec: 'web.image' },
      },
    ]);
  });

  it('keeps numbers as written (`1.20` stays a string `1.20`)', async () => {
    const text = `images:
  app: { repository: org/app, strategy: semver, constraint: 1.20 }
targets:
  - { name: app, type: argocd-override, path: chart, app: app }
`;
    const settings = await load(text);
    expect(settings.images.get('app')?.policy.constraint).toBe('1.20');
  });

  it('treats an environment without overrides as the target settings', async () => {
    const text = `images:
  app: org/app
targets:
  - name: envs
    type: values
    files: env/*/values.yaml
    environments:
      dev:
`;
    const settings = await load(text);
    const target = settings.targets[0] as ValuesTarget;
    expect(target.environments.get('dev')).toEqual({
      images: target.images,
      publish: target.publish,
    });
  });

  it('warns about an environment override without a directory, with did-you-mean', async () => {
    const text = `images:
  app: org/app
targets:
  - name: envs
    type: values
    files: env/*/values.yaml
    environments:
      prd: { mode: merge }
      dev: {}
`;
    const logger = recordingLogger();
    const files = memoryChartFiles({
      [CONFIG]: text,
      'env/dev/values.yaml': 'app: {}\n',
      'env/prod/values.yaml': 'app: {}\n',
    });
    await loadSettings(defaultInputs(), files, {}, logger, noRunnerFiles);
    expect(logger.at('warning', 'error')).toEqual([
      'target envs: environment `prd` has overrides but no file matching `env/*/values.yaml` belongs to it (environments found: dev, prod). Did you mean `prod`?',
    ]);
  });

  it('names environments by every wildcard of a nested glob, and matches their keys by the same names', async () => {
    const text = `images:
  app: org/app
targets:
  - name: charts
    type: values
    files: charts/*/env/*/values.yaml
    environments:
      web/prod: { mode: merge }
      web/qa: {}
      web/qas: {}
`;
    const logger = recordingLogger();
    const files = memoryChartFiles({
      [CONFIG]: text,
      'charts/web/env/qa/values.yaml': 'app: {}\n',
      'charts/web/env/prod/values.yaml': 'app: {}\n',
    });
    const settings = await loadSettings(defaultInputs(), files, {}, logger, noRunnerFiles);
    const target = settings.targets[0] as ValuesTarget;
    expect([...target.environments.keys()]).toEqual(['web/prod', 'web/qa', 'web/qas']);
    expect(target.environments.get('web/prod')?.publish.mode).toBe('merge');
    // One warning for the key that names no file, and none for the keys that do.
    expect(logger.at('warning', 'error')).toEqual([
      'target charts: environment `web/qas` has overrides but no file matching `charts/*/env/*/values.yaml` belongs to it (environments found: web/prod, web/qa). Did you mean `web/qa`?',
    ]);
  });

  it.each(['web//qa', '/web', 'web/', 'web/../qa', 'web qa'])(
    'refuses the environment key %s, naming the file and line',
    async (name) => {
      const text = `images:\n  app: org/app\ntargets:\n  - name: t\n    type: values\n    files: charts/*/env/*/values.yaml\n    environments:\n      "${name}": {}\n`;
      await expect(load(text)).rejects.toThrow(
        `${CONFIG}:8: target \`t\` environment`.slice(0, 0) +
          `environment name \`${name}\` is not a directory name`,
      );
    },
  );

  it('prefers the file over the images input, with a warning', async () => {
    const logger = recordingLogger();
    await load(SPEC_EXAMPLE, { images: 'x=org/x', 'app-name': 'x' }, logger);
    expect(logger.at('warning', 'error')).toContainEqual(
      'both the config file .github/helm-image-updater.yml and the input `images` are set; the config file is used and `images` is ignored (set `config-source: inputs` to use the inputs instead).',
    );
  });

  it('uses the inputs when auto finds no file, and refuses a missing file for config-source: file', async () => {
    const files = memoryChartFiles({});
    const inputs = { ...defaultInputs(), images: 'a=org/a', 'app-name': 'a' };
    const settings = await loadSettings(inputs, files, {}, recordingLogger(), noRunnerFiles);
    expect(settings.targets.map((target) => target.name)).toEqual(['a']);
    expect(files.reads).toEqual([CONFIG]);
    await expect(
      loadSettings(
        { ...inputs, 'config-source': 'file' },
        files,
        {},
        recordingLogger(),
        noRunnerFiles,
      ),
    ).rejects.toThrow(
      'input config-file: config file `.github/helm-image-updater.yml` does not exist in the chart repository; add it, or set `config-source: inputs` and configure with the inputs.',
    );
  });

  it('does not read the file for config-source: inputs', async () => {
    const files = memoryChartFiles({ [CONFIG]: SPEC_EXAMPLE });
    const inputs = {
      ...defaultInputs(),
      images: 'a=org/a',
      'app-name': 'a',
      'config-source': 'inputs',
    };
    const settings = await loadSettings(inputs, files, {}, recordingLogger(), noRunnerFiles);
    expect(settings.targets.map((target) => target.name)).toEqual(['a']);
    expect(files.reads).toEqual([]);
  });
});

const HEADER = `images:
  frontend: { repository: lyzhang1999/frontend }
  backend: lyzhang1999/backend
`;

describe('config file → errors with file, line, expected form and did-you-mean', () => {
  const cases: [string, string, string][] = [
    [
      'not YAML',
      'images:\n  a: b\n c: d\ntargets: []\n',
      `${CONFIG}:3: not valid YAML: All mapping items must start at the same column`,
    ],
    [
      'an unclosed list',
      'images: [\n',
      `${CONFIG}:2: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ],
    [
      'empty',
      '# nothing\n',
      `${CONFIG}:1: the config file is empty; expected the keys \`images:\` and \`targets:\`.`,
    ],
    [
      'a list at the top',
      '- a\n',
      `${CONFIG}:1: the config file must be a map with \`images:\` and \`targets:\`; found a list.`,
    ],
    [
      'misspelt top-level key',
      `${HEADER}target:\n  - {}\n`,
      `${CONFIG}:4: unknown key \`target\` in the config file; expected one of \`images\`, \`targets\`. Did you mean \`targets\`?`,
    ],
    [
      'no targets',
      HEADER,
      `${CONFIG}:1: the config file has no \`targets\`; expected a list of targets, e.g. \`- { name: example, type: argocd-override, path: helm, app: example }\`.`,
    ],
    [
      'targets not a list',
      `${HEADER}targets: example\n`,
      `${CONFIG}:4: \`targets\` must be a non-empty list of targets; found the string \`example\`.`,
    ],
    [
      'no images',
      'images: {}\ntargets: []\n',
      `${CONFIG}:1: \`images\` must be a map from alias to image, e.g. \`frontend: { repository: org/frontend }\`; found an empty map.`,
    ],
    [
      'an image without anything',
      'images:\n  web:\ntargets: []\n',
      `${CONFIG}:2: image \`web\` must be a map with \`repository:\` and optional \`strategy\`, \`allow-tags\`, \`helm\`, …, or a repository string; found nothing.`,
    ],
    [
      'misspelt image key',
      'images:\n  web:\n    repository: org/web\n    stratgy: semver\ntargets: []\n',
      `${CONFIG}:4: unknown key \`stratgy\` in image \`web\`; expected one of \`repository\`, \`strategy\`, \`constraint\`, \`allow-tags\`, \`ignore-tags\`, \`platforms\`, \`allow-downgrade\`, \`min-age\`, \`verify\`, \`verify-key\`, \`verify-identity\`, \`verify-identity-regexp\`, \`verify-issuer\`, \`trusted-root\`, \`helm\`. Did you mean \`strategy\`?`,
    ],
    [
      'image without repository',
      'images:\n  web: { strategy: semver }\ntargets: []\n',
      `${CONFIG}:2: image \`web\` has no \`repository\`; expected the image repository, e.g. \`lyzhang1999/frontend\`.`,
    ],
    [
      'bad repository',
      'images:\n  web: { repository: "Org/Web" }\ntargets: []\n',
      `${CONFIG}:2: image \`Org/Web\` has an invalid path component \`Org\` (repository names are lowercase); expected a repository such as \`lyzhang1999/frontend\` or \`ghcr.io/org/app\`.`,
    ],
    [
      'bad alias',
      'images:\n  my.web: org/web\ntargets: []\n',
      `${CONFIG}:2: image alias \`my.web\` is not valid; an alias starts with a letter or digit and has only letters, digits, \`_\` and \`-\` (it becomes part of Helm keys such as \`{alias}.tag\`).`,
    ],
    [
      'bad type of allow-downgrade',
      'images:\n  web:\n    repository: org/web\n    allow-downgrade: "yes"\ntargets: []\n',
      `${CONFIG}:4: image \`web\` \`allow-downgrade\` must be \`true\` or \`false\`; found the string \`yes\`.`,
    ],
    [
      'bad type of platforms',
      'images:\n  web:\n    repository: org/web\n    platforms: { linux: amd64 }\ntargets: []\n',
      `${CONFIG}:4: image \`web\` \`platforms\` must be a list of strings or a comma separated string; found a map.`,
    ],
    [
      'bad strategy',
      `${HEADER}targets:\n  - name: a\n    type: argocd-override\n    path: .\n    app: a\n    strategy: newest\n`,
      `${CONFIG}:9: update strategy "newest" is unknown`,
    ],
    [
      'bad allow-tags regexp',
      `images:\n  web:\n    repository: org/web\n    allow-tags: "regexp:("\ntargets:\n  - { name: a, type: argocd-override, path: ., app: a }\n`,
      `${CONFIG}:4: allow-tags regular expression "(" is invalid`,
    ],
    [
      'target without name',
      `${HEADER}targets:\n  - type: values\n`,
      `${CONFIG}:5: target 1 has no \`name\`; expected a target name such as \`example\`.`,
    ],
    [
      'target without type',
      `${HEADER}targets:\n  - name: a\n`,
      `${CONFIG}:5: target \`a\` has no \`type\`; expected \`type: argocd-override\` or \`type: values\`.`,
    ],
    [
      'bad target type',
      `${HEADER}targets:\n  - name: a\n    type: value\n`,
      `${CONFIG}:6: target \`a\`: type \`value\` is not one of \`argocd-override\`, \`values\`. Did you mean \`values\`?`,
    ],
    [
      'kustomization type',
      `${HEADER}targets:\n  - name: a\n    type: kustomization\n`,
      `${CONFIG}:6: target \`a\`: \`type: kustomization\` is not supported; this action writes Helm parameters (\`argocd-override\`) or values files (\`values\`).`,
    ],
    [
      'override target without app',
      `${HEADER}targets:\n  - name: a\n    type: argocd-override\n    path: helm\n`,
      `${CONFIG}:5: target \`a\` has no \`app\`; expected the Argo CD application name, e.g. \`app: example\`.`,
    ],
    [
      'override target without path',
      `${HEADER}targets:\n  - { name: a, type: argocd-override, app: a }\n`,
      `${CONFIG}:5: target \`a\` has no \`path\`; expected the chart directory, e.g. \`path: helm\` (\`.\` for the repository root).`,
    ],
    [
      'values target without files',
      `${HEADER}targets:\n  - { name: a, type: values }\n`,
      `${CONFIG}:5: target \`a\` has no \`files\`; expected a values file or a glob, e.g. \`files: env/*/values.yaml\`.`,
    ],
    [
      'key of the other type',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: v.yaml\n    app: a\n`,
      `${CONFIG}:8: target \`a\`: \`app\` belongs to \`argocd-override\` targets, not to \`type: values\`.`,
    ],
    [
      'misspelt target key',
      `${HEADER}targets:\n  - name: a\n    type: values\n    file: v.yaml\n`,
      `${CONFIG}:7: unknown key \`file\` in target 1; expected one of`,
    ],
    [
      'unknown image alias',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: v.yaml\n    images: [frontnd]\n`,
      `${CONFIG}:8: target \`a\`: unknown image \`frontnd\`; the images defined under \`images:\` are \`frontend\`, \`backend\`. Did you mean \`frontend\`?`,
    ],
    [
      'duplicate target names',
      `${HEADER}targets:\n  - { name: a, type: values, files: a.yaml }\n  - { name: a, type: values, files: b.yaml }\n`,
      `${CONFIG}:6: target name \`a\` is used twice (also at ${CONFIG}:5); target names become branch names, so give each target its own name.`,
    ],
    [
      'path with ..',
      `${HEADER}targets:\n  - name: a\n    type: argocd-override\n    path: ../other\n    app: a\n`,
      `${CONFIG}:7: target \`a\` \`path\` \`../other\` contains \`..\`;`,
    ],
    [
      'absolute files',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: /etc/passwd\n`,
      `${CONFIG}:7: target \`a\` \`files\` \`/etc/passwd\` is absolute;`,
    ],
    [
      'bad mode in an environment',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: env/*/values.yaml\n    environments:\n      dev: { mode: pull_request }\n`,
      `${CONFIG}:9: mode \`pull_request\` is not one of \`pull-request\`, \`auto-merge\`, \`merge\`, \`push\`, \`dry-run\`. Did you mean \`pull-request\`?`,
    ],
    [
      'misspelt environment key',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: env/*/values.yaml\n    environments:\n      dev: { reviewer: [sre] }\n`,
      `${CONFIG}:9: unknown key \`reviewer\` in target \`a\` environment \`dev\`; expected one of \`strategy\`, \`constraint\`, \`allow-tags\`, \`ignore-tags\`, \`platforms\`, \`allow-downgrade\`, \`min-age\`, \`verify\`, \`verify-key\`, \`verify-identity\`, \`verify-identity-regexp\`, \`verify-issuer\`, \`trusted-root\`, \`mode\`, \`merge-method\`, \`labels\`, \`reviewers\`, \`branch\`, \`promote-from\`, \`soak\`, \`promote-window\`. Did you mean \`reviewers\`?`,
    ],
    [
      'environments without a glob',
      `${HEADER}targets:\n  - name: a\n    type: values\n    files: values.yaml\n    environments:\n      dev: {}\n`,
      `${CONFIG}:8: target \`a\`: \`environments\` needs a \`*\` in \`files\` (one directory per environment, e.g. \`env/*/values.yaml\`); \`values.yaml\` names a single file.`,
    ],
    [
      'a placeholder other than {alias}',
      'images:\n  web:\n    repository: org/web\n    helm: { image-tag: "{name}.tag" }\ntargets:\n  - { name: a, type: argocd-override, path: ., app: a, images: [web] }\n',
      `${CONFIG}:4: helm key \`{name}.tag\` has the placeholder \`{name}\`; the only placeholder is \`{alias}\` (the image alias), e.g. \`{alias}.tag\`.`,
    ],
    [
      'a placeholder with a typo',
      'images:\n  web:\n    repository: org/web\n    helm: { image-spec: "{alias}.{Alias}" }\ntargets:\n  - { name: a, type: argocd-override, path: ., app: a, images: [web] }\n',
      `${CONFIG}:4: helm key \`{alias}.{Alias}\` has the placeholder \`{Alias}\`;`,
    ],
    [
      'two images writing one helm key',
      'images:\n  web: { repository: org/web, helm: { image-tag: image.tag } }\n  api: { repository: org/api, helm: { image-tag: image.tag } }\ntargets:\n  - { name: a, type: argocd-override, path: ., app: a, images: [web, api] }\n',
      `${CONFIG}:5: target a: images \`web\` and \`api\` both write the helm key \`image.tag\`, so each run would overwrite the other;`,
    ],
    [
      'duplicate keys',
      'images:\n  web: org/web\n  web: org/other\ntargets: []\n',
      `${CONFIG}:3: not valid YAML: Map keys must be unique`,
    ],
  ];

  it.each(cases)('%s', async (_name, text, message) => {
    const result = load(text);
    await expect(result).rejects.toBeInstanceOf(ConfigurationError);
    await expect(load(text)).rejects.toSatisfy((error: Error) => error.message.startsWith(message));
  });
});
