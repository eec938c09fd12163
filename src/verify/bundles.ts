import {
  bundleFromJSON,
  isBundleWithCertificateChain,
  isBundleWithDsseEnvelope,
  type Bundle,
} from '@sigstore/bundle';
import { toSignedEntity, Verifier, type Signer, type TrustMaterial } from '@sigstore/verify';
import { errorMessage } from '../core/errors.js';
import type { TrustRoot, VerificationKey } from './material.js';
import { describeIdentity, type IdentityMatcher } from './policy.js';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** cosign 3 signs an image as this in-toto predicate, with the manifest digest as subject. */
export const SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** What a bundle is about, read before its signature is checked (only to pick bundles). */
export interface BundleStatement {
  readonly bundle: Bundle;
  readonly predicateType: string;
  readonly subjects: readonly string[];
  readonly predicate: unknown;
}

export type BundleRead =
  | { readonly ok: true; readonly statement: BundleStatement }
  | { readonly ok: false; readonly reason: string };

/** Parses a bundle blob; only DSSE in-toto statements can name an image digest. */
export function readBundle(bytes: Buffer): BundleRead {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(bytes.toString('utf8')));
  } catch (error) {
    return {
      ok: false,
      reason: `an attached Sigstore bundle is malformed (${errorMessage(error)})`,
    };
  }
  if (!isBundleWithDsseEnvelope(bundle)) {
    return {
      ok: false,
      reason: 'an attached Sigstore bundle holds a message signature, which names no image digest',
    };
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return {
      ok: false,
      reason: `an attached bundle holds a ${envelope.payloadType} payload, not an in-toto statement`,
    };
  }
  let statement: unknown;
  try {
    statement = JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    statement = undefined;
  }
  if (typeof statement !== 'object' || statement === null) {
    return { ok: false, reason: 'an attached bundle holds an in-toto payload that is not JSON' };
  }
  const record = statement as Record<string, unknown>;
  const subjects: string[] = [];
  if (Array.isArray(record['subject'])) {
    for (const subject of record['subject'] as unknown[]) {
      const hex = field(subject, 'digest', 'sha256');
      if (typeof hex === 'string') subjects.push(`sha256:${hex.toLowerCase()}`);
    }
  }
  return {
    ok: true,
    statement: {
      bundle,
      predicateType: typeof record['predicateType'] === 'string' ? record['predicateType'] : '',
      subjects,
      predicate: record['predicate'],
    },
  };
}

export type BundleCheck =
  | { readonly ok: true; readonly signer: Signer; readonly logIndex: string | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * A bundle signed with a cosign key: the DSSE signature checked with the key by
 * @sigstore/verify. Transparency-log entries present are checked against the root's logs; none
 * are required (a key signature made with `--tlog-upload=false` is still a key signature).
 */
export function checkKeyBundle(
  statement: BundleStatement,
  key: VerificationKey,
  root: TrustRoot | undefined,
): BundleCheck {
  if (
    isBundleWithCertificateChain(statement.bundle) ||
    statement.bundle.verificationMaterial.content.$case !== 'publicKey'
  ) {
    return { ok: false, reason: `a bundle is signed with a certificate, not with key ${key.name}` };
  }
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: root?.material.timestampAuthorities ?? [],
    tlogs: root?.material.tlogs ?? [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key.key, validFor: () => true }),
  };
  try {
    const signer = new Verifier(trust, {
      tlogThreshold: 0,
      ctlogThreshold: 0,
      timestampThreshold: 0,
    }).verify(toSignedEntity(statement.bundle));
    return { ok: true, signer, logIndex: logIndexOf(statement.bundle) };
  } catch (error) {
    return { ok: false, reason: `no valid signature for key ${key.name} (${errorMessage(error)})` };
  }
}

/**
 * A keyless bundle: the Fulcio certificate chains to the root's CA at the transparency log's
 * (or a timestamp authority's) time, has an SCT, the Rekor entry is proven, the signature holds,
 * and the certificate names the identity and issuer. All of it by @sigstore/verify.
 */
export function checkKeylessBundle(
  statement: BundleStatement,
  root: TrustRoot,
  identity: IdentityMatcher,
  issuer: string,
): BundleCheck {
  if (
    !isBundleWithCertificateChain(statement.bundle) &&
    statement.bundle.verificationMaterial.content.$case === 'publicKey'
  ) {
    return { ok: false, reason: 'a bundle is signed with a key, not with a Fulcio certificate' };
  }
  let signer: Signer;
  try {
    signer = new Verifier(root.material).verify(toSignedEntity(statement.bundle));
  } catch (error) {
    return {
      ok: false,
      reason: `a keyless signature does not verify against the ${root.name} trusted root (${errorMessage(error)})`,
    };
  }
  const san = signer.identity?.subjectAlternativeName;
  const signedIssuer = signer.identity?.extensions?.issuer;
  const identityHolds =
    san !== undefined &&
    (identity.kind === 'exact' ? san === identity.value : identity.pattern.test(san));
  if (!identityHolds) {
    return {
      ok: false,
      reason: `signed by ${san ?? 'an unnamed identity'}, not ${describeIdentity(identity)}`,
    };
  }
  if (signedIssuer !== issuer) {
    return {
      ok: false,
      reason: `certificate issuer is ${signedIssuer ?? 'missing'}, not ${issuer}`,
    };
  }
  return { ok: true, signer, logIndex: logIndexOf(statement.bundle) };
}

/** What a SLSA v1 provenance says about the build, for the commit check and the PR body. */
export interface Provenance {
  readonly builder: string | undefined;
  /** `git+https://github.com/acme/app@refs/heads/main` */
  readonly source: string | undefined;
  readonly commit: string | undefined;
}

export function readProvenance(predicate: unknown): Provenance {
  const builder = field(predicate, 'runDetails', 'builder', 'id');
  const dependencies = field(predicate, 'buildDefinition', 'resolvedDependencies');
  let source: string | undefined;
  let commit: string | undefined;
  if (Array.isArray(dependencies)) {
    for (const dependency of dependencies as unknown[]) {
      const gitCommit = field(dependency, 'digest', 'gitCommit');
      if (typeof gitCommit !== 'string') continue;
      commit = gitCommit.toLowerCase();
      const uri = field(dependency, 'uri');
      source = typeof uri === 'string' ? uri : undefined;
      break;
    }
  }
  return { builder: typeof builder === 'string' ? builder : undefined, source, commit };
}

/** The commit a `main-<sha>` style tag names: the last dash-separated part, 7–40 hex digits. */
export function commitOfTag(tag: string): string | undefined {
  const match = /-([0-9a-f]{7,40})$/.exec(tag);
  return match?.[1];
}

function logIndexOf(bundle: Bundle): string | undefined {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  return entry === undefined ? undefined : String(entry.logIndex);
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}
