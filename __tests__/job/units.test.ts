import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { ImageSettings, PublishPolicy, TargetSettings } from '../../src/config/settings.js';
import type { ChartFiles } from '../../src/core/files.js';
import { silentLogger, type Logger } from '../../src/core/logging.js';
import { environmentName, expandUnits } from '../../src/job/units.js';

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
    glob: (pattern) => Promise.resolve(paths.filter((file) => picomatch(pattern)(file)).sort()),
  };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warning: (message) => warnings.push(message), warnings };
}

describe('environmentName', () => {
  it.each([
    ['helm-env/env/*/values.yaml', 'helm-env/env/dev/values.yaml', 'dev'],
    ['envs/*.yaml', 'envs/prod.yaml', 'prod'],
    ['charts/*/env/*/values.yaml', 'charts/web/env/qa/values.yaml', 'web'],
    ['env/*/values.yaml', 'env/staging/values.yaml', 'staging'],
  ])('%s + %s → %s', (glob, file, name) => {
    expect(environmentName(glob, file)).toBe(name);
  });
});

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
    expect(logger.warnings).toEqual([
      'Target "environments": environment "qa" is configured but no file matching helm-env/env/*/values.yaml belongs to it.',
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
    expect(logger.warnings).toEqual([
      'Target "none": no file matches nowhere/*/values.yaml; nothing to update.',
    ]);
  });
});
