/**
 * A run whose request budget is too small for one large image, through the one run pipeline
 * (`runPipeline`, as the action and the command line call it) against the real registry: the
 * budget is shared fairly, the large image is kept with a warning, and the outcome says
 * `incomplete` — failing the run only when `fail-on-incomplete` is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { failureMessage, outcomeOutputs, outcomeRecord } from '../../src/job/outcome.js';
import { outcomeFailed, runPipeline, type RunOutcome } from '../../src/job/run.js';
import { createLocalWorkspace } from '../../src/workspace/local/workspace.js';
import { recordingLogger } from '../harness/recording-logger.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { makeCheckout, removeCheckout } from '../reliability/checkout.js';

let registry: RunningRegistry;
const BIG_TAGS = 80;

beforeAll(async () => {
  registry = await startRegistry();
  await registry.pushMany(
    'team/big',
    Array.from({ length: BIG_TAGS }, (_, index) => ({
      tag: `main-${String(index).padStart(3, '0')}`,
      image: { created: new Date(Date.UTC(2024, 0, 1, 0, index)) },
    })),
  );
  await registry.push('team/small', 'main-1', { created: '2024-01-01T00:00:00Z' });
  await registry.push('team/small', 'main-2', { created: '2024-02-01T00:00:00Z' });
}, 120_000);

afterAll(async () => {
  await registry?.close();
});

async function run(inputs: Partial<RawInputs>): Promise<{ outcome: RunOutcome; lines: string[] }> {
  const big = `${registry.host}/team/big`;
  const small = `${registry.host}/team/small`;
  const dir = await makeCheckout({
    'values.yaml': `big:\n  image: ${big}\n  tag: main-000\nsmall:\n  image: ${small}\n  tag: main-1\n`,
  });
  const logger = recordingLogger();
  try {
    const outcome = await runPipeline({
      inputs: {
        ...defaultInputs(),
        images: `big=${big},small=${small}`,
        'allow-tags': 'any',
        'write-back-target': 'values',
        'values-files': 'values.yaml',
        'insecure-registries': registry.host,
        'registry-concurrency': '4',
        cache: 'false',
        ...inputs,
      },
      env: {},
      readEvent: () => Promise.resolve({ name: 'schedule', payload: {} }),
      openWorkspace: () => createLocalWorkspace(dir, logger),
      restoreCache: () => Promise.resolve(undefined),
      logger,
      now: () => new Date('2024-06-01T00:00:00Z'),
      dryRun: true,
    });
    return { outcome, lines: logger.lines.map((line) => `${line.level}: ${line.message}`) };
  } finally {
    await removeCheckout(dir);
  }
}

describe('a request budget too small for one image', () => {
  it('shares the budget: the small image is decided, the large one kept, and the run says incomplete', async () => {
    // 40 requests: the small image needs about 8, the large one about 2 per tag.
    const { outcome, lines } = await run({ 'request-budget': '40' });
    expect(outcome.kind).toBe('finished');
    if (outcome.kind !== 'finished') return;
    const decisions = outcome.report.decisions.map((entry) => entry.decision);
    expect(decisions.find((decision) => decision.alias === 'small')).toMatchObject({
      chosen: 'main-2',
      changed: true,
    });
    expect(decisions.find((decision) => decision.alias === 'big')).toMatchObject({
      chosen: 'main-000',
      changed: false,
      incomplete: true,
    });
    expect(outcome.incomplete).toEqual(['big (values)']);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: The run is incomplete: 1 image kept its value without a decision because the request budget or a registry rate limit ran out: big \(values\)\..*set fail-on-incomplete to fail such runs\.$/,
      ),
    );
    expect(outcomeOutputs(outcome).incomplete).toBe('true');
    expect(outcomeRecord(outcome)).toMatchObject({ incomplete: true });
    expect(outcomeFailed(outcome)).toBe(false);
    expect(failureMessage(outcome)).toBeUndefined();
  }, 60_000);

  it('fail-on-incomplete fails such a run, naming the images', async () => {
    const { outcome } = await run({ 'request-budget': '40', 'fail-on-incomplete': 'true' });
    expect(outcomeFailed(outcome)).toBe(true);
    expect(failureMessage(outcome)).toContain(
      'the run is incomplete and fail-on-incomplete is set: big (values)',
    );
  }, 60_000);

  it('a budget large enough: complete, nothing fails', async () => {
    const { outcome } = await run({ 'fail-on-incomplete': 'true' });
    expect(outcome.kind === 'finished' && outcome.incomplete).toEqual([]);
    expect(outcomeOutputs(outcome).incomplete).toBe('false');
    expect(outcomeFailed(outcome)).toBe(false);
  }, 60_000);

  it('fail-on-incomplete that is not a boolean is a configuration error before any request', async () => {
    await registry.resetRequestCounts();
    const { outcome } = await run({ 'fail-on-incomplete': 'sometimes' });
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.message).toContain('fail-on-incomplete');
    expect((await registry.requestCounts()).total).toBe(0);
  });
});
