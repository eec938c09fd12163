import { describe, expect, it } from 'vitest';
import type { PublishPolicy } from '../../../src/config/settings.js';
import {
  commitMessage,
  pullRequestBody,
  pullRequestTitle,
  stepSummary,
  unitMarker,
} from '../../../src/workspace/github/body.js';
import type { TagMetadata } from '../../../src/registry/types.js';
import type { Decision } from '../../../src/core/decision.js';
import type { ChangeSet, PublishResult, Update } from '../../../src/core/changes.js';

const policy: PublishPolicy = {
  mode: 'pull-request',
  mergeMethod: 'squash',
  labels: [],
  reviewers: [],
  branch: undefined,
};

function metadata(tag: string, labels: Record<string, string> = {}, created?: string): TagMetadata {
  return {
    tag,
    digest: `sha256:${'ab12'.repeat(16)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platforms: ['linux/amd64'],
    created,
    labels,
  };
}

function decision(
  alias: string,
  current: string | undefined,
  chosen: string,
  extra: Partial<Decision> = {},
): Decision {
  return {
    alias,
    image: `lyzhang1999/${alias}`,
    current,
    chosen,
    metadata: metadata(chosen),
    currentMetadata: undefined,
    changed: current !== chosen,
    reason:
      current === chosen
        ? `${chosen} is already the newest build`
        : `${chosen} is the newest build`,
    counts: { seen: 3, afterFilter: 2, skipped: {} },
    tiedWith: [],
    ...extra,
  };
}

function update(
  image: string,
  from: string | undefined,
  to: string,
  file = 'helm-env/env/dev/values.yaml',
): Update {
  return {
    target: 'environments',
    environment: 'dev',
    image,
    file,
    key: `${image}.tag`,
    from,
    to,
    digest: `sha256:${'cd34'.repeat(16)}`,
  };
}

function changeSet(
  updates: Update[],
  decisions: Decision[],
  unit: { environment: string | undefined } = { environment: 'dev' },
): ChangeSet {
  return {
    target: 'environments',
    environment: unit.environment,
    publish: policy,
    files: updates.length > 0 ? [{ path: 'helm-env/env/dev/values.yaml', content: 'x' }] : [],
    updates,
    decisions,
  };
}

describe('pullRequestTitle', () => {
  const front = [update('frontend', 'main-1', 'main-b99bc73')];
  const frontDecision = [decision('frontend', 'main-1', 'main-b99bc73')];
  it.each([
    {
      name: 'one image with environment',
      set: changeSet(front, frontDecision),
      title: 'chore(images): update frontend to main-b99bc73 (dev)',
    },
    {
      name: 'one image without environment',
      set: changeSet(front, frontDecision, { environment: undefined }),
      title: 'chore(images): update frontend to main-b99bc73',
    },
    {
      name: 'two images',
      set: changeSet(
        [update('frontend', 'main-1', 'main-b99bc73'), update('backend', 'main-2', 'main-1a2b3c4')],
        [
          decision('frontend', 'main-1', 'main-b99bc73'),
          decision('backend', 'main-2', 'main-1a2b3c4'),
        ],
      ),
      title: 'chore(images): update frontend to main-b99bc73 and backend to main-1a2b3c4 (dev)',
    },
    {
      name: 'three images are counted',
      set: changeSet(
        [update('a', '1', '2'), update('b', '1', '2'), update('c', '1', '2')],
        [decision('a', '1', '2'), decision('b', '1', '2'), decision('c', '1', '2')],
      ),
      title: 'chore(images): update 3 images (dev)',
    },
    {
      name: 'an image with two keys counts once',
      set: changeSet(
        [
          { ...update('frontend', undefined, 'lyzhang1999/frontend'), key: 'frontend.image' },
          update('frontend', 'main-1', 'main-b99bc73'),
        ],
        frontDecision,
      ),
      title: 'chore(images): update frontend to main-b99bc73 (dev)',
    },
    {
      name: 'a digest pin is shortened',
      set: changeSet(
        [update('web', undefined, `latest@sha256:${'e'.repeat(64)}`)],
        [decision('web', undefined, `latest@sha256:${'e'.repeat(64)}`)],
      ),
      title: `chore(images): update web to latest@sha256:${'e'.repeat(12)} (dev)`,
    },
    {
      name: 'an image-spec value without a decision shows the tag',
      set: changeSet([update('web', 'nginx:1.0', '127.0.0.1:5000/team/nginx:1.27.1')], []),
      title: 'chore(images): update web to 1.27.1 (dev)',
    },
  ])('$name', ({ set, title }) => {
    expect(pullRequestTitle(set)).toBe(title);
  });
});

describe('commitMessage', () => {
  it('is the title, a blank line and one line per changed key', () => {
    const set = changeSet(
      [
        update('frontend', 'main-1', 'main-2'),
        { ...update('backend', undefined, 'main-9'), key: 'backend.tag' },
      ],
      [decision('frontend', 'main-1', 'main-2'), decision('backend', undefined, 'main-9')],
    );
    expect(commitMessage(set)).toBe(
      [
        'chore(images): update frontend to main-2 and backend to main-9 (dev)',
        '',
        'frontend.tag in helm-env/env/dev/values.yaml: main-1 → main-2',
        'backend.tag in helm-env/env/dev/values.yaml: (not set) → main-9',
      ].join('\n'),
    );
  });
});

describe('pullRequestBody', () => {
  const source = 'https://github.com/lyzhang1999/kubernetes-example';
  const oldRevision = '1111111aaaaaaa1111111aaaaaaa1111111aaaaa';
  const newRevision = '2222222bbbbbbb2222222bbbbbbb2222222bbbbb';

  it.each([
    {
      name: 'compare link when the current image names the old revision of the same source',
      current: metadata('main-1', {
        'org.opencontainers.image.source': `${source}.git`,
        'org.opencontainers.image.revision': oldRevision,
      }),
      link: `[1111111…2222222](${source}/compare/${oldRevision}...${newRevision})`,
    },
    {
      name: 'commit link when the current image has no labels',
      current: undefined,
      link: `[2222222](${source}/commit/${newRevision})`,
    },
    {
      name: 'commit link when the old image comes from another source',
      current: metadata('main-1', {
        'org.opencontainers.image.source': 'https://github.com/other/repo',
        'org.opencontainers.image.revision': oldRevision,
      }),
      link: `[2222222](${source}/commit/${newRevision})`,
    },
  ])('$name', ({ current, link }) => {
    const chosen = metadata(
      'main-2',
      {
        'org.opencontainers.image.source': `${source}/`,
        'org.opencontainers.image.revision': newRevision,
      },
      '2024-05-01T12:34:56Z',
    );
    const body = pullRequestBody(
      changeSet(
        [update('frontend', 'main-1', 'main-2')],
        [decision('frontend', 'main-1', 'main-2', { metadata: chosen, currentMetadata: current })],
      ),
    );
    expect(body).toContain(
      `| dev | frontend (\`lyzhang1999/frontend\`) | \`main-1\` → \`main-2\` | \`sha256:cd34cd34cd34\` | 2024-05-01 12:34 UTC | ${link} |`,
    );
  });

  it('links nothing when the source label is not a web address', () => {
    const chosen = metadata('main-2', {
      'org.opencontainers.image.source': 'javascript:alert(1)',
      'org.opencontainers.image.revision': newRevision,
    });
    const body = pullRequestBody(
      changeSet(
        [update('frontend', 'main-1', 'main-2')],
        [decision('frontend', 'main-1', 'main-2', { metadata: chosen })],
      ),
    );
    expect(body).not.toContain('javascript:');
    expect(body).toMatch(/\| — \|\n/);
  });

  it('lists unchanged images with their reason, escaping table pipes', () => {
    const body = pullRequestBody(
      changeSet(
        [update('frontend', 'main-1', 'main-2')],
        [
          decision('frontend', 'main-1', 'main-2'),
          decision('backend', 'main-7', 'main-7', {
            reason: 'kept main-7 | nothing newer',
            tiedWith: ['main-6'],
          }),
        ],
      ),
    );
    expect(body).toContain('### Not changed');
    expect(body).toContain(
      '| dev | backend (`lyzhang1999/backend`) | `main-7` | kept main-7 \\| nothing newer Tied on build time with main-6. |',
    );
  });

  it('names every changed file and key, and carries the unit marker', () => {
    const body = pullRequestBody(
      changeSet(
        [update('frontend', 'main-1', 'main-2')],
        [decision('frontend', 'main-1', 'main-2')],
      ),
    );
    expect(body).toContain('- `helm-env/env/dev/values.yaml`: `frontend.tag`');
    expect(body.split('\n')[0]).toBe(
      '<!-- helm-image-updater target=environments environment=dev -->',
    );
  });

  it('keeps the table to one row per image even when a value holds a pipe or newline', () => {
    const body = pullRequestBody(
      changeSet(
        [update('frontend', 'a|b\nc', 'main-2')],
        [decision('frontend', 'a|b\nc', 'main-2')],
      ),
    );
    const rows = body.split('\n').filter((line) => line.startsWith('| dev |'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('`a\\|b c`');
  });
});

describe('unitMarker', () => {
  it.each([
    {
      target: 'example',
      environment: undefined,
      marker: '<!-- helm-image-updater target=example -->',
    },
    {
      target: 'a b',
      environment: 'x-->y',
      marker: '<!-- helm-image-updater target=a%20b environment=x--%3Ey -->',
    },
  ])('$target / $environment', ({ target, environment, marker }) => {
    expect(unitMarker({ target, environment })).toBe(marker);
  });
});

describe('stepSummary', () => {
  it('has one row per unit, the updates and the unchanged decisions', () => {
    const changed = changeSet(
      [update('frontend', 'main-1', 'main-2')],
      [decision('frontend', 'main-1', 'main-2')],
    );
    const unchanged: ChangeSet = {
      ...changeSet([], [decision('frontend', 'main-2', 'main-2')], { environment: 'prod' }),
    };
    const results: PublishResult[] = [
      {
        target: 'environments',
        environment: 'dev',
        action: 'created',
        number: 7,
        url: 'https://github.com/o/r/pull/7',
        branch: 'helm-image-updater/environments/dev',
        commit: 'f'.repeat(40),
        warnings: ['labels | failed'],
      },
      {
        target: 'environments',
        environment: 'prod',
        action: 'none',
        number: undefined,
        url: undefined,
        branch: undefined,
        commit: undefined,
        warnings: [],
      },
    ];
    const summary = stepSummary([changed, unchanged], results);
    expect(summary).toContain(
      '| environments | dev | created | [#7](https://github.com/o/r/pull/7) | labels \\| failed |',
    );
    expect(summary).toContain('| environments | prod | none | — |  |');
    expect(summary).toContain('| dev | frontend (`lyzhang1999/frontend`) | `main-1` → `main-2` |');
    expect(summary).toContain(
      '| prod | frontend (`lyzhang1999/frontend`) | `main-2` | main-2 is already the newest build |',
    );
  });

  it('says so when nothing changed', () => {
    expect(stepSummary([changeSet([], [])], [])).toContain('No image needed an update.');
  });
});

describe('verification in the body and the summary', () => {
  it('shows how each updated image was verified, and nothing for unverified policies', () => {
    const verified = decision('frontend', 'main-1111111', 'main-2222222', {
      verification: [
        `cosign key cosign.pub (SHA256:${'0f'.repeat(32)}), signature sha256-${'ab'.repeat(32)}.sig`,
        'provenance: builder https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main, source git+https://github.com/acme/app@refs/heads/main at 2222222aaaaa',
      ],
    });
    const plain = decision('backend', 'main-3333333', 'main-4444444');
    const set = changeSet(
      [
        update('frontend', 'main-1111111', 'main-2222222'),
        update('backend', 'main-3333333', 'main-4444444'),
      ],
      [verified, plain],
    );
    const body = pullRequestBody(set);
    expect(body).toContain(
      `### Verification\n\n- **frontend** (dev) \`main-2222222\`: cosign key cosign.pub (SHA256:${'0f'.repeat(32)}), signature sha256-${'ab'.repeat(32)}.sig\n` +
        '- **frontend** (dev) `main-2222222`: provenance: builder https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main, source git+https://github.com/acme/app@refs/heads/main at 2222222aaaaa\n',
    );
    expect(body).not.toContain('**backend** (dev) `main-4444444`:');
    expect(stepSummary([set], [])).toContain('### Verification\n\n- **frontend** (dev)');
    const unverifiedOnly = changeSet([update('backend', 'main-3333333', 'main-4444444')], [plain]);
    expect(pullRequestBody(unverifiedOnly)).not.toContain('### Verification');
  });
});
