/**
 * Signs images in the test registry the way cosign does, with keys the tests generate:
 * simple-signing payloads under cosign's `sha256-<hex>.sig` tag, and Sigstore bundles attached
 * as OCI 1.1 referrers listed in the referrers tag schema (`sha256-<hex>`), which is what cosign
 * writes to a registry without the referrers API (the test registry 2.8 has none).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import type { RunningRegistry } from '../harness/registry/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';
export const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const SLSA_PREDICATE = 'https://slsa.dev/provenance/v1';

export type KeyKind = 'ecdsa-p256' | 'ed25519' | 'rsa';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly kind: KeyKind;
}

export function generateKey(kind: KeyKind = 'ecdsa-p256'): TestKey {
  const pair =
    kind === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kind,
  };
}

/** cosign signs ECDSA and RSA with SHA-256, Ed25519 without a separate hash. */
export function signBytes(key: TestKey, bytes: Buffer): Buffer {
  return sign(key.kind === 'ed25519' ? null : 'sha256', bytes, key.privateKey);
}

/** The payload `cosign sign` signs: critical.image.docker-manifest-digest names the image. */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

export interface SignOptions {
  /** The digest written into the payload (default the signed digest): another one is a replay. */
  readonly payloadDigest?: string;
  /** Changes the payload after signing. */
  readonly tamper?: boolean;
}

/** Pushes a cosign signature manifest to `sha256-<hex>.sig`. Returns the signature tag. */
export async function cosignSign(
  registry: RunningRegistry,
  repository: string,
  digest: string,
  key: TestKey,
  options: SignOptions = {},
): Promise<string> {
  let payload = simpleSigningPayload(
    `${registry.host}/${repository}`,
    options.payloadDigest ?? digest,
  );
  const signature = signBytes(key, payload).toString('base64');
  if (options.tamper)
    payload = Buffer.from(
      payload.toString('utf8').replace('"optional":null', '"optional":{"x":"y"}'),
    );
  const payloadDigest = await registry.pushBlob(repository, payload);
  const config = Buffer.from('{}');
  const configDigest = await registry.pushBlob(repository, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.length,
      digest: configDigest,
    },
    layers: [
      {
        mediaType: SIMPLESIGNING,
        size: payload.length,
        digest: payloadDigest,
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
  });
  const tag = `${digest.replace(':', '-')}.sig`;
  await registry.pushRawManifest(repository, tag, OCI_MANIFEST, manifest);
  return tag;
}

/** An in-toto statement about `digest`. */
export function statement(digest: string, predicateType: string, predicate: unknown = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'image', digest: { sha256: digest.replace(/^sha256:/, '') } }],
      predicateType,
      predicate,
    }),
  );
}

/** DSSE pre-authentication encoding, what a DSSE signature covers. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

/** A Sigstore bundle (v0.3) of a DSSE statement signed with a key, no transparency log. */
export function keyBundle(key: TestKey, payload: Buffer): Record<string, unknown> {
  const bundle = toDSSEBundle({
    artifact: payload,
    artifactType: IN_TOTO,
    signature: signBytes(key, pae(IN_TOTO, payload)),
    keyHint: '',
  });
  return bundleToJSON(bundle);
}

/** Referrers listed per subject digest, as the referrers tag schema index holds them. */
const listed = new Map<string, object[]>();

/**
 * Attaches a bundle to `digest` as cosign 3 does on a registry without the referrers API: the
 * bundle blob, an artifact manifest with `subject`, and the `sha256-<hex>` index updated.
 */
export async function attachBundle(
  registry: RunningRegistry,
  repository: string,
  digest: string,
  subjectMediaType: string,
  bundle: object,
  predicateType: string,
): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(bundle));
  const bundleDigest = await registry.pushBlob(repository, bytes);
  const empty = Buffer.from('{}');
  const emptyDigest = await registry.pushBlob(repository, empty);
  const annotations = {
    'dev.sigstore.bundle.content': 'dsse-envelope',
    'dev.sigstore.bundle.predicateType': predicateType,
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_TYPE,
      config: { mediaType: EMPTY_CONFIG, digest: emptyDigest, size: empty.length },
      layers: [{ mediaType: BUNDLE_TYPE, digest: bundleDigest, size: bytes.length }],
      subject: { mediaType: subjectMediaType, digest, size: 0 },
      annotations,
    }),
  );
  const manifestDigest = await registry.pushRawManifest(
    repository,
    undefined,
    OCI_MANIFEST,
    manifest,
  );
  const key = `${registry.host}/${repository}@${digest}`;
  const entries = listed.get(key) ?? [];
  entries.push({
    mediaType: OCI_MANIFEST,
    digest: manifestDigest,
    size: manifest.length,
    artifactType: BUNDLE_TYPE,
    annotations,
  });
  listed.set(key, entries);
  await registry.pushRawManifest(
    repository,
    digest.replace(':', '-'),
    OCI_INDEX,
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  return manifestDigest;
}
