import { PayloadError } from '../core/errors.js';
import { OCI_TAG_GRAMMAR, isDigest, isValidOciTag } from '../core/oci.js';

/**
 * What the triggering event asks for. Every event this action understands maps to one of these;
 * the rest of the run does not look at the event again.
 */
export type Trigger =
  | { readonly kind: 'all'; readonly event: string }
  | { readonly kind: 'skip'; readonly event: string; readonly reason: string }
  | {
      readonly kind: 'image';
      readonly event: string;
      /** The image as the event names it, matched against configured repositories. */
      readonly image: string;
      readonly tag: string;
      readonly digest: string | undefined;
    };

export interface EventInput {
  /** `GITHUB_EVENT_NAME`. */
  readonly name: string;
  /** The parsed `GITHUB_EVENT_PATH` file (an empty object when absent). */
  readonly payload: unknown;
  /** repository_dispatch types that carry an image push. */
  readonly dispatchTypes: readonly string[];
}

/** GitHub's own limits on `client_payload` (REST "Create a repository dispatch event"). */
const MAX_CLIENT_PAYLOAD_KEYS = 10;
/** Loose image-reference shape: registry host, path, no whitespace or control characters. */
const IMAGE_NAME = /^[a-z0-9][a-z0-9._:/-]{0,254}$/;

/**
 * Reads the event into a Trigger. A payload that is malformed is a PayloadError; whether the
 * image is configured and the tag exists is checked later, against settings and the registry.
 */
export function triggerFromEvent(input: EventInput): Trigger {
  const event = input.name;
  switch (event) {
    case 'repository_dispatch':
      return fromRepositoryDispatch(input);
    case 'registry_package':
      return fromRegistryPackage(input.payload);
    case 'workflow_run': {
      const run = field(input.payload, 'workflow_run');
      const conclusion = field(run, 'conclusion');
      if (conclusion !== 'success') {
        const name = field(run, 'name');
        return {
          kind: 'skip',
          event,
          reason: `the build workflow${typeof name === 'string' ? ` "${name}"` : ''} concluded ${JSON.stringify(conclusion ?? null)}, not "success"`,
        };
      }
      return { kind: 'all', event };
    }
    default:
      // schedule, workflow_dispatch, push and anything else a user wires up: every image.
      return { kind: 'all', event };
  }
}

function fromRepositoryDispatch(input: EventInput): Trigger {
  const event = 'repository_dispatch';
  const action = field(input.payload, 'action');
  if (typeof action !== 'string' || !input.dispatchTypes.includes(action)) {
    return {
      kind: 'skip',
      event,
      reason: `repository_dispatch type ${JSON.stringify(action ?? null)} is not one of dispatch-types (${input.dispatchTypes.join(', ')})`,
    };
  }
  const clientPayload = field(input.payload, 'client_payload');
  if (clientPayload === null || typeof clientPayload !== 'object' || Array.isArray(clientPayload)) {
    throw new PayloadError(
      'repository_dispatch client_payload must be an object {"image": "...", "tag": "...", "digest"?: "sha256:..."}',
    );
  }
  const keys = Object.keys(clientPayload);
  if (keys.length > MAX_CLIENT_PAYLOAD_KEYS) {
    throw new PayloadError(
      `repository_dispatch client_payload has ${keys.length} keys; GitHub allows at most ${MAX_CLIENT_PAYLOAD_KEYS}`,
    );
  }
  return imageTrigger(event, 'client_payload', {
    image: field(clientPayload, 'image'),
    tag: field(clientPayload, 'tag'),
    digest: field(clientPayload, 'digest'),
  });
}

function fromRegistryPackage(payload: unknown): Trigger {
  const event = 'registry_package';
  const pkg = field(payload, 'registry_package');
  const version = field(pkg, 'package_version');
  const metadata = field(field(version, 'container_metadata'), 'tag');
  const tag = field(metadata, 'name');
  if (tag === '' || tag === undefined || tag === null) {
    // A multi-arch push sends one event per manifest; only the one carrying the tag matters.
    return {
      kind: 'skip',
      event,
      reason:
        'the registry_package event carries no tag (an untagged manifest of a multi-arch push)',
    };
  }
  const packageType = field(pkg, 'package_type') ?? field(pkg, 'ecosystem');
  if (typeof packageType === 'string' && packageType.toLowerCase() !== 'container') {
    return {
      kind: 'skip',
      event,
      reason: `package type ${JSON.stringify(packageType)} is not a container image`,
    };
  }
  const name = field(pkg, 'name');
  const namespace = field(pkg, 'namespace') ?? field(field(pkg, 'owner'), 'login');
  if (typeof name !== 'string' || typeof namespace !== 'string') {
    throw new PayloadError('registry_package event lacks registry_package.name or .namespace');
  }
  return imageTrigger(event, 'registry_package.package_version.container_metadata.tag', {
    image: `ghcr.io/${namespace}/${name}`.toLowerCase(),
    tag,
    digest: field(metadata, 'digest'),
  });
}

function imageTrigger(
  event: string,
  where: string,
  raw: { image: unknown; tag: unknown; digest: unknown },
): Trigger {
  if (typeof raw.image !== 'string' || !IMAGE_NAME.test(raw.image)) {
    throw new PayloadError(
      `${where}.image must be an image repository such as "ghcr.io/acme/frontend"; got ${describe(raw.image)}`,
    );
  }
  if (typeof raw.tag !== 'string' || !isValidOciTag(raw.tag)) {
    throw new PayloadError(
      `${where}.tag must be an OCI tag (${OCI_TAG_GRAMMAR}); got ${describe(raw.tag)}`,
    );
  }
  if (raw.digest !== undefined && raw.digest !== null && raw.digest !== '') {
    if (typeof raw.digest !== 'string' || !isDigest(raw.digest)) {
      throw new PayloadError(
        `${where}.digest must be a digest, "sha256:" and 64 hex digits; got ${describe(raw.digest)}`,
      );
    }
    return { kind: 'image', event, image: raw.image, tag: raw.tag, digest: raw.digest };
  }
  return { kind: 'image', event, image: raw.image, tag: raw.tag, digest: undefined };
}

/** A value for a message: JSON-quoted and cut, so hostile input is visible and harmless. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined only for functions and symbols, which JSON payloads cannot hold.
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function field(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return (value as Record<string, unknown>)[key];
}
