import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import seeds from '@sigstore/tuf/seeds.json' with { type: 'json' };
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import {
  describeSource,
  isVerifying,
  sourceName,
  type MaterialSource,
  type VerificationPolicy,
} from './policy.js';

/** A cosign public key, ready to check signatures. */
export interface VerificationKey {
  readonly key: KeyObject;
  /** `cosign.pub`, `env:COSIGN_PUBLIC_KEY`. */
  readonly name: string;
  /** `SHA256:<hex>` of the DER SubjectPublicKeyInfo, as `cosign public-key` users compare them. */
  readonly fingerprint: string;
  /** The digest a signature over the payload uses with this key (cosign: SHA-256 for all). */
  readonly algorithm: 'sha256' | null;
}

/** A Sigstore trust root (Fulcio CAs, Rekor and CT log keys, timestamp authorities). */
export interface TrustRoot {
  readonly material: TrustMaterial;
  /** `public-good` or where the private root came from. */
  readonly name: string;
  /** sha256 of the root's text: cached results name the root they were checked against. */
  readonly fingerprint: string;
}

/** Keys and roots loaded once per run, before any registry request. */
export interface VerificationMaterial {
  key(source: MaterialSource): VerificationKey;
  trustRoot(source: MaterialSource | undefined): TrustRoot;
}

export interface MaterialInputs {
  /** Reads a file of the chart repository (base branch); undefined when it does not exist. */
  readonly readFile: (path: string) => Promise<string | undefined>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const PUBLIC_GOOD_SEED = 'https://tuf-repo-cdn.sigstore.dev';

/**
 * Loads every key and trust root the policies name. A missing, unreadable or malformed one is a
 * ConfigurationError naming the policy's location and the file or variable.
 */
export async function loadVerificationMaterial(
  policies: Iterable<VerificationPolicy>,
  inputs: MaterialInputs,
): Promise<VerificationMaterial> {
  const keys = new Map<string, VerificationKey>();
  const roots = new Map<string, TrustRoot>();
  let publicGood: TrustRoot | undefined;
  for (const policy of policies) {
    if (!isVerifying(policy)) continue;
    if (policy.key && !keys.has(sourceId(policy.key))) {
      const text = await readSource(policy.key, inputs, policy.location, 'verify-key');
      keys.set(sourceId(policy.key), parseKey(text, policy.key, policy.location));
    }
    // Every method can meet transparency-log entries; key bundles check them when present.
    if (policy.trustedRoot) {
      const id = sourceId(policy.trustedRoot);
      if (!roots.has(id)) {
        const text = await readSource(policy.trustedRoot, inputs, policy.location, 'trusted-root');
        roots.set(id, parseTrustRoot(text, describeSource(policy.trustedRoot), policy.location));
      }
    } else {
      publicGood ??= loadPublicGoodRoot();
    }
  }
  return {
    key(source: MaterialSource): VerificationKey {
      const key = keys.get(sourceId(source));
      if (!key) throw new Error(`verification key ${describeSource(source)} was not loaded`);
      return key;
    },
    trustRoot(source: MaterialSource | undefined): TrustRoot {
      const root = source ? roots.get(sourceId(source)) : publicGood;
      if (!root) {
        throw new Error(
          `trusted root ${source ? describeSource(source) : 'public-good'} was not loaded`,
        );
      }
      return root;
    },
  };
}

function sourceId(source: MaterialSource): string {
  return `${source.kind}:${source.kind === 'env' ? source.name : source.path}`;
}

async function readSource(
  source: MaterialSource,
  inputs: MaterialInputs,
  location: string,
  what: string,
): Promise<string> {
  if (source.kind === 'env') {
    const value = inputs.env[source.name];
    if (value === undefined || value.trim() === '') {
      throw new ConfigurationError(
        `${what} env:${source.name}: the environment variable ${source.name} is not set or empty; set it from a secret (env: ${source.name}: \${{ secrets.${source.name} }}).`,
        { source: location },
      );
    }
    return value;
  }
  let text: string | undefined;
  try {
    text = await inputs.readFile(source.path);
  } catch (error) {
    throw new ConfigurationError(
      `${what} ${source.path} cannot be read from the chart repository: ${errorMessage(error)}`,
      { source: location },
    );
  }
  if (text === undefined) {
    throw new ConfigurationError(
      `${what} ${source.path} does not exist in the chart repository; commit the public key there (cosign generate-key-pair writes cosign.pub) or use env:NAME.`,
      { source: location },
    );
  }
  return text;
}

/** A PEM public key of a kind cosign signs with: ECDSA (P-256, P-384, P-521), Ed25519, RSA. */
export function parseKey(text: string, source: MaterialSource, location: string): VerificationKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new ConfigurationError(
      `verify-key ${describeSource(source)} is not a PEM public key (${errorMessage(error)}); expected "-----BEGIN PUBLIC KEY-----" as cosign generate-key-pair writes it.`,
      { source: location },
    );
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'ed25519' && type !== 'rsa') {
    throw new ConfigurationError(
      `verify-key ${describeSource(source)} is a ${String(type)} key; cosign keys are ECDSA, Ed25519 or RSA.`,
      { source: location },
    );
  }
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ConfigurationError(
      `verify-key ${describeSource(source)} is an RSA key shorter than 2048 bits; use a stronger key.`,
      { source: location },
    );
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    key,
    name: sourceName(source),
    fingerprint: `SHA256:${createHash('sha256').update(der).digest('hex')}`,
    algorithm: type === 'ed25519' ? null : 'sha256',
  };
}

export function parseTrustRoot(text: string, name: string, location: string): TrustRoot {
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(text));
    if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0) {
      throw new Error('it names no certificate authority and no transparency log');
    }
    return {
      material: toTrustMaterial(root),
      name,
      fingerprint: createHash('sha256').update(text).digest('hex'),
    };
  } catch (error) {
    throw new ConfigurationError(
      `trusted-root ${name} is not a Sigstore trusted_root.json (${errorMessage(error)}); get one with \`cosign trusted-root create\` or from your Sigstore deployment's TUF repository.`,
      { source: location },
    );
  }
}

/**
 * The public-good root that ships inside @sigstore/tuf (its TUF seed), so no network is needed.
 * A key rotation after that package was built needs `trusted-root` or a newer release.
 */
function loadPublicGoodRoot(): TrustRoot {
  const byRepository = seeds as Record<string, { targets?: Record<string, string> }>;
  const encoded = byRepository[PUBLIC_GOOD_SEED]?.targets?.['trusted_root.json'];
  if (encoded === undefined) throw new Error('@sigstore/tuf ships no public-good trusted root');
  return parseTrustRoot(Buffer.from(encoded, 'base64').toString('utf8'), 'public-good', 'defaults');
}
