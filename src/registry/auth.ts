import type { RegistryCredential } from './settings.js';
import { RegistryError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { AuthChallenge } from './challenge.js';
import { basicAuthValue } from './credentials.js';
import type { RegistryHttp } from './http.js';
import type { ImageReference } from './types.js';

const TOKEN_BODY_LIMIT = 1024 * 1024;
// Docker's token spec: a token without expires_in lives 60 s, and none is treated as shorter.
const MINIMUM_TOKEN_SECONDS = 60;
// Renew a little early so a token does not expire between check and use.
const EXPIRY_MARGIN_MS = 5_000;
// The OAuth2 client id the token spec asks clients to send with a refresh-token grant.
const CLIENT_ID = 'helm-image-updater';

interface CachedToken {
  readonly value: string;
  readonly expiresAt: number;
}

export interface AuthOptions {
  readonly http: RegistryHttp;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Answers challenges: Bearer tokens fetched from the realm with the exact
 * `repository:<name>:pull` scope (basic credentials when the registry has some, anonymous
 * otherwise), cached per host and scope for their lifetime; Basic credentials for Basic.
 */
export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(private readonly options: AuthOptions) {}

  /** The Authorization header value for a request under `challenge`, or undefined for none. */
  async authorization(
    image: ImageReference,
    challenge: AuthChallenge | undefined,
    credential: RegistryCredential | undefined,
  ): Promise<string | undefined> {
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') {
      // An identity token is only good for the token protocol.
      return credential && credential.identityToken === undefined
        ? `Basic ${basicAuthValue(credential)}`
        : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const token = await this.token(image, challenge, credential);
    return `Bearer ${token}`;
  }

  /** Forgets the token of an image's scope, after the registry refused it. */
  forget(image: ImageReference): void {
    this.tokens.delete(tokenKey(image));
  }

  private async token(
    image: ImageReference,
    challenge: AuthChallenge,
    credential: RegistryCredential | undefined,
  ): Promise<string> {
    const key = tokenKey(image);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.options.now()) return cached.value;
    // Parallel requests for one scope share one token request.
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(image, challenge, credential).finally(() =>
        this.pending.delete(key),
      );
      this.pending.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return token.value;
  }

  private async fetchToken(
    image: ImageReference,
    challenge: AuthChallenge,
    credential: RegistryCredential | undefined,
  ): Promise<CachedToken> {
    const { http, logger, now } = this.options;
    const realm = challenge.params['realm'];
    const scope = scopeFor(image);
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryError(
        `${image.original}: ${image.host} asks for a Bearer token but its realm "${realm ?? ''}" is not a URL; the registry's auth configuration is broken`,
        { image: image.original },
      );
    }
    if (challenge.params['service'] !== undefined)
      url.searchParams.set('service', challenge.params['service']);
    url.searchParams.set('scope', scope);

    const registryOnHttp = http.isInsecure(image.host);
    if (credential && url.protocol === 'http:' && !http.isInsecure(url.host) && !registryOnHttp) {
      throw new RegistryError(
        `${image.original}: refusing to send the credentials for ${image.registry} over plain HTTP to the token realm ${url.host}; list ${url.host} in insecure-registries if that is intended`,
        { image: image.original, path: url.pathname },
      );
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const identityToken = credential?.identityToken;
    let body: Buffer | undefined;
    if (identityToken !== undefined) {
      // OAuth2 refresh-token grant (distribution's token spec): a POST to the realm with a form.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: identityToken,
        client_id: CLIENT_ID,
        scope,
      });
      if (challenge.params['service'] !== undefined)
        form.set('service', challenge.params['service']);
      body = Buffer.from(form.toString(), 'utf8');
      headers['content-type'] = 'application/x-www-form-urlencoded';
      url.search = '';
    } else if (credential) {
      headers['authorization'] = `Basic ${basicAuthValue(credential)}`;
    }
    logger.debug(
      `token for ${scope} from ${url.host}${url.pathname} (${identityToken !== undefined ? 'identity token' : credential ? `as ${credential.username}` : 'anonymous'})`,
    );
    const response = await http.send({
      image,
      method: body === undefined ? 'GET' : 'POST',
      url,
      headers,
      maxBytes: TOKEN_BODY_LIMIT,
      ...(body === undefined ? {} : { body }),
    });
    // OAuth2 answers a refused refresh token with 400 invalid_grant.
    if (
      response.status === 401 ||
      response.status === 403 ||
      (identityToken !== undefined && response.status === 400)
    ) {
      throw new RegistryError(
        credential
          ? `${image.original}: the token service ${url.host} refused the ${identityToken !== undefined ? 'identity token' : 'credentials'} for ${image.registry} (${response.status}, from ${credential.source}); ${identityToken !== undefined ? 'log in again to renew it' : 'check the user name and password or token'}`
          : `${image.original}: the token service ${url.host} refused an anonymous token for ${scope} (${response.status}); the repository may be private: add credentials for ${image.registry} (registry-credentials, docker login, or GITHUB_TOKEN for ghcr.io)`,
        { image: image.original, path: url.pathname, status: response.status },
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw new RegistryError(
        `${image.original}: the token service ${url.host} answered ${response.status} for ${scope}${response.attempts > 1 ? ` after ${response.attempts} attempts` : ''}; try again later`,
        { image: image.original, path: url.pathname, status: response.status },
      );
    }
    let answer: unknown;
    try {
      answer = JSON.parse(response.body.toString('utf8'));
    } catch (error) {
      throw new RegistryError(
        `${image.original}: the token service ${url.host} returned a body that is not JSON (${errorMessage(error)})`,
        { image: image.original, path: url.pathname, status: response.status },
      );
    }
    const record =
      typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
    const value =
      typeof record['token'] === 'string' && record['token'].length > 0
        ? record['token']
        : typeof record['access_token'] === 'string'
          ? record['access_token']
          : undefined;
    if (value === undefined || value.length === 0) {
      throw new RegistryError(
        `${image.original}: the token service ${url.host} returned no token for ${scope}`,
        {
          image: image.original,
          path: url.pathname,
          status: response.status,
        },
      );
    }
    logger.setSecret(value);
    const expiresIn =
      typeof record['expires_in'] === 'number' && record['expires_in'] > MINIMUM_TOKEN_SECONDS
        ? record['expires_in']
        : MINIMUM_TOKEN_SECONDS;
    return { value, expiresAt: now() + expiresIn * 1000 - EXPIRY_MARGIN_MS };
  }
}

/** The exact scope this action asks for: read access to one repository. */
export function scopeFor(image: ImageReference): string {
  return `repository:${image.repository}:pull`;
}

function tokenKey(image: ImageReference): string {
  return `${image.host} ${scopeFor(image)}`;
}
