import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import type { SigningCertificate } from './certificates.js';
import type { TokenRequest } from './types.js';

/** One entry of the JWT `access` claim, as distribution's token auth reads it. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  signing: SigningCertificate;
  users: Record<string, string>;
  anonymousPull: boolean;
  /** OAuth2 refresh tokens (Docker's identity tokens) accepted by `POST /token`, each for a user. */
  refreshTokens?: Record<string, string>;
  lifetimeSeconds: number;
  /** Serve HTTPS with this key pair (same CA as the registry) instead of HTTP. */
  tls?: { certPem: string; keyPem: string };
}

export interface TokenServer {
  /** The realm: `http(s)://127.0.0.1:<port>/token`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly requests: TokenRequest[];
  /** A signed token for `subject`, without a request (the harness's own pushes). */
  mint(subject: string, access: AccessEntry[]): string;
  close(): Promise<void>;
}

const SERVICE = 'helm-image-updater-test-registry';
const ISSUER = 'helm-image-updater-test-token-issuer';
/** What a user may do per resource type; anonymous callers get at most `pull`. */
const USER_ACTIONS: Record<string, readonly string[]> = {
  repository: ['pull', 'push', 'delete', '*'],
  registry: ['*'],
};

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signToken(
  key: KeyObject,
  x5c: string,
  subject: string,
  access: AccessEntry[],
  lifetimeSeconds: number,
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
  const claims = {
    iss: ISSUER,
    sub: subject,
    aud: SERVICE,
    exp: now + lifetimeSeconds,
    // A little slack back in time: the registry compares nbf with its own clock.
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JOSE wants the raw r||s signature, not DER.
  const signature = sign('sha256', Buffer.from(signingInput), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${base64url(signature)}`;
}

/** `repository:team/app:pull,push` → entry; the name may itself hold a colon (a port). */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((action) => action !== ''),
  };
}

interface Caller {
  authorization: TokenRequest['authorization'];
  username?: string;
  /** Basic credentials that match a user. */
  authenticated: boolean;
}

function identifyCaller(header: string | undefined, users: Record<string, string>): Caller {
  if (header === undefined || header === '') return { authorization: 'none', authenticated: false };
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return { authorization: 'other', authenticated: false };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { authorization: 'basic', authenticated: false };
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return {
    authorization: 'basic',
    username,
    authenticated: Object.hasOwn(users, username) && users[username] === password,
  };
}

function grant(entry: AccessEntry, caller: Caller, anonymousPull: boolean): AccessEntry {
  const allowed = caller.authenticated
    ? (USER_ACTIONS[entry.type] ?? [])
    : anonymousPull && entry.type === 'repository'
      ? ['pull']
      : [];
  return { ...entry, actions: entry.actions.filter((action) => allowed.includes(action)) };
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * A Docker token server (the `realm` of `auth: token`): GET /token?service=…&scope=… with
 * optional basic credentials answers `{token, access_token, expires_in, issued_at}`.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.signing.privateKeyPem);
  const requests: TokenRequest[] = [];

  const handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    if (request.method === 'POST') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () =>
        handleRefresh(request, Buffer.concat(chunks).toString('utf8'), response),
      );
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' '));
    const service = url.searchParams.get('service');
    const caller = identifyCaller(request.headers.authorization, options.users);
    const record: TokenRequest = {
      scope: scopes.length > 0 ? scopes.join(' ') : null,
      service,
      authorization: caller.authorization,
      ...(caller.username === undefined ? {} : { username: caller.username }),
      status: 0,
      granted: [],
    };
    requests.push(record);

    if (request.method !== 'GET' || url.pathname !== '/token') {
      record.status = request.method === 'GET' ? 404 : 405;
      sendJson(response, record.status, { errors: [{ code: 'UNSUPPORTED' }] });
      return;
    }
    if (service !== null && service !== SERVICE) {
      record.status = 400;
      sendJson(response, 400, {
        errors: [{ code: 'DENIED', message: `unknown service ${service}` }],
      });
      return;
    }
    const refused =
      caller.authorization === 'other' ||
      (caller.authorization === 'basic' && !caller.authenticated) ||
      (caller.authorization === 'none' && !options.anonymousPull);
    if (refused) {
      record.status = 401;
      response.setHeader('WWW-Authenticate', 'Basic realm="helm-image-updater test token server"');
      sendJson(response, 401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }],
      });
      return;
    }
    const access = scopes
      .map(parseScope)
      .filter((entry): entry is AccessEntry => entry !== undefined)
      .map((entry) => grant(entry, caller, options.anonymousPull))
      .filter((entry) => entry.actions.length > 0);
    const token = signToken(
      key,
      options.signing.x5c,
      caller.username ?? '',
      access,
      options.lifetimeSeconds,
    );
    record.status = 200;
    record.granted = access.map(
      (entry) => `${entry.type}:${entry.name}:${entry.actions.join(',')}`,
    );
    sendJson(response, 200, {
      token,
      access_token: token,
      expires_in: options.lifetimeSeconds,
      issued_at: new Date().toISOString(),
    });
  };

  /**
   * The OAuth2 refresh-token grant of distribution's token spec: `POST /token` with a form of
   * `grant_type=refresh_token`, `refresh_token`, `service`, `scope`, `client_id`. A known refresh
   * token acts as its user (pull, push, delete); anything else is 400 `invalid_grant`.
   */
  const handleRefresh = (
    request: http.IncomingMessage,
    text: string,
    response: http.ServerResponse,
  ): void => {
    const form = new URLSearchParams(text);
    const scopes = form.getAll('scope').flatMap((scope) => scope.split(' '));
    const refreshToken = form.get('refresh_token') ?? '';
    const username = Object.hasOwn(options.refreshTokens ?? {}, refreshToken)
      ? options.refreshTokens?.[refreshToken]
      : undefined;
    const record: TokenRequest = {
      scope: scopes.length > 0 ? scopes.join(' ') : null,
      service: form.get('service'),
      authorization: request.headers.authorization ? 'other' : 'none',
      grantType: form.get('grant_type') ?? '',
      clientId: form.get('client_id') ?? '',
      ...(username === undefined ? {} : { username }),
      status: 0,
      granted: [],
    };
    requests.push(record);
    const contentType = request.headers['content-type'] ?? '';
    if (new URL(request.url ?? '/', 'http://127.0.0.1').pathname !== '/token') {
      record.status = 404;
      sendJson(response, 404, { error: 'not_found' });
      return;
    }
    if (
      !contentType.startsWith('application/x-www-form-urlencoded') ||
      record.grantType !== 'refresh_token' ||
      record.clientId === '' ||
      (record.service !== null && record.service !== SERVICE)
    ) {
      record.status = 400;
      sendJson(response, 400, { error: 'invalid_request' });
      return;
    }
    if (username === undefined) {
      record.status = 400;
      sendJson(response, 400, { error: 'invalid_grant' });
      return;
    }
    const caller: Caller = { authorization: 'basic', username, authenticated: true };
    const access = scopes
      .map(parseScope)
      .filter((entry): entry is AccessEntry => entry !== undefined)
      .map((entry) => grant(entry, caller, options.anonymousPull))
      .filter((entry) => entry.actions.length > 0);
    const token = signToken(key, options.signing.x5c, username, access, options.lifetimeSeconds);
    record.status = 200;
    record.granted = access.map(
      (entry) => `${entry.type}:${entry.name}:${entry.actions.join(',')}`,
    );
    sendJson(response, 200, {
      access_token: token,
      scope: scopes.join(' '),
      expires_in: options.lifetimeSeconds,
      issued_at: new Date().toISOString(),
    });
  };

  const server = options.tls
    ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handle)
    : http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';

  return {
    realm: `${scheme}://127.0.0.1:${port}/token`,
    service: SERVICE,
    issuer: ISSUER,
    requests,
    mint: (subject, access) =>
      signToken(key, options.signing.x5c, subject, access, options.lifetimeSeconds),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
