/** Synthetic images as bytes: configs, manifests and indexes, independent of how they are stored. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import type { ImageSpec, PushedImage } from './types.js';

export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

/** Every manifest type, so 2.8 neither hides OCI manifests nor converts schema 2 to schema 1. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.oci.manifest,
  MEDIA_TYPES.oci.index,
  MEDIA_TYPES.docker.manifest,
  MEDIA_TYPES.docker.index,
].join(', ');

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(platform: string): Platform {
  const [os, architecture, variant, ...rest] = platform.split('/');
  if (!os || !architecture || rest.length > 0 || variant === '') {
    throw new Error(`Platform "${platform}" is not os/arch[/variant], e.g. linux/arm64/v8.`);
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Blob {
  bytes: Buffer;
  digest: string;
}

export interface Manifest extends Blob {
  mediaType: string;
}

export interface BuiltImage {
  /** Layer, config and attestation blobs the manifests refer to. */
  blobs: {
    blob: Blob;
    /** The one layer all images share: worth a HEAD before uploading. */ shared: boolean;
  }[];
  /** Child and attestation manifests, stored by digest before `top`. */
  children: Manifest[];
  /** The manifest or index the tag points at. */
  top: Manifest;
  result: PushedImage;
}

function jsonBlob(value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, digest: sha256Digest(bytes) };
}

function manifestOf(mediaType: string, value: Record<string, unknown>): Manifest {
  return { ...jsonBlob({ schemaVersion: 2, mediaType, ...value }), mediaType };
}

/** The layer every image shares: an empty tar archive (two zero blocks), gzipped. */
const EMPTY_TAR = Buffer.alloc(1024);
const SHARED_LAYER: Blob = { bytes: gzipSync(EMPTY_TAR), digest: '' };
SHARED_LAYER.digest = sha256Digest(SHARED_LAYER.bytes);
const SHARED_LAYER_DIFF_ID = sha256Digest(EMPTY_TAR);

/**
 * A BuildKit-style provenance attestation for one child: an OCI manifest with an in-toto
 * layer, listed in the index under platform unknown/unknown, pointing at the child.
 */
function attestationFor(subject: Manifest): {
  blobs: Blob[];
  manifest: Manifest;
  descriptor: Descriptor;
} {
  const statement = jsonBlob({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    // No repository name in it: the same image has the same digests in every repository.
    subject: [{ name: 'image', digest: { sha256: subject.digest.replace(/^sha256:/, '') } }],
    predicate: { builder: { id: 'helm-image-updater registry harness' } },
  });
  const config = jsonBlob({
    architecture: 'unknown',
    os: 'unknown',
    config: {},
    rootfs: { type: 'layers', diff_ids: [statement.digest] },
  });
  const manifest = manifestOf(MEDIA_TYPES.oci.manifest, {
    config: { mediaType: MEDIA_TYPES.oci.config, digest: config.digest, size: config.bytes.length },
    layers: [
      {
        mediaType: 'application/vnd.in-toto+json',
        digest: statement.digest,
        size: statement.bytes.length,
        annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
      },
    ],
  });
  return {
    blobs: [statement, config],
    manifest,
    descriptor: {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.digest': subject.digest,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
    },
  };
}

/** Everything one tag needs, and what the registry will report for it. */
export function buildImage(repository: string, tag: string, image: ImageSpec): BuiltImage {
  const format = image.format ?? 'oci';
  const types = MEDIA_TYPES[format];
  const platforms = image.platforms ?? ['linux/amd64'];
  if (platforms.length === 0) throw new Error(`Image ${repository}:${tag} lists no platform.`);
  if (image.attestations && format !== 'oci') {
    throw new Error(`Image ${repository}:${tag}: attestation manifests need format 'oci'.`);
  }

  const layer: Descriptor = {
    mediaType: types.layer,
    digest: SHARED_LAYER.digest,
    size: SHARED_LAYER.bytes.length,
  };
  const blobs: BuiltImage['blobs'] = [{ blob: SHARED_LAYER, shared: true }];
  const configDigests: Record<string, string> = {};
  const platformManifests: { platform: string; manifest: Manifest; descriptor: Descriptor }[] = [];
  for (const platform of platforms) {
    const parsed = parsePlatform(platform);
    const created = image.createdByPlatform?.[platform] ?? image.created;
    const config = jsonBlob({
      ...(created === null
        ? {}
        : { created: created instanceof Date ? created.toISOString() : created }),
      architecture: parsed.architecture,
      os: parsed.os,
      ...(parsed.variant === undefined ? {} : { variant: parsed.variant }),
      config: { Labels: image.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [SHARED_LAYER_DIFF_ID] },
      history: [{ created_by: 'helm-image-updater registry harness' }],
    });
    blobs.push({ blob: config, shared: false });
    configDigests[platform] = config.digest;
    const manifest = manifestOf(types.manifest, {
      config: { mediaType: types.config, digest: config.digest, size: config.bytes.length },
      layers: [layer],
    });
    platformManifests.push({
      platform,
      manifest,
      descriptor: {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.length,
        platform: parsed,
      },
    });
  }

  const only = platformManifests[0];
  if (platformManifests.length === 1 && only && !image.index && !image.attestations) {
    return {
      blobs,
      children: [],
      top: only.manifest,
      result: {
        digest: only.manifest.digest,
        mediaType: only.manifest.mediaType,
        childDigests: {},
        configDigests,
        attestationDigests: {},
      },
    };
  }

  const children = platformManifests.map((entry) => entry.manifest);
  const descriptors = platformManifests.map((entry) => entry.descriptor);
  const childDigests: Record<string, string> = {};
  const attestationDigests: Record<string, string> = {};
  for (const entry of platformManifests) childDigests[entry.platform] = entry.manifest.digest;
  if (image.attestations) {
    for (const entry of platformManifests) {
      const attestation = attestationFor(entry.manifest);
      blobs.push(...attestation.blobs.map((blob) => ({ blob, shared: false })));
      children.push(attestation.manifest);
      descriptors.push(attestation.descriptor);
      attestationDigests[entry.platform] = attestation.manifest.digest;
    }
  }
  const top = manifestOf(types.index, { manifests: descriptors });
  return {
    blobs,
    children,
    top,
    result: {
      digest: top.digest,
      mediaType: top.mediaType,
      childDigests,
      configDigests,
      attestationDigests,
    },
  };
}
