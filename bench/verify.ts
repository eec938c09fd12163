/**
 * The verification gate's cost against the real registry: one image with 2 000 `main-*` tags,
 * the three newest unsigned and the next ones signed with a cosign key (`.sig` tag). The same
 * scheduled job runs cold and warm (metadata cache kept), without `verify` and with
 * `verify: cosign-key`; the table shows registry requests per run and the extra ones verification
 * costs. Run: `node --import tsx bench/verify.ts [--out FILE]`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '../src/config/load.js';
import { defaultInputs, type RawInputs } from '../src/config/inputs.js';
import { silentLogger } from '../src/core/logging.js';
import { runJob } from '../src/job/job.js';
import { MetadataCache } from '../src/registry/cache.js';
import { createRegistryClient } from '../src/registry/client.js';
import { createLocalChartFiles } from '../src/workspace/local/files.js';
import { createLocalWorkspace } from '../src/workspace/local/workspace.js';
import { startRegistry } from '../__tests__/harness/registry/index.js';
import { cosignSign, generateKey } from '../__tests__/verify/signing.js';

const TAGS = 2000;
const UNSIGNED_NEWEST = 3;
const SIGNED = 5;

const { values: args } = parseArgs({ options: { out: { type: 'string' } } });
const registry = await startRegistry();
const key = generateKey('ecdsa-p256');
const repository = 'bench/verified';
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-verify-'));
try {
  const images = Array.from({ length: TAGS }, (_, index) => ({
    tag: `main-${index.toString(16).padStart(7, '0')}`,
    image: { created: new Date(Date.UTC(2026, 0, 1) + index * 60_000) },
  }));
  const pushed = await registry.seed(repository, images);
  for (let index = TAGS - UNSIGNED_NEWEST - SIGNED; index < TAGS - UNSIGNED_NEWEST; index += 1) {
    await cosignSign(registry, repository, (pushed[index] as { digest: string }).digest, key);
  }
  await writeFile(path.join(dir, 'cosign.pub'), key.publicPem);
  const initial = 'app:\n  image: x\n  tag: main-0000000\n';

  const run = async (
    raw: RawInputs,
    cache: MetadataCache,
  ): Promise<{ requests: number; chosen: string | undefined; ms: number }> => {
    await writeFile(path.join(dir, 'values.yaml'), initial);
    const settings = await loadSettings(
      raw,
      createLocalChartFiles(dir),
      {},
      silentLogger,
      () => undefined,
    );
    const client = createRegistryClient({
      settings: settings.registry,
      logger: silentLogger,
      cache,
    });
    await registry.resetRequestCounts();
    const started = performance.now();
    try {
      const report = await runJob({
        settings,
        trigger: { kind: 'all', event: 'schedule' },
        workspace: createLocalWorkspace(dir, silentLogger),
        registry: client,
        logger: silentLogger,
        now: () => new Date('2026-06-01T00:00:00Z'),
        dryRun: true,
        env: {},
      });
      const ms = performance.now() - started;
      return {
        requests: (await registry.requestCounts()).total,
        chosen: report.decisions[0]?.decision.chosen,
        ms,
      };
    } finally {
      await client.close();
    }
  };
  const base: RawInputs = {
    ...defaultInputs(),
    images: `app=${registry.host}/${repository}`,
    'write-back-target': 'values',
    'values-files': 'values.yaml',
    'insecure-registries': registry.host,
  };
  const rows: string[] = [];
  for (const [name, raw] of [
    ['verify: none', base],
    ['verify: cosign-key', { ...base, verify: 'cosign-key', 'verify-key': 'cosign.pub' }],
  ] as const) {
    const cache = new MetadataCache();
    const cold = await run(raw, cache);
    const warm = await run(raw, cache);
    rows.push(
      `| ${name} | ${cold.requests} | ${warm.requests} | ${cold.chosen ?? '—'} | ${cold.ms.toFixed(0)} / ${warm.ms.toFixed(0)} |`,
    );
  }
  const table = [
    `Verification cost: ${TAGS} tags, the ${UNSIGNED_NEWEST} newest unsigned, the next ${SIGNED} signed with a cosign key (\`.sig\`); registry 2.8 (no referrers API); dry run.`,
    '',
    '| run | requests cold | requests warm | chosen | ms cold / warm |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (args.out) await writeFile(args.out, table);
} finally {
  await rm(dir, { recursive: true, force: true });
  await registry.close();
}
