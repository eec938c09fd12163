import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/core/errors.js';
import { MAX_FILE_BYTES } from '../../../src/core/files.js';
import { createLocalChartFiles } from '../../../src/workspace/local/files.js';

let dir: string;
let outside: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-files-'));
  outside = await mkdtemp(join(tmpdir(), 'local-files-outside-'));
  await writeFile(join(outside, 'secret.txt'), 'top secret');
  await mkdir(join(dir, 'helm-env/env/dev'), { recursive: true });
  await mkdir(join(dir, 'helm-env/env/prod'), { recursive: true });
  await mkdir(join(dir, 'helm/templates'), { recursive: true });
  await mkdir(join(dir, '.git'), { recursive: true });
  await mkdir(join(dir, 'node_modules/pkg'), { recursive: true });
  await writeFile(join(dir, 'helm-env/env/dev/values.yaml'), 'tag: dev\n');
  await writeFile(join(dir, 'helm-env/env/prod/values.yaml'), 'tag: prod');
  await writeFile(join(dir, 'helm/values.yaml'), 'frontend:\n  tag: a\n');
  await writeFile(join(dir, 'helm/.argocd-source-example.yaml'), 'helm: {}\n');
  await writeFile(join(dir, 'helm/templates/frontend.yaml'), 'kind: Deployment\n');
  await writeFile(join(dir, '.git/config.yaml'), 'not: chart\n');
  await writeFile(join(dir, 'node_modules/pkg/x.yaml'), 'not: chart\n');
  await writeFile(join(dir, 'big.yaml'), Buffer.alloc(MAX_FILE_BYTES + 1, 0x61));
  await writeFile(join(dir, 'exact.yaml'), Buffer.alloc(MAX_FILE_BYTES, 0x61));
  await symlink('/etc/passwd', join(dir, 'passwd.yaml'));
  await symlink(outside, join(dir, 'linked-dir'));
  await mkdir(join(dir, 'helm-env/env/linked'), { recursive: true });
  await symlink(join(outside, 'secret.txt'), join(dir, 'helm-env/env/linked/values.yaml'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('createLocalChartFiles().read', () => {
  it.each([
    ['helm-env/env/dev/values.yaml', 'tag: dev\n'],
    ['./helm-env/env/prod/values.yaml', 'tag: prod'],
    ['helm//values.yaml', 'frontend:\n  tag: a\n'],
    ['helm/.argocd-source-example.yaml', 'helm: {}\n'],
  ])('reads %s', async (path, expected) => {
    await expect(createLocalChartFiles(dir).read(path)).resolves.toBe(expected);
  });

  it.each(['missing.yaml', 'helm/missing/values.yaml', 'helm/values.yaml/below'])(
    'returns undefined for the missing file %s',
    async (path) => {
      await expect(createLocalChartFiles(dir).read(path)).resolves.toBeUndefined();
    },
  );

  it('reads a file of exactly the size limit', async () => {
    const text = await createLocalChartFiles(dir).read('exact.yaml');
    expect(text?.length).toBe(MAX_FILE_BYTES);
  });

  it.each([
    ['../x', /`\.\.\/x` contains `\.\.`/],
    ['helm/../../etc/passwd', /contains `\.\.`/],
    ['/etc/passwd', /`\/etc\/passwd` is absolute/],
    ['C:/Windows/win.ini', /is absolute/],
    ['helm\\values.yaml', /uses `\\`/],
    ['helm/values.yaml\0.txt', /NUL character/],
    ['passwd.yaml', /`passwd\.yaml` is a symbolic link/],
    ['linked-dir/secret.txt', /`linked-dir` is a symbolic link/],
    ['helm-env/env/linked/values.yaml', /is a symbolic link/],
    [
      'big.yaml',
      new RegExp(`is ${MAX_FILE_BYTES + 1} bytes, above the limit of ${MAX_FILE_BYTES}`),
    ],
    ['helm', /is not a regular file/],
    ['.', /is the repository root/],
  ])('refuses %s', async (path, message) => {
    const read = createLocalChartFiles(dir).read(path);
    await expect(read).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createLocalChartFiles(dir).read(path)).rejects.toThrow(message);
  });
});

describe('createLocalChartFiles().glob', () => {
  it.each([
    [
      'helm-env/env/*/values.yaml',
      ['helm-env/env/dev/values.yaml', 'helm-env/env/prod/values.yaml'],
    ],
    ['helm/values.yaml', ['helm/values.yaml']],
    ['helm/*.yaml', ['helm/.argocd-source-example.yaml', 'helm/values.yaml']],
    ['helm/templates', []],
    ['nothing/*/values.yaml', []],
    ['linked-dir/*', []],
    [
      '**/*.{yaml,yml}',
      [
        'big.yaml',
        'exact.yaml',
        'helm-env/env/dev/values.yaml',
        'helm-env/env/prod/values.yaml',
        'helm/.argocd-source-example.yaml',
        'helm/templates/frontend.yaml',
        'helm/values.yaml',
      ],
    ],
  ])('%s matches regular files only, skipping .git and node_modules', async (pattern, expected) => {
    await expect(createLocalChartFiles(dir).glob(pattern)).resolves.toEqual(expected);
  });

  it.each(['../*', '/etc/*', 'a/../../*'])('refuses the pattern %s', async (pattern) => {
    await expect(createLocalChartFiles(dir).glob(pattern)).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it('stops a walk that visits too many entries', async () => {
    const files = createLocalChartFiles(dir, { maxWalkEntries: 6 });
    await expect(files.glob('**/*.yaml')).rejects.toThrow(
      'glob `**/*.yaml` walks more than 6 entries; use a narrower pattern.',
    );
    // A glob whose literal prefix is small stays within the same bound.
    await expect(files.glob('helm-env/env/*/values.yaml')).resolves.toHaveLength(2);
  });
});
