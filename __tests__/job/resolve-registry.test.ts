/**
 * The resolver with the real registry client against a real CNCF registry: tag filters with Go
 * RE2 syntax, hostile tags, build times from wrong clocks and reproducible builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TagPolicy } from '../../src/config/settings.js';
import { resolveImage, resolvePayloadTag } from '../../src/job/resolve.js';
import { createRegistryClient, type ManagedRegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { parseAllowTags } from '../../src/strategy/filter.js';
import { recordingLogger } from '../harness/recording-logger.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { imageWith } from '../strategy/fixtures.js';
import { testRegistrySettings } from '../harness/registry-settings.js';

const NOW = new Date('2024-05-10T12:00:00Z');
const minutes = (count: number) => new Date(NOW.getTime() + count * 60_000);
const HOSTILE = `${'a'.repeat(127)}_`;

let registry: RunningRegistry;
let client: ManagedRegistryClient;

beforeAll(async () => {
  registry = await startRegistry();
  const push = (repository: string, tag: string, created: Date | string, labels = {}) =>
    registry.push(repository, tag, { created, labels });
  await push('team/posix', 'main-1276e23', '2024-05-01T00:00:00Z');
  await push('team/posix', 'main-b99bc73', '2024-05-02T00:00:00Z');
  await push('team/posix', 'main-zzzzzzz', '2024-05-03T00:00:00Z');
  await push('team/posix', HOSTILE, '2024-05-09T00:00:00Z');

  await push('team/clock', 'main-a', '2024-05-01T00:00:00Z');
  await push('team/clock', 'main-b', '2024-05-02T00:00:00Z');
  await push('team/clock', 'main-skew', minutes(2));
  await push('team/clock', 'main-ahead', minutes(10));
  await push('team/clock', 'main-2099', '2099-01-01T00:00:00Z');

  // ko, Jib and rules_oci write the epoch into `created` and keep the real time in a label.
  const epoch = '1970-01-01T00:00:00Z';
  const label = (time: string) => ({ 'org.opencontainers.image.created': time });
  await push('team/ko', 'main-1', epoch, label('2024-05-01T00:00:00Z'));
  await push('team/ko', 'main-3', epoch, label('2024-05-03T00:00:00Z'));
  await push('team/ko', 'main-2', epoch, label('2024-05-02T00:00:00Z'));
  await push('team/ko', 'main-9', epoch, label('2099-01-01T00:00:00Z'));
  await push('team/tied', 'main-a', epoch);
  await push('team/tied', 'main-c', epoch);
  await push('team/tied', 'main-b', epoch);

  client = createRegistryClient({
    settings: testRegistrySettings([registry.host]),
    logger: recordingLogger(),
    retry: { maxAttempts: 2, baseDelayMs: 10 },
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await registry?.close();
});

function input(repository: string, policy: Partial<TagPolicy>, current?: string) {
  const log = recordingLogger();
  const image = { ...imageWith(policy), repository: `${registry.host}/${repository}` };
  return {
    log,
    input: {
      image,
      reference: parseImageReference(image.repository),
      current,
      client,
      logger: log,
      now: () => NOW,
    },
  };
}

const allow = (source: string) =>
  parseAllowTags(`regexp:${source}`, { source: 'input allow-tags' });

describe('allow-tags with Go RE2 syntax against the real registry', () => {
  it('a POSIX class selects the tags Go would select', async () => {
    const { input: run } = input('team/posix', { allowTags: allow('^main-[[:xdigit:]]{7}$') });
    const decision = await resolveImage(run);
    expect(decision).toMatchObject({ chosen: 'main-b99bc73', changed: true });
    expect(decision.counts).toMatchObject({ seen: 4, afterFilter: 2 });
  });

  it('\\A and \\z anchor as in Go', async () => {
    const { input: run } = input('team/posix', { allowTags: allow('\\Amain-[0-9a-z]{7}\\z') });
    expect((await resolveImage(run)).chosen).toBe('main-zzzzzzz');
  });

  it('a catastrophic pattern and a hostile pushed tag finish and pick the newest match', async () => {
    const { input: run } = input('team/posix', { allowTags: allow('^([a-z0-9]+-?)+$') });
    const decision = await resolveImage(run);
    expect(decision.chosen).toBe('main-zzzzzzz');
    expect(decision.counts.skipped).toMatchObject({ notAllowed: 1 });
  }, 20_000);
});

describe('build times are evidence, not truth', () => {
  it('skips builds ahead of the clock with a warning naming tag and time; a little skew is trusted', async () => {
    const { input: run, log } = input('team/clock', {});
    const decision = await resolveImage(run);
    expect(decision.chosen).toBe('main-skew');
    expect(decision.counts.skipped).toEqual({ futureBuild: 2 });
    const warnings = log.warnings();
    expect(warnings).toEqual([
      expect.stringContaining(
        '"main-2099", which was built at 2099-01-01T00:00:00Z by its image config',
      ),
      expect.stringContaining('"main-ahead", which was built at 2024-05-10T12:10:00.000Z'),
    ]);
    expect(decision.reason).toContain('2 built in the future');
  });

  it('a current tag built in the future is no floor: the newest trusted build replaces it', async () => {
    const { input: run, log } = input('team/clock', {}, 'main-2099');
    const decision = await resolveImage(run);
    expect(decision).toMatchObject({ chosen: 'main-skew', changed: true });
    expect(log.warnings()).toContainEqual(
      expect.stringMatching(
        /the current tag "main-2099" was built at 2099-01-01T00:00:00Z .*not trusted, so newer builds may replace it/,
      ),
    );
  });

  it('an event naming a tag built in the future writes nothing and says why', async () => {
    const { input: run } = input('team/clock', {}, 'main-b');
    const decision = await resolvePayloadTag({ ...run, tag: 'main-2099' });
    expect(decision).toMatchObject({ chosen: 'main-b', changed: false });
    expect(decision.reason).toContain('built in the future');
  });

  it('a current tag built in the future does not block an event for a real build', async () => {
    const { input: run } = input('team/clock', {}, 'main-2099');
    const decision = await resolvePayloadTag({ ...run, tag: 'main-b' });
    expect(decision).toMatchObject({ chosen: 'main-b', changed: true });
  });

  it('reproducible builds (created at the epoch) are ordered by their created label', async () => {
    const { input: run, log } = input('team/ko', {});
    const decision = await resolveImage(run);
    expect(decision).toMatchObject({ chosen: 'main-3', tiedWith: [] });
    expect(decision.reason).toContain(
      'main-3 is the newest build (built 2024-05-03T00:00:00Z by its org.opencontainers.image.created label; the image config says 1970-01-01T00:00:00Z)',
    );
    // The label is evidence too: a label in the future is not trusted either.
    expect(log.warnings()).toEqual([
      expect.stringContaining('"main-9", which was built at 2099-01-01T00:00:00Z by its label'),
    ]);
  });

  it('when every candidate ties, the log line says so and how the tie was broken', async () => {
    const { input: run, log } = input('team/tied', {});
    const decision = await resolveImage(run);
    expect(decision.chosen).toBe('main-c');
    expect([...decision.tiedWith].sort()).toEqual(['main-a', 'main-b']);
    const line = log.at('info');
    expect(line).toEqual([
      expect.stringContaining(
        'all 3 candidates have the same build time, so the tag name decided (last in byte order wins)',
      ),
    ]);
  });
});
