/**
 * Promotion on the command line: a real git checkout whose commits are backdated (author and
 * committer dates), a real registry for the gates, and the command-line entry run in this
 * process with an injected clock.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { runCli } from '../reliability/checkout.js';
import { commitAt, git, initRepository, valuesFile } from '../promotion/git-fixture.js';

const hour = 3_600_000;
const now = new Date('2026-12-03T12:00:00Z'); // a Thursday
const ago = (hours: number): Date => new Date(now.getTime() - hours * hour);

let registry: RunningRegistry;
let work: string;
let count = 0;

beforeAll(async () => {
  registry = await startRegistry();
  const builds = Date.parse('2026-11-01T00:00:00Z');
  for (const [index, tag] of ['main-a1', 'main-a2', 'main-a3', 'main-a4'].entries()) {
    await registry.push('team/frontend', tag, { created: new Date(builds + index * hour) });
  }
  for (const [index, tag] of ['main-b1', 'main-b2', 'main-b3'].entries()) {
    await registry.push('team/backend', tag, { created: new Date(builds + index * hour) });
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'promotion-cli-'));
}, 60_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface EnvironmentConfig {
  readonly [name: string]: Record<string, string | boolean>;
}

function config(environments: EnvironmentConfig, extra = ''): string {
  const lines = [
    'images:',
    `  frontend: { repository: ${registry.host}/team/frontend, allow-tags: "regexp:^main-" }`,
    `  backend: { repository: ${registry.host}/team/backend, allow-tags: "regexp:^main-" }`,
    'targets:',
    '  - name: envs',
    '    type: values',
    '    files: env/*/values.yaml',
    '    environments:',
  ];
  for (const [name, settings] of Object.entries(environments)) {
    const fields = Object.entries(settings).map(
      ([key, value]) => `${key}: ${JSON.stringify(value)}`,
    );
    lines.push(`      ${name}: { ${fields.join(', ')} }`);
  }
  return `${lines.join('\n')}\n${extra}`;
}

/** A fresh checkout: one commit per history entry, each on its own date. */
function checkout(
  configText: string,
  history: {
    at: number;
    files: Readonly<Record<string, readonly string[] | string | null | undefined>>;
    message?: string;
  }[],
): string {
  const dir = path.join(work, `repo-${++count}`);
  initRepository(dir);
  commitAt(dir, ago(1000), { '.github/helm-image-updater.yml': configText }, 'config');
  for (const entry of history) {
    const files: Record<string, string | null> = {};
    for (const [file, value] of Object.entries(entry.files)) {
      files[file] =
        value === null || value === undefined || typeof value === 'string'
          ? (value ?? null)
          : valuesFile(registry.host, value[0] ?? '', value[1] ?? '');
    }
    commitAt(dir, ago(entry.at), files, entry.message);
  }
  return dir;
}

const run = (dir: string, at: Date = now, extra: string[] = []) =>
  runCli(['--dir', dir, '--insecure-registries', registry.host, '--json', ...extra], () => at);

interface JsonDecision {
  target: string;
  environment: string;
  alias: string;
  current: string;
  chosen: string;
  changed: boolean;
  reason: string;
  promotion?: { source: string; eligibleAt?: string; heldUntil?: string; commit?: string };
}

function decisions(stdout: string, environment: string): Record<string, JsonDecision> {
  const report = JSON.parse(stdout) as { decisions: JsonDecision[] };
  return Object.fromEntries(
    report.decisions
      .filter((decision) => decision.environment === environment)
      .map((decision) => [decision.alias, decision]),
  );
}

const tagIn = (dir: string, env: string, alias: string): string | undefined => {
  const text = readFileSync(path.join(dir, `env/${env}/values.yaml`), 'utf8');
  return new RegExp(`${alias}:\\n  image: [^\\n]+\\n  tag: ([^\\n]+)`).exec(text)?.[1];
};

describe('promotion on a git checkout', () => {
  it('promotes a value that soaked and was replaced; says when the newer one is eligible', async () => {
    const dir = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a1', 'main-b1'],
          'env/prod/values.yaml': ['main-a1', 'main-b1'],
        },
      },
      {
        at: 30,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b1'] },
        message: 'frontend main-a2 (#41)',
      },
      {
        at: 2,
        files: { 'env/staging/values.yaml': ['main-a3', 'main-b1'] },
        message: 'frontend main-a3 (#42)',
      },
    ]);
    const staging41 = git(dir, ['log', '--format=%H', '-1', '--grep', '#41']).trim();
    const result = await run(dir);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);
    const prod = decisions(result.stdout, 'prod');
    expect(prod.frontend).toMatchObject({ current: 'main-a1', chosen: 'main-a2', changed: true });
    expect(prod.frontend?.reason).toBe(
      `main-a2 from staging, where it ran since 2026-12-02 06:00 UTC (commit ${staging41.slice(0, 7)}, #41) until 2026-12-03 10:00 UTC, 28 h ≥ 24 h; ` +
        'main-a3 has run there 2 h, eligible at 2026-12-04 10:00 UTC',
    );
    expect(prod.frontend?.promotion).toMatchObject({
      source: 'staging',
      commit: staging41,
      eligibleAt: '2026-12-04T10:00:00.000Z',
    });
    expect(prod.backend).toMatchObject({ current: 'main-b1', changed: false });
    expect(prod.backend?.reason).toMatch(/^already at main-b1 from staging/);
    expect(tagIn(dir, 'prod', 'frontend')).toBe('main-a2');
    // Staging follows the registry, as before.
    expect(decisions(result.stdout, 'staging').frontend?.chosen).toBe('main-a4');
    // Only the tag scalar changed in prod.
    expect(readFileSync(path.join(dir, 'env/prod/values.yaml'), 'utf8')).toBe(
      valuesFile(registry.host, 'main-a2', 'main-b1'),
    );
  });

  it('keeps prod when nothing newer has soaked, with the eligible-at time', async () => {
    const dir = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a1', 'main-b1'],
          'env/prod/values.yaml': ['main-a1', 'main-b1'],
        },
      },
      { at: 2, files: { 'env/staging/values.yaml': ['main-a2', 'main-b1'] } },
    ]);
    const result = await run(dir, now, ['--dry-run']);
    const prod = decisions(result.stdout, 'prod');
    expect(prod.frontend).toMatchObject({ chosen: 'main-a1', changed: false });
    expect(prod.frontend?.reason).toMatch(
      /^already at main-a1 from staging, where it ran since 2026-11-29 08:00 UTC \(commit \w{7}\) until 2026-12-03 10:00 UTC, 4 d 2 h ≥ 24 h; main-a2 has run there 2 h, eligible at 2026-12-04 10:00 UTC$/,
    );
    expect(result.stderr).toContain('eligible at 2026-12-04 10:00 UTC');
  });

  it('does not follow a revert into a downgrade unless allow-downgrade', async () => {
    const history = [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a2', 'main-b1'],
          'env/prod/values.yaml': ['main-a3', 'main-b1'],
        },
      },
      { at: 80, files: { 'env/staging/values.yaml': ['main-a3', 'main-b1'] } },
      {
        at: 50,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b1'] },
        message: 'Revert frontend main-a3',
      },
    ];
    const kept = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), history);
    const result = await run(kept);
    const prod = decisions(result.stdout, 'prod');
    expect(prod.frontend).toMatchObject({ current: 'main-a3', chosen: 'main-a3', changed: false });
    expect(prod.frontend?.reason).toMatch(
      /^main-a2 from staging, where it has run since .*; not promoted: .*main-a3/,
    );
    expect(tagIn(kept, 'prod', 'frontend')).toBe('main-a3');

    const allowed = checkout(
      config({ prod: { 'promote-from': 'staging', soak: '24h', 'allow-downgrade': true } }),
      history,
    );
    const downgrade = await run(allowed);
    expect(decisions(downgrade.stdout, 'prod').frontend).toMatchObject({
      chosen: 'main-a2',
      changed: true,
    });
    expect(tagIn(allowed, 'prod', 'frontend')).toBe('main-a2');
  });

  it('moves images changed together as one set, and images changed apart on their own', async () => {
    const base = {
      at: 100,
      files: {
        'env/staging/values.yaml': ['main-a1', 'main-b1'],
        'env/prod/values.yaml': ['main-a1', 'main-b1'],
      },
    } as const;
    const together = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), [
      base,
      {
        at: 26,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b2'] },
        message: 'both (#7)',
      },
      {
        at: 20,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b3'] },
        message: 'backend again (#8)',
      },
    ]);
    let prod = decisions((await run(together)).stdout, 'prod');
    // main-a2 has run 26 h, but it came with main-b2, which ran only 6 h: the set waits.
    expect(prod.frontend).toMatchObject({ chosen: 'main-a1', changed: false });
    expect(prod.backend).toMatchObject({ chosen: 'main-b1', changed: false });
    expect(prod.frontend?.reason).toContain(
      'main-a2 has run there 26 h, eligible at 2026-12-03 16:00 UTC',
    );

    const apart = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), [
      base,
      {
        at: 26,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b1'] },
        message: 'frontend (#7)',
      },
      {
        at: 20,
        files: { 'env/staging/values.yaml': ['main-a2', 'main-b3'] },
        message: 'backend (#8)',
      },
    ]);
    prod = decisions((await run(apart)).stdout, 'prod');
    expect(prod.frontend).toMatchObject({ chosen: 'main-a2', changed: true });
    expect(prod.backend).toMatchObject({ chosen: 'main-b1', changed: false });
    expect(prod.backend?.reason).toContain(
      'main-b3 has run there 20 h, eligible at 2026-12-03 16:00 UTC',
    );
  });

  it('runs a chain of three: each step reads the base history, not this run’s changes', async () => {
    const dir = checkout(
      config({
        staging: { 'promote-from': 'dev', soak: '2h' },
        prod: { 'promote-from': 'staging', soak: '24h' },
      }),
      [
        {
          at: 100,
          files: {
            'env/dev/values.yaml': ['main-a1', 'main-b1'],
            'env/staging/values.yaml': ['main-a1', 'main-b1'],
            'env/prod/values.yaml': ['main-a1', 'main-b1'],
          },
        },
        { at: 30, files: { 'env/dev/values.yaml': ['main-a2', 'main-b1'] } },
        { at: 27, files: { 'env/staging/values.yaml': ['main-a2', 'main-b1'] } },
        { at: 3, files: { 'env/dev/values.yaml': ['main-a3', 'main-b2'] } },
      ],
    );
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    expect(decisions(result.stdout, 'dev').frontend?.chosen).toBe('main-a4');
    expect(decisions(result.stdout, 'staging').frontend).toMatchObject({
      chosen: 'main-a3',
      changed: true,
    });
    expect(decisions(result.stdout, 'staging').backend).toMatchObject({
      chosen: 'main-b2',
      changed: true,
    });
    // Staging's main-a3 lands in this run; prod only sees staging's committed main-a2 (27 h).
    expect(decisions(result.stdout, 'prod').frontend).toMatchObject({
      chosen: 'main-a2',
      changed: true,
    });
    expect(decisions(result.stdout, 'prod').backend).toMatchObject({
      chosen: 'main-b1',
      changed: false,
    });
  });

  it('waits for the promotion window in another time zone (injected clock)', async () => {
    const environments = {
      prod: {
        'promote-from': 'staging',
        soak: '24h',
        'promote-window': 'Mon-Thu 09:00-16:00 America/New_York',
      },
    };
    const history = [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a2', 'main-b1'],
          'env/prod/values.yaml': ['main-a1', 'main-b1'],
        },
      },
    ];
    const dir = checkout(config(environments), history);
    // 12:00 UTC is 07:00 in New York: closed until 09:00 New York = 14:00 UTC.
    const early = await run(dir);
    const held = decisions(early.stdout, 'prod').frontend;
    expect(held).toMatchObject({ chosen: 'main-a1', changed: false });
    expect(held?.reason).toContain(
      'outside promote-window Mon-Thu 09:00-16:00 America/New_York: waits until 2026-12-03 14:00 UTC',
    );
    expect(held?.promotion?.heldUntil).toBe('2026-12-03T14:00:00.000Z');
    expect(tagIn(dir, 'prod', 'frontend')).toBe('main-a1');

    const open = await run(dir, new Date('2026-12-03T14:00:00Z'));
    expect(decisions(open.stdout, 'prod').frontend).toMatchObject({
      chosen: 'main-a2',
      changed: true,
    });
    expect(tagIn(dir, 'prod', 'frontend')).toBe('main-a2');
  });

  it('refuses an unknown source environment before any registry request, with did-you-mean', async () => {
    const dir = checkout(config({ prod: { 'promote-from': 'stagign', soak: '24h' } }), [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a1', 'main-b1'],
          'env/prod/values.yaml': ['main-a1', 'main-b1'],
        },
      },
    ]);
    await registry.resetRequestCounts();
    const result = await run(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      '.github/helm-image-updater.yml:9: envs/prod: promote-from `stagign` names no environment or target',
    );
    expect(result.stderr).toContain('Did you mean `staging`?');
    expect((await registry.requestCounts()).total).toBe(0);
  });

  it('refuses a cycle', async () => {
    const dir = checkout(
      config({
        staging: { 'promote-from': 'prod', soak: '1h' },
        prod: { 'promote-from': 'staging', soak: '24h' },
      }),
      [
        {
          at: 100,
          files: {
            'env/staging/values.yaml': ['main-a1', 'main-b1'],
            'env/prod/values.yaml': ['main-a1', 'main-b1'],
          },
        },
      ],
    );
    const result = await run(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /promote-from forms a cycle: envs\/(staging|prod) ← envs\/(prod|staging) ← envs\/\1/,
    );
  });

  it('promotes from one override-file target to another', async () => {
    const override = (frontend: string) =>
      [
        'helm:',
        '  parameters:',
        '  - name: frontend.image',
        `    value: ${registry.host}/team/frontend`,
        '    forcestring: true',
        '  - name: frontend.tag',
        `    value: ${frontend}`,
        '    forcestring: true',
        '',
      ].join('\n');
    const configText = [
      'images:',
      `  frontend: { repository: ${registry.host}/team/frontend, allow-tags: "regexp:^main-" }`,
      'targets:',
      '  - { name: staging-app, type: argocd-override, path: staging, app: web }',
      '  - { name: prod-app, type: argocd-override, path: prod, app: web, promote-from: staging-app, soak: 12h }',
      '',
    ].join('\n');
    const dir = checkout(configText, [
      {
        at: 100,
        files: {
          'staging/.argocd-source-web.yaml': override('main-a1'),
          'prod/.argocd-source-web.yaml': override('main-a1'),
        },
      },
      { at: 13, files: { 'staging/.argocd-source-web.yaml': override('main-a3') } },
    ]);
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as { decisions: JsonDecision[] };
    expect(report.decisions).toContainEqual(
      expect.objectContaining({ target: 'prod-app', chosen: 'main-a3', changed: true }),
    );
    expect(report.decisions.find((decision) => decision.target === 'prod-app')?.reason).toMatch(
      /^main-a3 from staging-app, where it has run since 2026-12-02 23:00 UTC \(commit \w{7}\), 13 h ≥ 12 h$/,
    );
    expect(readFileSync(path.join(dir, 'prod/.argocd-source-web.yaml'), 'utf8')).toBe(
      override('main-a3'),
    );
  });

  it('says clearly when --dir is not a git repository', async () => {
    const dir = path.join(work, 'not-git');
    const configText = config({ prod: { 'promote-from': 'staging', soak: '24h' } });
    for (const [file, content] of Object.entries({
      '.github/helm-image-updater.yml': configText,
      'env/staging/values.yaml': valuesFile(registry.host, 'main-a1', 'main-b1'),
      'env/prod/values.yaml': valuesFile(registry.host, 'main-a1', 'main-b1'),
    })) {
      const full = path.join(dir, file);
      await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(full), { recursive: true }));
      writeFileSync(full, content);
    }
    const result = await run(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `envs/prod has promote-from staging, which needs the source environment's history, but --dir ${dir} is not a git repository`,
    );
  });

  it('ignores an image event for a promoted environment', async () => {
    const dir = checkout(config({ prod: { 'promote-from': 'staging', soak: '24h' } }), [
      {
        at: 100,
        files: {
          'env/staging/values.yaml': ['main-a1', 'main-b1'],
          'env/prod/values.yaml': ['main-a1', 'main-b1'],
        },
      },
    ]);
    const event = path.join(dir, '..', `event-${count}.json`);
    writeFileSync(
      event,
      JSON.stringify({
        action: 'image-pushed',
        client_payload: { image: `${registry.host}/team/frontend`, tag: 'main-a4' },
      }),
    );
    const result = await run(dir, now, [
      '--event-name',
      'repository_dispatch',
      '--event-path',
      event,
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      'envs/prod: promoted from staging; an image event does not move it',
    );
    expect(tagIn(dir, 'staging', 'frontend')).toBe('main-a4');
    expect(tagIn(dir, 'prod', 'frontend')).toBe('main-a1');
  });
});
