import { createHash } from 'node:crypto';
import { RequestBudgetSpent, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { ArtifactClient, RawManifest, ReferrersList } from '../registry/artifacts.js';
import type { VerificationCacheStore } from '../registry/cache.js';
import { isIndexMediaType } from '../registry/manifests.js';
import type { ImageReference } from '../registry/types.js';
import {
  BUNDLE_ARTIFACT_TYPE,
  SIGN_PREDICATE_TYPE,
  SLSA_PROVENANCE_V1,
  checkKeyBundle,
  checkKeylessBundle,
  commitOfTag,
  readBundle,
  readProvenance,
  type BundleStatement,
} from './bundles.js';
import { checkSimpleSigning, cosignTag, signatureLayers } from './cosign-signature.js';
import type { TrustRoot, VerificationMaterial } from './material.js';
import {
  describeIdentity,
  isVerifying,
  type VerificationPolicy,
  type VerifyMethod,
} from './policy.js';

/** How a digest was verified, one line per method, for the decision, PR body and summary. */
export type Evidence = readonly string[];

export type VerificationResult =
  | { readonly verified: true; readonly evidence: Evidence; readonly cached: boolean }
  | { readonly verified: false; readonly reason: string };

export interface VerifyRequest {
  readonly image: ImageReference;
  /** `registry/repository`, as the metadata cache names images. */
  readonly imageKey: string;
  readonly tag: string;
  /** The digest that would be written: the index digest for a multi-arch image. */
  readonly digest: string;
  readonly mediaType: string;
  readonly policy: VerificationPolicy;
}

export interface ImageVerifierOptions {
  readonly artifacts: ArtifactClient | undefined;
  readonly material: VerificationMaterial;
  readonly cache?: VerificationCacheStore | undefined;
  readonly logger: Logger;
}

const PAYLOAD_LIMIT = 256 * 1024;
const BUNDLE_LIMIT = 4 * 1024 * 1024;
/** A registry listing more signatures than this for one digest is not read further. */
const MAX_ARTIFACTS = 32;

type MethodCheck =
  | { readonly ok: true; readonly evidence: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks that a digest satisfies a verification policy, reading signatures where cosign and
 * Sigstore put them: cosign's `sha256-<hex>.sig` tag, and Sigstore bundles attached as OCI
 * referrers (the referrers API, or the referrers tag schema). Only positive results are cached:
 * a signature pushed after the image is found on the next run.
 */
export class ImageVerifier {
  /** Per run: what the registry holds for a digest, read once. */
  private readonly signatureManifests = new Map<string, Promise<RawManifest | undefined>>();
  private readonly referrers = new Map<string, Promise<ReferrersList>>();
  private readonly bundles = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: ImageVerifierOptions) {}

  async verify(request: VerifyRequest): Promise<VerificationResult> {
    const { policy } = request;
    if (!isVerifying(policy)) return { verified: true, evidence: [], cached: false };
    const key = this.cacheKey(request);
    const remembered = this.options.cache?.getVerification(request.imageKey, key);
    if (remembered !== undefined) return { verified: true, evidence: remembered, cached: true };
    if (!this.options.artifacts) {
      return { verified: false, reason: 'this registry client cannot read signatures' };
    }
    const result = await this.verifyDigest(request, request.digest);
    if (result.verified) {
      this.options.cache?.setVerification(request.imageKey, key, result.evidence);
      return result;
    }
    if (isIndexMediaType(request.mediaType)) {
      const signedChildren = await this.signedChildren(request);
      if (signedChildren.length > 0) {
        return {
          verified: false,
          reason: `${result.reason}; only the index's children are signed (${signedChildren.join(', ')}), not the index digest ${request.digest} that would be written — sign the index (cosign sign --recursive signs both)`,
        };
      }
    }
    return result;
  }

  private async verifyDigest(request: VerifyRequest, digest: string): Promise<VerificationResult> {
    const evidence: string[] = [];
    for (const method of request.policy.methods) {
      let check: MethodCheck;
      try {
        check = await this.checkMethod(request, digest, method);
      } catch (error) {
        if (error instanceof RequestBudgetSpent) throw error;
        check = { ok: false, reason: `signatures could not be read (${errorMessage(error)})` };
      }
      if (!check.ok) return { verified: false, reason: check.reason };
      evidence.push(check.evidence);
    }
    return { verified: true, evidence, cached: false };
  }

  private async checkMethod(
    request: VerifyRequest,
    digest: string,
    method: VerifyMethod,
  ): Promise<MethodCheck> {
    switch (method) {
      case 'cosign-key':
        return this.checkCosignKey(request, digest);
      case 'keyless':
        return this.checkKeyless(request, digest);
      case 'attestation':
        return this.checkAttestation(request, digest);
    }
  }

  private async checkCosignKey(request: VerifyRequest, digest: string): Promise<MethodCheck> {
    const { policy, image } = request;
    if (!policy.key) return { ok: false, reason: 'no verify-key configured' };
    const key = this.options.material.key(policy.key);
    const reasons: string[] = [];
    const manifest = await this.signatureManifest(image, digest);
    if (manifest) {
      const layers = signatureLayers(manifest).slice(0, MAX_ARTIFACTS);
      for (const layer of layers) {
        if (layer.keyless) continue;
        const payload = await this.options.artifacts!.readBlob(
          image,
          layer.payloadDigest,
          PAYLOAD_LIMIT,
        );
        const check = checkSimpleSigning(payload, layer.signature, key, digest);
        if (check.ok) {
          return {
            ok: true,
            evidence: `cosign key ${key.name} (${key.fingerprint}), signature ${cosignTag(digest, 'sig')}`,
          };
        }
        if (check.signedByKey) reasons.push(check.reason);
      }
    }
    for (const statement of await this.statements(image, digest, SIGN_PREDICATE_TYPE)) {
      const check = checkKeyBundle(statement, key, this.rootOrUndefined(request));
      if (check.ok) {
        return {
          ok: true,
          evidence: `cosign key ${key.name} (${key.fingerprint}), Sigstore bundle${check.logIndex === undefined ? '' : `, Rekor log index ${check.logIndex}`}`,
        };
      }
    }
    return {
      ok: false,
      reason: reasons[0] ?? `no valid signature for key ${key.name}`,
    };
  }

  private async checkKeyless(request: VerifyRequest, digest: string): Promise<MethodCheck> {
    const { policy, image } = request;
    if (!policy.identity || !policy.issuer) {
      return { ok: false, reason: 'keyless verification needs verify-identity and verify-issuer' };
    }
    const root = this.options.material.trustRoot(policy.trustedRoot);
    const statements = await this.statements(image, digest, SIGN_PREDICATE_TYPE);
    let reason: string | undefined;
    for (const statement of statements) {
      const check = checkKeylessBundle(statement, root, policy.identity, policy.issuer);
      if (check.ok) {
        return {
          ok: true,
          evidence: `keyless: ${check.signer.identity?.subjectAlternativeName ?? '?'} from ${policy.issuer}${check.logIndex === undefined ? '' : `, Rekor log index ${check.logIndex}`}`,
        };
      }
      reason ??= check.reason;
    }
    return {
      ok: false,
      reason: reason ?? `no keyless signature by ${describeIdentity(policy.identity)}`,
    };
  }

  private async checkAttestation(request: VerifyRequest, digest: string): Promise<MethodCheck> {
    const { policy, image } = request;
    if (!policy.identity || !policy.issuer) {
      return {
        ok: false,
        reason: 'attestation verification needs verify-identity and verify-issuer',
      };
    }
    const root = this.options.material.trustRoot(policy.trustedRoot);
    const tagCommit = commitOfTag(request.tag);
    let reason: string | undefined;
    for (const statement of await this.statements(image, digest, SLSA_PROVENANCE_V1)) {
      const check = checkKeylessBundle(statement, root, policy.identity, policy.issuer);
      if (!check.ok) {
        reason ??= `build provenance: ${check.reason}`;
        continue;
      }
      const provenance = readProvenance(statement.predicate);
      if (tagCommit !== undefined) {
        if (provenance.commit === undefined) {
          reason ??= `build provenance names no source commit, and the tag names ${tagCommit}`;
          continue;
        }
        if (!provenance.commit.startsWith(tagCommit)) {
          reason ??= `build provenance source commit ${provenance.commit.slice(0, 12)} is not the tag's commit ${tagCommit}`;
          continue;
        }
      }
      return {
        ok: true,
        evidence: `provenance: builder ${check.signer.identity?.subjectAlternativeName ?? provenance.builder ?? '?'}, source ${provenance.source ?? '?'}${provenance.commit === undefined ? '' : ` at ${provenance.commit.slice(0, 12)}`}${check.logIndex === undefined ? '' : `, Rekor log index ${check.logIndex}`}`,
      };
    }
    return { ok: false, reason: reason ?? 'no SLSA build provenance attached' };
  }

  private rootOrUndefined(request: VerifyRequest): TrustRoot | undefined {
    try {
      return this.options.material.trustRoot(request.policy.trustedRoot);
    } catch {
      return undefined;
    }
  }

  /** In-toto statements about `digest` with the predicate type, from attached bundles. */
  private async statements(
    image: ImageReference,
    digest: string,
    predicateType: string,
  ): Promise<BundleStatement[]> {
    const artifacts = this.options.artifacts!;
    const list = await this.referrersOf(image, digest);
    const found: BundleStatement[] = [];
    for (const referrer of list.referrers.slice(0, MAX_ARTIFACTS)) {
      if (referrer.artifactType !== BUNDLE_ARTIFACT_TYPE) continue;
      const announced = referrer.annotations['dev.sigstore.bundle.predicateType'];
      if (announced !== undefined && announced !== predicateType) continue;
      const bytes = await this.bundleBytes(artifacts, image, referrer.digest);
      if (bytes === undefined) continue;
      const read = readBundle(bytes);
      if (!read.ok) {
        this.options.logger.debug(`${image.original}@${digest}: ${read.reason}`);
        continue;
      }
      if (read.statement.predicateType !== predicateType) continue;
      // The statement must be about this digest: a bundle about another image is a replay.
      if (!read.statement.subjects.includes(digest)) continue;
      found.push(read.statement);
    }
    return found;
  }

  private bundleBytes(
    artifacts: ArtifactClient,
    image: ImageReference,
    manifestDigest: string,
  ): Promise<Buffer | undefined> {
    const key = `${image.registry}/${image.repository}@${manifestDigest}`;
    let pending = this.bundles.get(key);
    if (!pending) {
      pending = (async () => {
        const manifest = await artifacts.readManifest(image, manifestDigest);
        const layers = manifest?.content['layers'];
        if (!Array.isArray(layers)) return Buffer.alloc(0);
        const layer = (layers as unknown[]).find(
          (entry) =>
            typeof entry === 'object' &&
            entry !== null &&
            (entry as Record<string, unknown>)['mediaType'] === BUNDLE_ARTIFACT_TYPE,
        ) as Record<string, unknown> | undefined;
        const blob = layer?.['digest'];
        if (typeof blob !== 'string') return Buffer.alloc(0);
        return artifacts.readBlob(image, blob, BUNDLE_LIMIT);
      })();
      this.bundles.set(key, pending);
    }
    return pending.then((bytes) => (bytes.length === 0 ? undefined : bytes));
  }

  private signatureManifest(
    image: ImageReference,
    digest: string,
  ): Promise<RawManifest | undefined> {
    const key = `${image.registry}/${image.repository}@${digest}`;
    let pending = this.signatureManifests.get(key);
    if (!pending) {
      pending = this.options.artifacts!.readManifest(image, cosignTag(digest, 'sig'));
      this.signatureManifests.set(key, pending);
    }
    return pending;
  }

  private referrersOf(image: ImageReference, digest: string): Promise<ReferrersList> {
    const key = `${image.registry}/${image.repository}@${digest}`;
    let pending = this.referrers.get(key);
    if (!pending) {
      pending = this.options.artifacts!.listReferrers(image, digest);
      this.referrers.set(key, pending);
    }
    return pending;
  }

  /** Platforms of an index whose child manifest verifies on its own. */
  private async signedChildren(request: VerifyRequest): Promise<string[]> {
    const index = await this.options.artifacts!.readManifest(request.image, request.digest);
    const entries = index?.content['manifests'];
    if (!Array.isArray(entries)) return [];
    const signed: string[] = [];
    for (const entry of (entries as unknown[]).slice(0, MAX_ARTIFACTS)) {
      if (typeof entry !== 'object' || entry === null) continue;
      const record = entry as Record<string, unknown>;
      const digest = record['digest'];
      const platform = record['platform'] as Record<string, unknown> | undefined;
      if (typeof digest !== 'string' || platform?.['os'] === 'unknown') continue;
      const result = await this.verifyDigest(request, digest);
      if (result.verified) {
        signed.push(
          [platform?.['os'], platform?.['architecture'], platform?.['variant']]
            .filter((part): part is string => typeof part === 'string')
            .join('/') || digest,
        );
      }
    }
    return signed;
  }

  /** Digest, policy and the material it names; the tag too when its commit is checked. */
  private cacheKey(request: VerifyRequest): string {
    const { policy } = request;
    const material = {
      methods: policy.methods,
      key: policy.key ? this.options.material.key(policy.key).fingerprint : null,
      identity: policy.identity ? describeIdentity(policy.identity) : null,
      issuer: policy.issuer ?? null,
      root: this.rootOrUndefined(request)?.fingerprint ?? null,
      tag: policy.methods.includes('attestation') ? request.tag : null,
    };
    const hash = createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 16);
    return `${request.digest} ${hash}`;
  }
}
