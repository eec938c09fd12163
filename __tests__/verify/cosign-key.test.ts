/**
 * cosign key signatures against the real registry (docker-registry 2.8, no referrers API):
 * signatures made in the test with generated keys, stored under cosign's `.sig` tag and as
 * Sigstore bundles in the referrers tag schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logging.js';
import { MetadataCache } from '../../src/registry/cache.js';
import { createRegistryClient, type ManagedRegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { loadVerificationMaterial } from '../../src/verify/material.js';
import type { VerificationPolicy } from '../../src/verify/policy.js';
import { ImageVerifier } from '../../src/verify/verifier.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import {
  OCI_MANIFEST,
  SIGN_PREDICATE,
  attachBundle,
  cosignSign,
  generateKey,
  keyBundle,
  statement,
  type KeyKind,
  type TestKey,
} from './signing.js';
import { testRegistrySettings } from '../harness/registry-settings.js';

let registry: RunningRegistry;
let client: ManagedRegistryClient;
const signer = generateKey('ecdsa-p256');
const stranger = generateKey('ecdsa-p256');

beforeAll(async () => {
  registry = await startRegistry();
  client = createRegistryClient({
    settings: testRegistrySettings([registry.host]),
    logger: silentLogger,
    retry: { maxAttempts: 1 },
  });
});

afterAll(async () => {
  await client.close();
  await registry.close();
});

const policy: VerificationPolicy = {
  methods: ['cosign-key'],
  key: { kind: 'file', path: 'keys/cosign.pub' },
  identity: undefined,
  issuer: undefined,
  trustedRoot: undefined,
  location: 'input verify',
};

async function verifierFor(key: TestKey, cache?: MetadataCache): Promise<ImageVerifier> {
  const material = await loadVerificationMaterial([policy], {
    readFile: (path) => Promise.resolve(path === 'keys/cosign.pub' ? key.publicPem : undefined),
    env: {},
  });
  return new ImageVerifier({ artifacts: client.artifacts, material, cache, logger: silentLogger });
}

let counter = 0;
async function pushImage(repository: string, platforms?: string[]) {
  counter += 1;
  const tag = `main-${counter.toString(16).padStart(7, '0')}`;
  const pushed = await registry.push(repository, tag, {
    created: new Date(Date.UTC(2026, 0, 1, 0, counter)),
    ...(platforms && { platforms }),
  });
  return { tag, ...pushed };
}

function request(repository: string, image: { tag: string; digest: string; mediaType: string }) {
  const reference = parseImageReference(`${registry.host}/${repository}`);
  return {
    image: reference,
    imageKey: `${reference.registry}/${reference.repository}`,
    tag: image.tag,
    digest: image.digest,
    mediaType: image.mediaType,
    policy,
  };
}

describe('cosign key signatures under the .sig tag', () => {
  it.each<KeyKind>(['ecdsa-p256', 'ed25519', 'rsa'])(
    'accepts a valid %s signature',
    async (kind) => {
      const key = generateKey(kind);
      const image = await pushImage('team/keys');
      await cosignSign(registry, 'team/keys', image.digest, key);
      const result = await (await verifierFor(key)).verify(request('team/keys', image));
      expect(result).toMatchObject({ verified: true, cached: false });
      if (result.verified) {
        expect(result.evidence[0]).toMatch(
          /^cosign key cosign\.pub \(SHA256:[0-9a-f]{64}\), signature sha256-[0-9a-f]{64}\.sig$/,
        );
      }
    },
  );

  it('refuses a signature made with another key', async () => {
    const image = await pushImage('team/app');
    await cosignSign(registry, 'team/app', image.digest, stranger);
    const result = await (await verifierFor(signer)).verify(request('team/app', image));
    expect(result).toEqual({ verified: false, reason: 'no valid signature for key cosign.pub' });
  });

  it('refuses a payload changed after signing', async () => {
    const image = await pushImage('team/app');
    await cosignSign(registry, 'team/app', image.digest, signer, { tamper: true });
    const result = await (await verifierFor(signer)).verify(request('team/app', image));
    expect(result).toEqual({ verified: false, reason: 'no valid signature for key cosign.pub' });
  });

  it('refuses a valid signature replayed from another digest', async () => {
    const signed = await pushImage('team/app');
    const other = await pushImage('team/app');
    // The right key, but the payload names the first image: copied to the second image's tag.
    await cosignSign(registry, 'team/app', other.digest, signer, { payloadDigest: signed.digest });
    const result = await (await verifierFor(signer)).verify(request('team/app', other));
    expect(result.verified).toBe(false);
    if (!result.verified) {
      expect(result.reason).toBe(
        `the signature by cosign.pub names ${signed.digest}, not ${other.digest} (a signature replayed from another image)`,
      );
    }
  });

  it('says no signature for an unsigned image, with few requests', async () => {
    const image = await pushImage('team/app');
    const verifier = await verifierFor(signer);
    await registry.resetRequestCounts();
    const result = await verifier.verify(request('team/app', image));
    expect(result).toEqual({ verified: false, reason: 'no valid signature for key cosign.pub' });
    const counts = await registry.requestCounts();
    // .sig tag (404) and referrers tag schema (404); the referrers API's 404 (2.8 has none)
    // was learnt by an earlier check in this run and is not asked again for this host.
    expect(counts.total).toBe(2);
    expect(counts.byKind['GET manifest']).toBe(2);
  });

  it('accepts a signed index and refuses an index whose children alone are signed', async () => {
    const signedIndex = await pushImage('team/multi', ['linux/amd64', 'linux/arm64']);
    await cosignSign(registry, 'team/multi', signedIndex.digest, signer);
    const verifier = await verifierFor(signer);
    expect((await verifier.verify(request('team/multi', signedIndex))).verified).toBe(true);

    const childrenOnly = await pushImage('team/multi', ['linux/amd64', 'linux/arm64']);
    for (const child of Object.values(childrenOnly.childDigests)) {
      await cosignSign(registry, 'team/multi', child, signer);
    }
    const result = await verifier.verify(request('team/multi', childrenOnly));
    expect(result.verified).toBe(false);
    if (!result.verified) {
      expect(result.reason).toContain(
        `only the index's children are signed (linux/amd64, linux/arm64), not the index digest ${childrenOnly.digest}`,
      );
    }
  });

  it('remembers a verified digest in the metadata cache: a warm check sends no request', async () => {
    const image = await pushImage('team/app');
    await cosignSign(registry, 'team/app', image.digest, signer);
    const cache = new MetadataCache();
    await registry.resetRequestCounts();
    const cold = await (await verifierFor(signer, cache)).verify(request('team/app', image));
    expect(cold).toMatchObject({ verified: true, cached: false });
    // The .sig manifest and its payload blob.
    expect((await registry.requestCounts()).total).toBe(2);
    await registry.resetRequestCounts();
    const warm = await (await verifierFor(signer, cache)).verify(request('team/app', image));
    expect(warm).toMatchObject({ verified: true, cached: true });
    expect((await registry.requestCounts()).total).toBe(0);
    // Another key is another policy: not answered from the cache.
    const other = await (await verifierFor(stranger, cache)).verify(request('team/app', image));
    expect(other.verified).toBe(false);
  });
});

describe('cosign key signatures as Sigstore bundles in the referrers tag schema', () => {
  it('accepts a key-signed bundle about the digest', async () => {
    const image = await pushImage('team/bundles');
    await attachBundle(
      registry,
      'team/bundles',
      image.digest,
      OCI_MANIFEST,
      keyBundle(signer, statement(image.digest, SIGN_PREDICATE)),
      SIGN_PREDICATE,
    );
    const result = await (await verifierFor(signer)).verify(request('team/bundles', image));
    expect(result).toMatchObject({ verified: true });
    if (result.verified) expect(result.evidence[0]).toContain('Sigstore bundle');
  });

  it('refuses a bundle signed by another key, and one about another digest', async () => {
    const image = await pushImage('team/bundles');
    const other = await pushImage('team/bundles');
    await attachBundle(
      registry,
      'team/bundles',
      image.digest,
      OCI_MANIFEST,
      keyBundle(stranger, statement(image.digest, SIGN_PREDICATE)),
      SIGN_PREDICATE,
    );
    await attachBundle(
      registry,
      'team/bundles',
      image.digest,
      OCI_MANIFEST,
      keyBundle(signer, statement(other.digest, SIGN_PREDICATE)),
      SIGN_PREDICATE,
    );
    const result = await (await verifierFor(signer)).verify(request('team/bundles', image));
    expect(result).toEqual({ verified: false, reason: 'no valid signature for key cosign.pub' });
  });
});
