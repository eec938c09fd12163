import { ConfigurationError } from '../core/errors.js';
import { OCI_TAG_GRAMMAR, digestProblem, isValidOciTag } from '../core/oci.js';
import type { ImageReference } from './types.js';

/** The canonical name of Docker Hub, used for credentials and cache keys. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
/** The host Docker Hub serves the registry API from. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

const DOCKER_HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

// The grammar of github.com/distribution/reference, written out piece by piece.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_NAME_LENGTH = 255;

/**
 * Parses an image reference the way `docker pull` reads it:
 * `nginx` → `docker.io` / `library/nginx`, `ghcr.io/o/i:tag`, `host:5000/a/b@sha256:…`.
 * Throws a ConfigurationError naming the text when it is not a valid reference.
 */
export function parseImageReference(text: string): ImageReference {
  const fail = (why: string): never => {
    throw new ConfigurationError(
      `invalid image reference "${text}": ${why}. Expected [registry/]repository[:tag][@sha256:digest], e.g. nginx, ghcr.io/owner/image or 127.0.0.1:5000/team/app:v1`,
    );
  };
  if (text.length === 0) fail('it is empty');
  if (/\s/.test(text)) fail('it contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) fail('write it without a scheme such as https://');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem !== undefined) fail(`"${digest}" ${problem}`);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!isValidOciTag(tag)) fail(`"${tag}" is not a valid tag (${OCI_TAG_GRAMMAR})`);
  }

  let domain: string | undefined;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // As in distribution/reference: the first component is a registry when it looks like a host.
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain !== undefined && !isValidDomain(domain))
    fail(`"${domain}" is not a valid registry host`);
  if (path.length === 0) fail('the repository name is missing');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      fail(
        `"${component}" is not a valid repository path component (lower-case letters, digits and single separators . _ __ -)`,
      );
    }
  }

  const registry = registryKey(domain ?? DOCKER_HUB_REGISTRY);
  const isDockerHub = registry === DOCKER_HUB_REGISTRY;
  const repository = isDockerHub && !path.includes('/') ? `library/${path}` : path;
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH)
    fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  return {
    registry,
    host: isDockerHub ? DOCKER_HUB_API_HOST : registry,
    repository,
    tag,
    digest,
    original: text,
  };
}

function isValidDomain(domain: string): boolean {
  let host = domain;
  const portMatch = /^(.*):([^:\]]*)$/.exec(domain);
  if (portMatch && !IPV6_HOST.test(domain)) {
    host = portMatch[1] ?? '';
    if (!PORT.test(portMatch[2] ?? '')) return false;
  }
  if (IPV6_HOST.test(host)) return true;
  return host.length > 0 && host.split('.').every((label) => DOMAIN_COMPONENT.test(label));
}

/**
 * The canonical registry name for a host as users write it in credentials and Docker configs:
 * every Docker Hub spelling (`index.docker.io`, `https://index.docker.io/v1/`, …) becomes
 * `docker.io`; a scheme and path are dropped and the host is lower-cased.
 */
export function registryKey(host: string): string {
  const withoutScheme = host.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const hostOnly = (withoutScheme.split('/')[0] ?? '').toLowerCase();
  return DOCKER_HUB_ALIASES.has(hostOnly) ? DOCKER_HUB_REGISTRY : hostOnly;
}

/** `registry/repository`: the key of usage counts and the metadata cache. */
export function imageKey(image: ImageReference): string {
  return `${image.registry}/${image.repository}`;
}
