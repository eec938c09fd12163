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

describe('createLocalChartFiles: the checkout directory', () => {
  it('names a directory that does not exist', () => {
    const missing = join(dir, 'no-such-dir');
    expect(() => createLocalChartFiles(missing)).toThrow(
      new ConfigurationError(
        `the checkout directory \`${missing}\` does not exist; point the directory option (--dir) at a checkout of the chart repository.`,
      ),
    );
  });

  it('names a path that is a file', () => {
    const file = join(dir, 'helm/values.yaml');
    expect(() => createLocalChartFiles(file)).toThrow(
      `the checkout directory \`${file}\` is a file, not a directory;`,
    );
  });
});

describe('createLocalChartFiles: symbolic links under a glob', () => {
  let links: string;

  beforeAll(async () => {
    links = await mkdtemp(join(tmpdir(), 'local-links-'));
    await mkdir(join(links, 'env/dev'), { recursive: true });
    await writeFile(join(links, 'env/dev/values.yaml'), 'tag: dev\n');
    // A linked environment inside the checkout, one pointing outside, a loop, a dangling link,
    // a linked values file, and a link the glob cannot reach.
    await symlink('dev', join(links, 'env/qa'));
    await symlink(outside, join(links, 'env/outside'));
    await symlink('loop', join(links, 'env/loop'));
    await symlink('missing', join(links, 'env/dangling'));
    await mkdir(join(links, 'env/prod'));
    await symlink('../dev/values.yaml', join(links, 'env/prod/values.yaml'));
    await symlink('../README.md', join(links, 'env/dev/README.md'));
  });

  afterAll(async () => {
    await rm(links, { recursive: true, force: true });
  });

  it('lists only regular files and warns once about each link, naming it', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warning: (message: string) => warnings.push(message),
      error: () => undefined,
      setSecret: () => undefined,
      group: <T>(_name: string, fn: () => Promise<T>) => fn(),
    };
    const files = createLocalChartFiles(links, { logger });
    // A search that does not update files (the Argo CD manifest search) says nothing.
    await expect(files.glob('env/*/values.yaml')).resolves.toEqual(['env/dev/values.yaml']);
    expect(warnings).toEqual([]);
    const reportLinks = { reportLinks: true };
    await expect(files.glob('env/*/values.yaml', reportLinks)).resolves.toEqual([
      'env/dev/values.yaml',
    ]);
    await files.glob('env/*/values.yaml', reportLinks);
    const linkOf = (message: string): string => message.split(' is a symbolic link')[0] ?? '';
    expect(warnings.map(linkOf)).toEqual([
      '`env/dangling`',
      '`env/loop`',
      '`env/outside`',
      '`env/prod/values.yaml`',
      '`env/qa`',
    ]);
    expect(warnings[0]).toBe(
      '`env/dangling` is a symbolic link in the checkout; it is not followed, so no file behind it is updated for `env/*/values.yaml`. Replace the link with the file or directory, or list the real path.',
    );
  });

  it('warns about a link in the literal part of the glob', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warning: (message: string) => warnings.push(message),
      error: () => undefined,
      setSecret: () => undefined,
      group: <T>(_name: string, fn: () => Promise<T>) => fn(),
    };
    await expect(
      createLocalChartFiles(links, { logger }).glob('env/outside/*.txt', { reportLinks: true }),
    ).resolves.toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^`env\/outside` is a symbolic link in the checkout/);
  });
});

describe('createLocalChartFiles: encodings', () => {
  let encoded: string;

  beforeAll(async () => {
    encoded = await mkdtemp(join(tmpdir(), 'local-encodings-'));
    await writeFile(join(encoded, 'latin1.yaml'), Buffer.from('# caf\xe9\ntag: a\n', 'latin1'));
    await writeFile(join(encoded, 'utf16.yaml'), Buffer.from('\uFEFFtag: a\n', 'utf16le'));
    await writeFile(join(encoded, 'utf16-nobom.yaml'), Buffer.from('tag: a\n', 'utf16le'));
    await writeFile(join(encoded, 'bom.yaml'), '\uFEFFtag: a\n');
  });

  afterAll(async () => {
    await rm(encoded, { recursive: true, force: true });
  });

  it('refuses a file that is not UTF-8 with the offset of the first bad byte', async () => {
    await expect(createLocalChartFiles(encoded).read('latin1.yaml')).rejects.toThrow(
      new ConfigurationError(
        'the encoding is not UTF-8: the bytes at offset 5 (0xE9 0x0A 0x74 0x61) are not a UTF-8 sequence (Latin-1 or Windows-1252 text?); values, override and configuration files must be UTF-8 text, and the file was not changed.',
        { source: 'latin1.yaml' },
      ),
    );
  });

  it.each([
    ['utf16.yaml', 'UTF-16 little-endian (byte order mark FF FE)'],
    ['utf16-nobom.yaml', 'UTF-16 or UTF-32 without a byte order mark (a NUL byte at offset 1)'],
  ])('refuses %s, saying encoding', async (file, encoding) => {
    await expect(createLocalChartFiles(encoded).read(file)).rejects.toThrow(
      `${file}: the encoding is ${encoding}, not UTF-8;`,
    );
  });

  it('keeps a UTF-8 byte order mark in the text', async () => {
    await expect(createLocalChartFiles(encoded).read('bom.yaml')).resolves.toBe('\uFEFFtag: a\n');
  });
});
