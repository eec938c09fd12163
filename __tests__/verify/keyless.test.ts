/**
 * Keyless signatures and SLSA build provenance against the real registry, signed by a private
 * Sigstore the test starts (Fulcio CA, CT log and Rekor log from @sigstore/mock, bundles made by
 * @sigstore/sign), verified through a `trusted-root` that names only that private instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logging.js';
import { createRegistryClient, type ManagedRegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { loadVerificationMaterial } from '../../src/verify/material.js';
import type { VerificationPolicy, VerifyMethod } from '../../src/verify/policy.js';
import { ImageVerifier } from '../../src/verify/verifier.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { startFakeSigstore, type FakeSigstore } from './sigstore-fake.js';
import {
  OCI_MANIFEST,
  SIGN_PREDICATE,
  SLSA_PREDICATE,
  attachBundle,
  statement,
} from './signing.js';
import { testRegistrySettings } from '../harness/registry-settings.js';

const WORKFLOW = 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

let registry: RunningRegistry;
let client: ManagedRegistryClient;
let sigstore: FakeSigstore;
let expiredSigstore: FakeSigstore;
let unloggedSigstore: FakeSigstore;

beforeAll(async () => {
  registry = await startRegistry();
  client = createRegistryClient({
    settings: testRegistrySettings([registry.host]),
    logger: silentLogger,
    retry: { maxAttempts: 1 },
  });
  sigstore = await startFakeSigstore();
  // Certificates issued a day ago (valid ten minutes), logged now: used outside their validity.
  expiredSigstore = await startFakeSigstore({
    caClock: new Date(Date.now() - 24 * 3600 * 1000),
  });
  unloggedSigstore = await startFakeSigstore({ withoutLog: true });
});

afterAll(async () => {
  await client.close();
  await registry.close();
  await Promise.all([sigstore.close(), expiredSigstore.close(), unloggedSigstore.close()]);
});

function policy(
  methods: VerifyMethod[],
  overrides: Partial<VerificationPolicy> = {},
): VerificationPolicy {
  return {
    methods,
    key: undefined,
    identity: { kind: 'exact', value: WORKFLOW },
    issuer: ISSUER,
    trustedRoot: { kind: 'file', path: 'sigstore/trusted_root.json' },
    location: 'input verify',
    ...overrides,
  };
}

async function verify(
  instance: FakeSigstore,
  image: { tag: string; digest: string; mediaType: string },
  repository: string,
  checked: VerificationPolicy,
) {
  const material = await loadVerificationMaterial([checked], {
    readFile: () => Promise.resolve(instance.trustedRoot),
    env: {},
  });
  const verifier = new ImageVerifier({
    artifacts: client.artifacts,
    material,
    logger: silentLogger,
  });
  const reference = parseImageReference(`${registry.host}/${repository}`);
  return verifier.verify({
    image: reference,
    imageKey: `${reference.registry}/${reference.repository}`,
    tag: image.tag,
    digest: image.digest,
    mediaType: image.mediaType,
    policy: checked,
  });
}

let count = 0;
async function pushImage(repository: string, commit?: string) {
  count += 1;
  const tag = `main-${commit ?? count.toString(16).padStart(7, 'a')}`;
  const pushed = await registry.push(repository, tag, {
    created: new Date(Date.UTC(2026, 0, 1, 0, count)),
  });
  return { tag, ...pushed };
}

function provenance(repository: string, commit: string): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: {
          ref: 'refs/heads/main',
          repository: `https://github.com/${repository}`,
          path: '.github/workflows/build.yml',
        },
      },
      resolvedDependencies: [
        {
          uri: `git+https://github.com/${repository}@refs/heads/main`,
          digest: { gitCommit: commit },
        },
      ],
    },
    runDetails: {
      builder: { id: 'https://github.com/actions/runner/github-hosted' },
      metadata: {},
    },
  };
}

describe('keyless signatures', () => {
  it('accepts a bundle from the expected identity and issuer, with its Rekor log index', async () => {
    const image = await pushImage('team/keyless');
    const bundle = await sigstore.sign(statement(image.digest, SIGN_PREDICATE), WORKFLOW, ISSUER);
    await attachBundle(
      registry,
      'team/keyless',
      image.digest,
      OCI_MANIFEST,
      bundle,
      SIGN_PREDICATE,
    );
    const result = await verify(sigstore, image, 'team/keyless', policy(['keyless']));
    expect(result).toMatchObject({ verified: true });
    if (result.verified) {
      expect(result.evidence[0]).toMatch(
        new RegExp(
          `^keyless: ${WORKFLOW.replace(/[.]/g, '\\.')} from ${ISSUER.replace(/[.]/g, '\\.')}, Rekor log index \\d+$`,
        ),
      );
    }
    const pattern = await verify(
      sigstore,
      image,
      'team/keyless',
      policy(['keyless'], {
        identity: {
          kind: 'regexp',
          source: '^https://github\\.com/acme/',
          pattern: /^https:\/\/github\.com\/acme\//,
        },
      }),
    );
    expect(pattern.verified).toBe(true);
  });

  it('refuses another identity and another issuer', async () => {
    const image = await pushImage('team/keyless');
    const fork = 'https://github.com/mallory/app/.github/workflows/build.yml@refs/heads/main';
    const signed = statement(image.digest, SIGN_PREDICATE);
    await attachBundle(
      registry,
      'team/keyless',
      image.digest,
      OCI_MANIFEST,
      await sigstore.sign(signed, fork, ISSUER),
      SIGN_PREDICATE,
    );
    const result = await verify(sigstore, image, 'team/keyless', policy(['keyless']));
    expect(result).toEqual({ verified: false, reason: `signed by ${fork}, not ${WORKFLOW}` });

    const other = await pushImage('team/keyless');
    const otherStatement = statement(other.digest, SIGN_PREDICATE);
    await attachBundle(
      registry,
      'team/keyless',
      other.digest,
      OCI_MANIFEST,
      await sigstore.sign(otherStatement, WORKFLOW, 'https://accounts.example.com'),
      SIGN_PREDICATE,
    );
    const wrongIssuer = await verify(sigstore, other, 'team/keyless', policy(['keyless']));
    expect(wrongIssuer).toEqual({
      verified: false,
      reason: `certificate issuer is https://accounts.example.com, not ${ISSUER}`,
    });
  });

  it('refuses a certificate used outside its validity, and one without a log time', async () => {
    const expired = await pushImage('team/keyless');
    await attachBundle(
      registry,
      'team/keyless',
      expired.digest,
      OCI_MANIFEST,
      await expiredSigstore.sign(statement(expired.digest, SIGN_PREDICATE), WORKFLOW, ISSUER),
      SIGN_PREDICATE,
    );
    const late = await verify(expiredSigstore, expired, 'team/keyless', policy(['keyless']));
    expect(late.verified).toBe(false);
    if (!late.verified)
      expect(late.reason).toMatch(
        /^a keyless signature does not verify against the sigstore\/trusted_root\.json trusted root \(.*(expired|not valid|validity|certificate).*\)/i,
      );

    const unlogged = await pushImage('team/keyless');
    await attachBundle(
      registry,
      'team/keyless',
      unlogged.digest,
      OCI_MANIFEST,
      await unloggedSigstore.sign(statement(unlogged.digest, SIGN_PREDICATE), WORKFLOW, ISSUER),
      SIGN_PREDICATE,
    );
    const untimed = await verify(unloggedSigstore, unlogged, 'team/keyless', policy(['keyless']));
    expect(untimed.verified).toBe(false);
    if (!untimed.verified) expect(untimed.reason).toContain('expected 1 timestamps, got 0');
  });

  it('refuses a bundle from a Sigstore the trusted root does not name', async () => {
    const image = await pushImage('team/keyless');
    await attachBundle(
      registry,
      'team/keyless',
      image.digest,
      OCI_MANIFEST,
      await sigstore.sign(statement(image.digest, SIGN_PREDICATE), WORKFLOW, ISSUER),
      SIGN_PREDICATE,
    );
    const result = await verify(unloggedSigstore, image, 'team/keyless', policy(['keyless']));
    expect(result.verified).toBe(false);
  });
});

describe('SLSA build provenance', () => {
  it('accepts provenance from the workflow whose source commit is the tag’s', async () => {
    const commit = 'b99bc73f00d1e5ea4f2a9c1bd0e3f4a5b6c7d8e9';
    const image = await pushImage('acme/app', commit.slice(0, 7));
    const bundle = await sigstore.sign(
      statement(image.digest, SLSA_PREDICATE, provenance('acme/app', commit)),
      WORKFLOW,
      ISSUER,
    );
    await attachBundle(registry, 'acme/app', image.digest, OCI_MANIFEST, bundle, SLSA_PREDICATE);
    const result = await verify(sigstore, image, 'acme/app', policy(['attestation']));
    expect(result).toMatchObject({ verified: true });
    if (result.verified) {
      expect(result.evidence[0]).toMatch(
        new RegExp(
          `^provenance: builder ${WORKFLOW.replace(/[.]/g, '\\.')}, source git\\+https://github\\.com/acme/app@refs/heads/main at b99bc73f00d1, Rekor log index \\d+$`,
        ),
      );
    }
  });

  it('refuses provenance whose source commit is not the tag’s', async () => {
    const image = await pushImage('acme/app', '1234567');
    const bundle = await sigstore.sign(
      statement(
        image.digest,
        SLSA_PREDICATE,
        provenance('acme/app', 'b99bc73f00d1e5ea4f2a9c1bd0e3f4a5b6c7d8e9'),
      ),
      WORKFLOW,
      ISSUER,
    );
    await attachBundle(registry, 'acme/app', image.digest, OCI_MANIFEST, bundle, SLSA_PREDICATE);
    const result = await verify(sigstore, image, 'acme/app', policy(['attestation']));
    expect(result).toEqual({
      verified: false,
      reason: "build provenance source commit b99bc73f00d1 is not the tag's commit 1234567",
    });
  });

  it('refuses provenance built by another repository', async () => {
    const commit = 'c0ffee0000000000000000000000000000000000';
    const image = await pushImage('acme/app', commit.slice(0, 7));
    const other = 'https://github.com/mallory/app/.github/workflows/build.yml@refs/heads/main';
    const bundle = await sigstore.sign(
      statement(image.digest, SLSA_PREDICATE, provenance('mallory/app', commit)),
      other,
      ISSUER,
    );
    await attachBundle(registry, 'acme/app', image.digest, OCI_MANIFEST, bundle, SLSA_PREDICATE);
    const result = await verify(
      sigstore,
      image,
      'acme/app',
      policy(['attestation'], {
        identity: {
          kind: 'regexp',
          source: '^https://github\\.com/acme/app/',
          pattern: /^https:\/\/github\.com\/acme\/app\//,
        },
      }),
    );
    expect(result).toEqual({
      verified: false,
      reason: `build provenance: signed by ${other}, not regexp:^https://github\\.com/acme/app/`,
    });
  });

  it('refuses an image with a signature but no provenance, when both are required', async () => {
    const image = await pushImage('acme/app');
    await attachBundle(
      registry,
      'acme/app',
      image.digest,
      OCI_MANIFEST,
      await sigstore.sign(statement(image.digest, SIGN_PREDICATE), WORKFLOW, ISSUER),
      SIGN_PREDICATE,
    );
    const result = await verify(sigstore, image, 'acme/app', policy(['keyless', 'attestation']));
    expect(result).toEqual({ verified: false, reason: 'no SLSA build provenance attached' });
  });
});
