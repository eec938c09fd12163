import { describe, expect, it } from 'vitest';
import { environmentName, environmentsOf } from '../../src/config/environments.js';

describe('environmentName', () => {
  it.each([
    ['helm-env/env/*/values.yaml', 'helm-env/env/dev/values.yaml', 'dev'],
    ['envs/*.yaml', 'envs/prod.yaml', 'prod'],
    ['charts/*/env/*/values.yaml', 'charts/web/env/qa/values.yaml', 'web/qa'],
    ['env/*/values.yaml', 'env/staging/values.yaml', 'staging'],
    ['env/*/values.{yaml,yml}', 'env/dev/values.yml', 'dev'],
    ['env/*/*.yaml', 'env/dev/values.yaml', 'dev/values'],
    ['envs/values-*.yaml', 'envs/values-prod.yaml', 'values-prod'],
    ['env/**/values.yaml', 'env/eu/west/values.yaml', 'eu/west'],
    ['env/**/values.yaml', 'env/values.yaml', 'values'],
    ['**/values.yaml', 'charts/web/values.yaml', 'charts/web'],
    ['env/[dp]*/values.yaml', 'env/prod/values.yaml', 'prod'],
    ['env/*.d/values.yaml', 'env/prod.d/values.yaml', 'prod.d'],
  ])('%s + %s → %s', (glob, file, name) => {
    expect(environmentName(glob, file)).toBe(name);
  });
});

describe('environmentsOf', () => {
  it('gives every file of a nested glob its own environment', () => {
    const glob = 'charts/*/env/*/values.yaml';
    const { files, duplicates } = environmentsOf(glob, [
      'charts/web/env/prod/values.yaml',
      'charts/web/env/qa/values.yaml',
    ]);
    expect([...files]).toEqual([
      ['web/prod', 'charts/web/env/prod/values.yaml'],
      ['web/qa', 'charts/web/env/qa/values.yaml'],
    ]);
    expect(duplicates).toEqual([]);
  });
});
