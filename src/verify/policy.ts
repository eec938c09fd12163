/**
 * What an image must prove before one of its tags is written: the verification vocabulary,
 * below config/ (which builds it) and job/ (which applies it).
 */

export type VerifyMethod = 'cosign-key' | 'keyless' | 'attestation';

export const VERIFY_METHODS: readonly VerifyMethod[] = ['cosign-key', 'keyless', 'attestation'];

/** Where key material comes from: a file of the chart repository, or an environment variable. */
export type MaterialSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string };

/** A certificate identity: an exact subject alternative name, or an RE2-compatible pattern. */
export type IdentityMatcher =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'regexp'; readonly source: string; readonly pattern: RegExp };

export interface VerificationPolicy {
  /** Every method listed must hold; empty means no verification (`verify: none`). */
  readonly methods: readonly VerifyMethod[];
  /** `cosign-key`: the PEM public key. */
  readonly key: MaterialSource | undefined;
  /** `keyless` and `attestation`: the Fulcio certificate's identity (SAN). */
  readonly identity: IdentityMatcher | undefined;
  /** `keyless` and `attestation`: the OIDC issuer in the certificate. */
  readonly issuer: string | undefined;
  /** A private Sigstore deployment's `trusted_root.json`; undefined: the public-good root. */
  readonly trustedRoot: MaterialSource | undefined;
  /** Where the policy was written, for configuration errors about its key or root. */
  readonly location: string;
}

export const NO_VERIFICATION: VerificationPolicy = Object.freeze({
  methods: Object.freeze([]),
  key: undefined,
  identity: undefined,
  issuer: undefined,
  trustedRoot: undefined,
  location: 'defaults',
});

export function isVerifying(policy: VerificationPolicy): boolean {
  return policy.methods.length > 0;
}

export function describeSource(source: MaterialSource): string {
  return source.kind === 'env' ? `env:${source.name}` : source.path;
}

/** The key's short name in reasons: `cosign.pub`, `env:COSIGN_PUBLIC_KEY`. */
export function sourceName(source: MaterialSource): string {
  if (source.kind === 'env') return `env:${source.name}`;
  const parts = source.path.split('/');
  return parts[parts.length - 1] ?? source.path;
}

export function describeIdentity(identity: IdentityMatcher): string {
  return identity.kind === 'exact' ? identity.value : `regexp:${identity.source}`;
}
