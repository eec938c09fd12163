/**
 * The verification gate in the job, end to end on a checkout and the real registry: the
 * resolver walks the ranking, skips unsigned or badly signed builds with a reason, keeps the
 * current tag when nothing newer is verified, rejects an event for an unsigned tag, and stops on
 * a missing key before any registry request.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { ConfigurationError, PayloadError } from '../../src/core/errors.js';
import { runJob } from '../../src/job/job.js';
import { MetadataCache } from '../../src/registry/cache.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { createLocalChartFiles } from '../../src/workspace/local/files.js';
import { createLocalWorkspace } from '../../src/workspace/local/workspace.js';
import { recordingLogger } from '../config/chart-files.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { cosignSign, generateKey } from './signing.js';

const noRunnerFiles = (): undefined => undefined;
let registry: RunningRegistry;
const signer = generateKey('ecdsa-p256');
const stranger = generateKey('ecdsa-p256');
const directories: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.close();
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

let repositoryCount = 0;
/** A repository with builds 1..n, one minute apart (build n is the newest). */
async function builds(count: number) {
  repositoryCount += 1;
  const repository = `team/app${repositoryCount}`;
  const pushed = [];
  for (let build = 1; build <= count; build += 1) {
    const tag = `main-${String(build).padStart(7, '0')}`;
    const image = await registry.push(repository, tag, {
      created: new Date(Date.UTC(2026, 0, 1, 0, build)),
    });
    pushed.push({ tag, ...image });
  }
  return { repository, pushed };
}

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'verify-gate-'));
  directories.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

function inputs(repository: string, overrides: Partial<RawInputs> = {}): RawInputs {
  return {
    ...defaultInputs(),
    images: `app=${registry.host}/${repository}`,
    'write-back-target': 'values',
    'values-files': 'values.yaml',
    'insecure-registries': registry.host,
    verify: 'cosign-key',
    'verify-key': 'cosign.pub',
    cache: 'false',
    ...overrides,
  };
}

async function run(
  dir: string,
  raw: RawInputs,
  options: { trigger?: Parameters<typeof runJob>[0]['trigger']; cache?: MetadataCache } = {},
) {
  const logger = recordingLogger();
  const settings = await loadSettings(raw, createLocalChartFiles(dir), {}, logger, noRunnerFiles);
  const client = createRegistryClient({
    settings: settings.registry,
    logger,
    cache: options.cache,
    retry: { maxAttempts: 1 },
  });
  try {
    const report = await runJob({
      settings,
      trigger: options.trigger ?? { kind: 'all', event: 'schedule' },
      workspace: createLocalWorkspace(dir, logger),
      registry: client,
      logger,
      now: () => new Date('2026-02-01T00:00:00Z'),
      env: {},
    });
    return { report, logger };
  } finally {
    await client.close();
  }
}

const values = (tag: string): string => `app:\n  image: x\n  tag: ${tag}\n`;

describe('the verification gate in the job', () => {
  it('skips the unsigned newest build and a build signed by another key for an older signed one', async () => {
    const { repository, pushed } = await builds(4);
    const [first, second, third, fourth] = pushed as [
      (typeof pushed)[0],
      (typeof pushed)[0],
      (typeof pushed)[0],
      (typeof pushed)[0],
    ];
    await cosignSign(registry, repository, first.digest, signer);
    await cosignSign(registry, repository, second.digest, signer);
    await cosignSign(registry, repository, third.digest, stranger);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': values(first.tag),
    });
    const { report } = await run(dir, inputs(repository));
    const decision = report.decisions[0]?.decision;
    expect(decision?.chosen).toBe(second.tag);
    expect(decision?.reason).toContain(`${fourth.tag}: no valid signature for key cosign.pub`);
    expect(decision?.reason).toContain(`${third.tag}: no valid signature for key cosign.pub`);
    expect(decision?.counts.skipped['unverified']).toBe(2);
    expect(decision?.verification?.[0]).toMatch(/^cosign key cosign\.pub \(SHA256:[0-9a-f]{64}\)/);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(
      `app:\n  image: ${registry.host}/${repository}\n  tag: ${second.tag}\n`,
    );
    expect(report.updates.map((update) => update.to)).toContain(second.tag);
  });

  it('keeps the current tag when nothing newer is verified', async () => {
    const { repository, pushed } = await builds(3);
    const [first] = pushed as [(typeof pushed)[0]];
    await cosignSign(registry, repository, first.digest, signer);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': values(first.tag),
    });
    const { report } = await run(dir, inputs(repository));
    const decision = report.decisions[0]?.decision;
    expect(decision?.chosen).toBe(first.tag);
    expect(decision?.changed).toBe(false);
    expect(decision?.reason).toMatch(
      /^keeping main-0000001 \(current\): every newer tag was skipped/,
    );
    expect(report.updates).toHaveLength(0);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values(first.tag));
  });

  it('writes nothing when no tag at all is verified and nothing is written yet', async () => {
    const { repository } = await builds(2);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': 'app:\n  image: x\n',
    });
    const { report } = await run(dir, inputs(repository));
    expect(report.decisions[0]?.decision.chosen).toBeUndefined();
    expect(report.decisions[0]?.decision.reason).toMatch(/^no tag qualifies/);
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe('app:\n  image: x\n');
  });

  it('rejects an event naming an unsigned tag, and writes nothing', async () => {
    const { repository, pushed } = await builds(2);
    const [first, second] = pushed as [(typeof pushed)[0], (typeof pushed)[0]];
    await cosignSign(registry, repository, first.digest, signer);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': values(first.tag),
    });
    const trigger = {
      kind: 'image' as const,
      event: 'repository_dispatch',
      image: `${registry.host}/${repository}`,
      tag: second.tag,
      digest: undefined,
    };
    const attempt = run(dir, inputs(repository), { trigger });
    await expect(attempt).rejects.toBeInstanceOf(PayloadError);
    await expect(run(dir, inputs(repository), { trigger })).rejects.toThrow(
      `client_payload.tag "${second.tag}" of app (${registry.host}/${repository}) fails verification: no valid signature for key cosign.pub; nothing was written`,
    );
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe(values(first.tag));
  });

  it('accepts an event naming a signed tag', async () => {
    const { repository, pushed } = await builds(2);
    const [first, second] = pushed as [(typeof pushed)[0], (typeof pushed)[0]];
    await cosignSign(registry, repository, second.digest, signer);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': values(first.tag),
    });
    const trigger = {
      kind: 'image' as const,
      event: 'repository_dispatch',
      image: `${registry.host}/${repository}`,
      tag: second.tag,
      digest: second.digest,
    };
    const { report } = await run(dir, inputs(repository), { trigger });
    expect(report.decisions[0]?.decision.chosen).toBe(second.tag);
    expect(report.decisions[0]?.decision.verification).toHaveLength(1);
  });

  it('stops on a missing key file before any registry request', async () => {
    const { repository } = await builds(1);
    const dir = await checkout({ 'values.yaml': values('main-0000001') });
    await registry.resetRequestCounts();
    const attempt = run(dir, inputs(repository, { 'verify-key': 'keys/cosign.pub' }));
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(run(dir, inputs(repository, { 'verify-key': 'keys/cosign.pub' }))).rejects.toThrow(
      'input verify: verify-key keys/cosign.pub does not exist in the chart repository',
    );
    expect((await registry.requestCounts()).total).toBe(0);
  });

  it('stops on a key file that is not a public key, and on an unset env: key', async () => {
    const { repository } = await builds(1);
    const dir = await checkout({
      'cosign.pub': 'not a key\n',
      'values.yaml': values('main-0000001'),
    });
    await registry.resetRequestCounts();
    await expect(run(dir, inputs(repository))).rejects.toThrow(
      /verify-key cosign\.pub is not a PEM public key/,
    );
    await expect(
      run(dir, inputs(repository, { 'verify-key': 'env:COSIGN_PUBLIC_KEY' })),
    ).rejects.toThrow(
      'verify-key env:COSIGN_PUBLIC_KEY: the environment variable COSIGN_PUBLIC_KEY is not set or empty',
    );
    expect((await registry.requestCounts()).total).toBe(0);
  });

  it('verifies a warm run from the metadata cache with no signature request', async () => {
    const { repository, pushed } = await builds(3);
    for (const image of pushed) await cosignSign(registry, repository, image.digest, signer);
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': values('main-0000001'),
    });
    const cache = new MetadataCache();
    await run(dir, inputs(repository), { cache });
    await writeFile(path.join(dir, 'values.yaml'), values('main-0000001'));
    await registry.resetRequestCounts();
    const { report } = await run(dir, inputs(repository), { cache });
    expect(report.decisions[0]?.decision.chosen).toBe('main-0000003');
    const counts = await registry.requestCounts();
    // The tag list only: metadata and verification both come from the cache.
    expect(counts.byKind).toEqual({ 'GET base': 1, 'GET tags': 1 });
  });

  it("pins a followed tag's new digest only when it verifies (digest strategy)", async () => {
    repositoryCount += 1;
    const repository = `team/digest${repositoryCount}`;
    const unsigned = await registry.push(repository, 'latest', {
      created: new Date(Date.UTC(2026, 0, 2)),
    });
    const dir = await checkout({
      'cosign.pub': signer.publicPem,
      'values.yaml': 'app:\n  image: x\n',
    });
    const raw = inputs(repository, { 'update-strategy': 'digest' });
    const refused = await run(dir, raw);
    expect(refused.report.decisions[0]?.decision.chosen).toBeUndefined();
    expect(refused.report.decisions[0]?.decision.reason).toBe(
      `latest now points at ${unsigned.digest}, but it is not verified: no valid signature for key cosign.pub; nothing written yet.`,
    );
    expect(await readFile(path.join(dir, 'values.yaml'), 'utf8')).toBe('app:\n  image: x\n');
    await cosignSign(registry, repository, unsigned.digest, signer);
    const accepted = await run(dir, raw);
    expect(accepted.report.decisions[0]?.decision.chosen).toBe(`latest@${unsigned.digest}`);
    expect(accepted.report.decisions[0]?.decision.verification).toHaveLength(1);
  });
});
