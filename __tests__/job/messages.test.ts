/**
 * What a run says, through the library entry points (`createRegistryClient` + `runJob` on a local
 * checkout) against the real registry: one decision line per image and unit on a dispatch, and
 * failures on a shared host that name their own image and give the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadSettings } from '../../src/config/load.js';
import { runJob, type JobOptions } from '../../src/job/job.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { createLocalWorkspace } from '../../src/workspace/local/workspace.js';
import { recordingLogger } from '../harness/recording-logger.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { makeCheckout, removeCheckout } from '../reliability/checkout.js';

let registry: RunningRegistry;

beforeAll(async () => {
  registry = await startRegistry();
  for (const [tag, created] of [
    ['main-1', '2024-01-01T00:00:00Z'],
    ['main-2', '2024-02-01T00:00:00Z'],
  ] as const) {
    await registry.push('team/app', tag, { created });
    await registry.push('team/other', tag, { created });
  }
}, 60_000);

afterAll(async () => {
  await registry?.close();
});

/** Two targets using `app`, one also using `other`. */
function chart(): Record<string, string> {
  const app = `${registry.host}/team/app`;
  const other = `${registry.host}/team/other`;
  return {
    '.github/helm-image-updater.yml': `images:
  app: { repository: ${app} }
  other: { repository: ${other} }
targets:
  - name: dev
    type: values
    files: dev/values.yaml
    images: [app, other]
  - name: prod
    type: values
    files: prod/values.yaml
    images: [app]
`,
    'dev/values.yaml': `app:\n  image: ${app}\n  tag: main-1\nother:\n  image: ${other}\n  tag: main-1\n`,
    'prod/values.yaml': `app:\n  image: ${app}\n  tag: main-1\n`,
  };
}

async function run(
  trigger: JobOptions['trigger'],
  inputs: Partial<RawInputs> = {},
): Promise<{ lines: string[]; errors: readonly { image: string | undefined; message: string }[] }> {
  const dir = await makeCheckout(chart());
  const logger = recordingLogger();
  try {
    const raw: RawInputs = {
      ...defaultInputs(),
      'insecure-registries': registry.host,
      cache: 'false',
      ...inputs,
    };
    const workspace = createLocalWorkspace(dir, logger);
    const settings = await loadSettings(raw, await workspace.baseFiles(), {}, logger);
    const client = createRegistryClient({
      settings: settings.registry,
      logger,
      retry: { maxAttempts: 2, baseDelayMs: 10 },
    });
    try {
      const report = await runJob({
        settings,
        workspace,
        registry: client,
        logger,
        trigger,
        now: () => new Date('2024-06-01T00:00:00Z'),
        dryRun: true,
      });
      return {
        lines: logger.lines.map((line) => `${line.level}: ${line.message}`),
        errors: report.errors,
      };
    } finally {
      await client.close();
    }
  } finally {
    await removeCheckout(dir);
  }
}

describe('messages of a run', () => {
  it('a dispatch prints one decision line per image and unit, none provisional', async () => {
    const { lines, errors } = await run({
      kind: 'image',
      event: 'repository_dispatch',
      image: `${registry.host}/team/app`,
      tag: 'main-2',
      digest: undefined,
    });
    expect(errors).toEqual([]);
    const decisions = lines.filter((line) => line.includes(`app (${registry.host}/team/app):`));
    expect(decisions).toEqual([
      expect.stringContaining('main-2 is the newest build'),
      expect.stringContaining('main-2 is the newest build'),
    ]);
    expect(lines.join('\n')).not.toContain('nothing written yet');
  });

  it('a plain-HTTP registry not in insecure-registries: the hint, in the name of each image', async () => {
    const { errors } = await run({ kind: 'all', event: 'schedule' }, { 'insecure-registries': '' });
    expect(errors.map((error) => error.image).sort()).toEqual(['app', 'app', 'other']);
    for (const error of errors) {
      const repository = error.image === 'app' ? 'team/app' : 'team/other';
      expect(error.message).toMatch(new RegExp(`^${registry.host}/${repository}: `));
      expect(error.message).toContain(
        `the registry answered in plain HTTP, not TLS. If ${registry.host} is meant to be reached over plain HTTP, list it in insecure-registries`,
      );
      expect(error.message).not.toContain('EPROTO');
    }
  });
});
