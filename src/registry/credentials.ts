import path from 'node:path';
import type { RegistryCredential } from '../config/settings.js';
import { ConfigurationError } from '../core/errors.js';
import { registryKey } from './reference.js';

const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const HOST = /^[A-Za-z0-9.\-[\]:]+$/;

/**
 * Parses the `registry-credentials` input: one `host=user:password` or `host=env:VARIABLE` per
 * line (the variable holds `user:password`); blank lines and `#` comments are skipped. Errors
 * name `source` and the line number, never the password.
 */
export function parseCredentialLines(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
): RegistryCredential[] {
  const credentials: RegistryCredential[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    const lineNumber = index + 1;
    if (line.length === 0 || line.startsWith('#')) return;
    const location = { source, line: lineNumber };
    const expected = 'expected `host=user:password` or `host=env:VARIABLE`';
    const equals = line.indexOf('=');
    if (equals <= 0)
      throw new ConfigurationError(`${expected}; this line has no \`host=\``, location);
    const host = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (!HOST.test(registryKey(host)) || registryKey(host).length === 0) {
      throw new ConfigurationError(
        `${expected}; "${host}" is not a registry host such as ghcr.io or 127.0.0.1:5000`,
        location,
      );
    }
    const envMatch = ENV_REFERENCE.exec(value);
    let userPassword = value;
    let origin = `${source} line ${lineNumber}`;
    if (envMatch) {
      const variable = envMatch[1] ?? '';
      const fromEnv = env[variable];
      if (fromEnv === undefined || fromEnv.length === 0) {
        throw new ConfigurationError(
          `environment variable ${variable} (named for ${host}) is not set; pass it to the step with env: ${variable}: \${{ secrets.… }}`,
          location,
        );
      }
      userPassword = fromEnv.trim();
      origin = `${origin} (env ${variable})`;
    }
    const colon = userPassword.indexOf(':');
    if (colon <= 0 || colon === userPassword.length - 1) {
      const where = envMatch ? `the value of ${envMatch[1] ?? ''}` : 'the credential';
      throw new ConfigurationError(
        `${expected}; ${where} is not in the form user:password`,
        location,
      );
    }
    credentials.push({
      host,
      username: userPassword.slice(0, colon),
      password: userPassword.slice(colon + 1),
      source: origin,
    });
  });
  return credentials;
}

/** Reads a file's text, or undefined when it does not exist. */
export type ReadTextFile = (filePath: string) => string | undefined;

/**
 * Credentials from the Docker config that `docker login` / docker/login-action writes:
 * `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. Reads `auths.<host>.auth`
 * (base64 `user:password`) or `username`/`password`. Credential helpers and identity tokens are
 * not supported (skipped). A missing file means no credentials; unreadable JSON is a
 * ConfigurationError naming the file.
 */
export function readDockerConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadTextFile,
): RegistryCredential[] {
  const directory =
    env['DOCKER_CONFIG'] ?? (env['HOME'] ? path.join(env['HOME'], '.docker') : undefined);
  if (directory === undefined) return [];
  const file = path.join(directory, 'config.json');
  const text = readFile(file);
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError(
      'the Docker config is not valid JSON; fix or remove it, or pass credentials with registry-credentials',
      { source: file },
    );
  }
  const auths = isRecord(parsed) && isRecord(parsed['auths']) ? parsed['auths'] : {};
  const credentials: RegistryCredential[] = [];
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const source = `docker config ${file} (${key})`;
    let username = typeof entry['username'] === 'string' ? entry['username'] : '';
    let password = typeof entry['password'] === 'string' ? entry['password'] : '';
    if (typeof entry['auth'] === 'string' && entry['auth'].length > 0) {
      const decoded = Buffer.from(entry['auth'], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new ConfigurationError(
          `auths."${key}".auth is not base64 of user:password; run docker login ${key} again`,
          { source: file },
        );
      }
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username.length > 0 && password.length > 0)
      credentials.push({ host: key, username, password, source });
  }
  return credentials;
}

/** The `GITHUB_TOKEN` as a `ghcr.io` credential (GHCR accepts any user name with a token). */
export function ghcrCredential(
  env: Readonly<Record<string, string | undefined>>,
): RegistryCredential | undefined {
  const token = env['GITHUB_TOKEN'];
  if (token === undefined || token.length === 0) return undefined;
  return {
    host: 'ghcr.io',
    username: env['GITHUB_ACTOR'] ?? 'x-access-token',
    password: token,
    source: 'GITHUB_TOKEN',
  };
}

/**
 * Every form in which a credential could appear in a log: the password, and the base64 of
 * `user:password` (Basic header, Docker config `auth`). The caller passes each to setSecret.
 */
export function credentialSecrets(credentials: readonly RegistryCredential[]): string[] {
  const secrets = new Set<string>();
  for (const credential of credentials) {
    if (credential.password.length > 0) secrets.add(credential.password);
    secrets.add(basicAuthValue(credential));
  }
  return [...secrets];
}

/** base64 of `user:password`, as sent in `Authorization: Basic`. */
export function basicAuthValue(
  credential: Pick<RegistryCredential, 'username' | 'password'>,
): string {
  return Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64');
}

/** Finds the credential for a registry; the first one given for a host wins. */
export class CredentialStore {
  private readonly byRegistry = new Map<string, RegistryCredential>();

  constructor(credentials: readonly RegistryCredential[]) {
    for (const credential of credentials) {
      const key = registryKey(credential.host);
      if (!this.byRegistry.has(key)) this.byRegistry.set(key, credential);
    }
  }

  /** The credential for a registry or API host, any Docker Hub spelling included. */
  find(host: string): RegistryCredential | undefined {
    return this.byRegistry.get(registryKey(host));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
