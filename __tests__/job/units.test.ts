import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { ImageSettings, PublishPolicy, TargetSettings } from '../../src/config/settings.js';
import type { ChartFiles } from '../../src/core/files.js';
import { silentLogger } from '../../src/core/logging.js';
import { expandUnits } from '../../src/job/units.js';
import { recordingLogger } from '../harness/recording-logger.js';

const publish: PublishPolicy = {
  mode: 'pull-request',
  mergeMethod: 'squash',
  labels: [],
  reviewers: [],
  branch: undefined,
};
const frontend = { alias: 'frontend', repository: 'lyzhang1999/frontend' } as ImageSettings;

function filesOf(paths: string[]): ChartFiles {
  return {
    read: (file) => Promise.resolve(paths.includes(file) ? '' : undefined),
    glob: (pattern) =>
      Promise.resolve(paths.filter((file) => picomatch(pattern, { dot: true })(file)).sort()),
  };
}

describe('expandUnits', () => {
  it('an override target is one unit writing .argocd-source-<app>.yaml and reading values.yaml', async () => {
    const targets: TargetSettings[] = [
      {
        type: 'argocd-override',
        name: 'example',
        chartPath: 'helm',
        app: 'example',
        images: [frontend],
        publish,
      },
      {
        type: 'argocd-override',
        name: 'root',
        chartPath: '.',
        app: 'root',
        images: [frontend],
        publish,
      },
    ];
    const units = await expandUnits(targets, filesOf([]), silentLogger);
    expect(units.map((unit) => [unit.file, unit.fallbackFile, unit.environment])).toEqual([
      ['helm/.argocd-source-example.yaml', 'helm/values.yaml', undefined],
      ['.argocd-source-root.yaml', 'values.yaml', undefined],
    ]);
  });

  it.each([
    [
      'one other override file: a warning naming it',
      ['helm/.argocd-source-exmaple.yaml', 'helm/values.yaml'],
      [
        'target example: helm/.argocd-source-example.yaml does not exist, but helm/.argocd-source-exmaple.yaml does: is the application named `exmaple` rather than `example`? The update creates helm/.argocd-source-example.yaml, which Argo CD reads only for an application named `example`.',
      ],
    ],
    [
      'its own override file',
      ['helm/.argocd-source-example.yaml', 'helm/.argocd-source-other.yaml'],
      [],
    ],
    [
      'two other override files: no guess',
      ['helm/.argocd-source-a.yaml', 'helm/.argocd-source-b.yaml'],
      [],
    ],
    ['no override file: a new application', ['helm/values.yaml'], []],
  ])('an override target with %s', async (_name, paths, warnings) => {
    const logger = recordingLogger();
    const units = await expandUnits(
      [
        {
          type: 'argocd-override',
          name: 'example',
          chartPath: 'helm',
          app: 'example',
          images: [frontend],
          publish,
        },
      ],
      filesOf(paths),
      logger,
    );
    expect(units.map((unit) => unit.file)).toEqual(['helm/.argocd-source-example.yaml']);
    expect(logger.warnings()).toEqual(warnings);
  });

  it('a values glob gives one unit per environment directory, with per-environment overrides', async () => {
    const prodPublish = { ...publish, mode: 'merge' as const };
    const prodImage = { ...frontend, repository: 'lyzhang1999/frontend-prod' };
    const target: TargetSettings = {
      type: 'values',
      name: 'environments',
      files: 'helm-env/env/*/values.yaml',
      images: [frontend],
      publish,
      environments: new Map([
        ['prod', { images: [prodImage], publish: prodPublish }],
        ['qa', { images: [frontend], publish }],
      ]),
    };
    const logger = recordingLogger();
    const units = await expandUnits(
      [target],
      filesOf([
        'helm-env/env/dev/values.yaml',
        'helm-env/env/prod/values.yaml',
        'helm-env/env/staging/values.yaml',
        'helm-env/Chart.yaml',
      ]),
      logger,
    );
    expect(
      units.map((unit) => [
        unit.environment,
        unit.file,
        unit.publish.mode,
        unit.images[0]?.repository,
      ]),
    ).toEqual([
      ['dev', 'helm-env/env/dev/values.yaml', 'pull-request', 'lyzhang1999/frontend'],
      ['prod', 'helm-env/env/prod/values.yaml', 'merge', 'lyzhang1999/frontend-prod'],
      ['staging', 'helm-env/env/staging/values.yaml', 'pull-request', 'lyzhang1999/frontend'],
    ]);
    // A key that names no file (qa) is reported once, by the settings loader, not here.
    expect(logger.warnings()).toEqual([]);
  });

  it('two wildcards name two environments: charts/web/env/qa and charts/web/env/prod are both updated', async () => {
    const target: TargetSettings = {
      type: 'values',
      name: 'charts',
      files: 'charts/*/env/*/values.yaml',
      images: [frontend],
      publish,
      environments: new Map([
        ['web/prod', { images: [frontend], publish: { ...publish, mode: 'merge' } }],
      ]),
    };
    const logger = recordingLogger();
    const units = await expandUnits(
      [target],
      filesOf([
        'charts/web/env/qa/values.yaml',
        'charts/web/env/prod/values.yaml',
        'charts/api/env/prod/values.yaml',
      ]),
      logger,
    );
    expect(units.map((unit) => [unit.environment, unit.file, unit.publish.mode])).toEqual([
      ['api/prod', 'charts/api/env/prod/values.yaml', 'pull-request'],
      ['web/prod', 'charts/web/env/prod/values.yaml', 'merge'],
      ['web/qa', 'charts/web/env/qa/values.yaml', 'pull-request'],
    ]);
    expect(logger.warnings()).toEqual([]);
  });

  it('two files of one environment (prod.yaml and prod.yml) are reported by name, and one is used', async () => {
    const logger = recordingLogger();
    const units = await expandUnits(
      [
        {
          type: 'values',
          name: 'envs',
          files: 'envs/*.{yaml,yml}',
          images: [frontend],
          publish,
          environments: new Map(),
        },
      ],
      filesOf(['envs/prod.yaml', 'envs/prod.yml', 'envs/dev.yaml']),
      logger,
    );
    expect(units.map((unit) => [unit.environment, unit.file])).toEqual([
      ['dev', 'envs/dev.yaml'],
      ['prod', 'envs/prod.yaml'],
    ]);
    expect(logger.warnings()).toEqual([
      'target envs: envs/prod.yml and envs/prod.yaml both belong to environment `prod`; only envs/prod.yaml is updated. Keep one values file per environment.',
    ]);
  });

  it('a plain values path is one unit without environment; a glob matching nothing warns', async () => {
    const logger = recordingLogger();
    const units = await expandUnits(
      [
        {
          type: 'values',
          name: 'one',
          files: 'helm/values.yaml',
          images: [frontend],
          publish,
          environments: new Map(),
        },
        {
          type: 'values',
          name: 'none',
          files: 'nowhere/*/values.yaml',
          images: [frontend],
          publish,
          environments: new Map(),
        },
      ],
      filesOf(['helm/values.yaml']),
      logger,
    );
    expect(units.map((unit) => [unit.target, unit.environment, unit.file])).toEqual([
      ['one', undefined, 'helm/values.yaml'],
    ]);
    expect(logger.warnings()).toEqual([
      'Target "none": no file matches nowhere/*/values.yaml; nothing to update.',
    ]);
  });
});
