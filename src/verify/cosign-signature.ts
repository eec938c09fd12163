import { verify as verifySignature } from 'node:crypto';
import type { RawManifest } from '../registry/artifacts.js';
import type { VerificationKey } from './material.js';

/** cosign's tag scheme: `sha256:<hex>` → `sha256-<hex>.sig` (signatures), `.att` (attestations). */
export function cosignTag(digest: string, suffix: 'sig' | 'att'): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
/** What cosign writes as `critical.type`: the legacy payload, and cosign 3's predicate type. */
const SIGNATURE_TYPES: ReadonlySet<string> = new Set([
  'cosign container image signature',
  'https://sigstore.dev/cosign/sign/v1',
]);

/** One signature layer of a `.sig` manifest: the payload blob and the signature over it. */
export interface SignatureLayer {
  readonly payloadDigest: string;
  readonly payloadSize: number;
  /** Base64, as cosign writes it into the annotation. */
  readonly signature: string;
  /** A Fulcio certificate (keyless): not checked against a key. */
  readonly keyless: boolean;
}

export function signatureLayers(manifest: RawManifest): SignatureLayer[] {
  const layers = manifest.content['layers'];
  if (!Array.isArray(layers)) return [];
  const found: SignatureLayer[] = [];
  for (const layer of layers as unknown[]) {
    if (typeof layer !== 'object' || layer === null) continue;
    const record = layer as Record<string, unknown>;
    const annotations = record['annotations'];
    if (record['mediaType'] !== SIMPLESIGNING_MEDIA_TYPE) continue;
    if (typeof annotations !== 'object' || annotations === null) continue;
    const signature = (annotations as Record<string, unknown>)[SIGNATURE_ANNOTATION];
    const digest = record['digest'];
    if (typeof signature !== 'string' || typeof digest !== 'string') continue;
    found.push({
      payloadDigest: digest,
      payloadSize: typeof record['size'] === 'number' ? record['size'] : 0,
      signature,
      keyless: typeof (annotations as Record<string, unknown>)[CERTIFICATE_ANNOTATION] === 'string',
    });
  }
  return found;
}

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly signedByKey: boolean };

/**
 * Checks one simple-signing payload: the signature over its exact bytes with the key (ECDSA and
 * RSA with SHA-256, Ed25519 pure, as cosign signs), then that it is an image signature naming
 * `digest`. The payload is trusted only after its signature holds, and a valid signature whose
 * payload names another digest is a replay, not a signature of this image.
 */
export function checkSimpleSigning(
  payload: Buffer,
  signatureBase64: string,
  key: VerificationKey,
  digest: string,
): SignatureCheck {
  const signature = Buffer.from(signatureBase64, 'base64');
  let valid = false;
  if (signature.length > 0) {
    try {
      valid = verifySignature(key.algorithm, payload, key.key, signature);
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    return { ok: false, reason: `no valid signature for key ${key.name}`, signedByKey: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const critical =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)['critical']
      : undefined;
  const named = field(critical, 'image', 'docker-manifest-digest');
  const type = field(critical, 'type');
  if (typeof type !== 'string' || !SIGNATURE_TYPES.has(type) || typeof named !== 'string') {
    return {
      ok: false,
      reason: `a payload signed by ${key.name} is not a cosign image signature`,
      signedByKey: true,
    };
  }
  if (named !== digest) {
    return {
      ok: false,
      reason: `the signature by ${key.name} names ${named}, not ${digest} (a signature replayed from another image)`,
      signedByKey: true,
    };
  }
  return { ok: true };
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}
