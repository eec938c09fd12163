import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../src/core/errors.js';
import { triggerFromEvent } from '../../src/job/events.js';

const digest = `sha256:${'a'.repeat(64)}`;
const dispatch = (clientPayload: unknown, action = 'image-pushed') => ({
  name: 'repository_dispatch',
  payload: { action, client_payload: clientPayload },
  dispatchTypes: ['image-pushed'],
});
const ghcr = (tag: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'registry_package',
  payload: {
    action: 'published',
    registry_package: {
      name: 'Frontend',
      namespace: 'acme',
      package_type: 'CONTAINER',
      package_version: { container_metadata: { tag: { name: tag, digest } } },
      ...extra,
    },
  },
  dispatchTypes: ['image-pushed'],
});

describe('triggerFromEvent', () => {
  it.each(['schedule', 'workflow_dispatch', 'push'])('%s resolves every image', (name) => {
    expect(triggerFromEvent({ name, payload: {}, dispatchTypes: [] })).toEqual({
      kind: 'all',
      event: name,
    });
  });

  it.each([
    ['success', 'all'],
    ['failure', 'skip'],
    ['cancelled', 'skip'],
    [undefined, 'skip'],
  ])('workflow_run concluded %s → %s', (conclusion, kind) => {
    const trigger = triggerFromEvent({
      name: 'workflow_run',
      payload: { workflow_run: { conclusion, name: 'build' } },
      dispatchTypes: [],
    });
    expect(trigger.kind).toBe(kind);
    if (trigger.kind === 'skip') expect(trigger.reason).toContain('"build"');
  });

  it('repository_dispatch with a configured type names the image, tag and digest', () => {
    expect(
      triggerFromEvent(dispatch({ image: 'lyzhang1999/frontend', tag: 'main-b99bc73', digest })),
    ).toEqual({
      kind: 'image',
      event: 'repository_dispatch',
      image: 'lyzhang1999/frontend',
      tag: 'main-b99bc73',
      digest,
    });
  });

  it('repository_dispatch of another type is skipped', () => {
    const trigger = triggerFromEvent(dispatch({ image: 'a/b', tag: 'x' }, 'deploy'));
    expect(trigger).toMatchObject({ kind: 'skip' });
  });

  it.each([
    [{ image: 'a/b' }, 'client_payload.tag must be an OCI tag', 'nothing'],
    [
      { image: 'a/b', tag: 'main-1\nrm -rf /' },
      'client_payload.tag must be an OCI tag',
      '"main-1\\nrm -rf /"',
    ],
    [{ image: 'a/b', tag: '$(id)' }, 'client_payload.tag must be an OCI tag', '"$(id)"'],
    [{ image: 'a/b', tag: '.hidden' }, 'client_payload.tag must be an OCI tag', '".hidden"'],
    [{ image: 'a/b', tag: 'x'.repeat(129) }, 'client_payload.tag must be an OCI tag', '...'],
    [{ image: 'A B', tag: 'v1' }, 'client_payload.image must be an image repository', '"A B"'],
    [{ image: 42, tag: 'v1' }, 'client_payload.image must be an image repository', '42'],
    [
      { image: 'a/b', tag: 'v1', digest: 'sha256:abc' },
      'client_payload.digest must be',
      '"sha256:abc"',
    ],
    [{ image: 'a/b', tag: 'v1', digest: 7 }, 'client_payload.digest must be', '7'],
    [
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])),
      'client_payload has 11 keys; GitHub allows at most 10',
      '',
    ],
    ['a string', 'client_payload must be an object', ''],
    [null, 'client_payload must be an object', ''],
  ])('rejects client_payload %j', (clientPayload, message, shown) => {
    const attempt = () => triggerFromEvent(dispatch(clientPayload));
    expect(attempt).toThrow(PayloadError);
    expect(attempt).toThrow(message);
    if (shown) expect(attempt).toThrow(shown);
  });

  it('registry_package reads the tag and digest from container_metadata', () => {
    expect(triggerFromEvent(ghcr('main-b99bc73'))).toEqual({
      kind: 'image',
      event: 'registry_package',
      image: 'ghcr.io/acme/frontend',
      tag: 'main-b99bc73',
      digest,
    });
  });

  it('registry_package without a tag (a child manifest of a multi-arch push) is skipped', () => {
    expect(triggerFromEvent(ghcr(''))).toMatchObject({ kind: 'skip' });
  });

  it('registry_package of a non-container package is skipped', () => {
    expect(triggerFromEvent(ghcr('1.0.0', { package_type: 'npm' }))).toMatchObject({
      kind: 'skip',
    });
  });

  it('registry_package with a hostile tag is rejected', () => {
    expect(() => triggerFromEvent(ghcr('v1;curl x'))).toThrow(
      'registry_package.package_version.container_metadata.tag.tag must be an OCI tag',
    );
  });
});
