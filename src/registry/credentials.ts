import path from 'node:path';
import type { CredentialHelperRule, CredentialSource, RegistryCredential } from './settings.js';
import { ConfigurationError, RegistryError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import { HELPER_NAME, type HelperAnswer } from './credential-helper.js';
import { DOCKER_HUB_REGISTRY, registryKey } from './reference.js';

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
 * Credential sources from the Docker config that `docker login` / docker/login-action writes:
 * `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. In Docker's order for a
 * registry: its `credHelpers` entry, then `credsStore`, then `auths.<host>` (`auth`, base64
 * `user:password`, or `username`/`password`, or an `identitytoken`). A store that holds nothing
 * for a registry passes on to `auths`. A missing file means no credentials; unreadable JSON or a
 * helper name that is not a plain name is a ConfigurationError naming the file.
 */
export function readDockerConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadTextFile,
): CredentialSource[] {
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
  const config = isRecord(parsed) ? parsed : {};
  const sources: CredentialSource[] = [];
  const helperName = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || !HELPER_NAME.test(value)) {
      throw new ConfigurationError(
        `${field} must name a credential helper such as "gcloud" or "ecr-login" (the program docker-credential-<name>); found ${JSON.stringify(value)}`,
        { source: file },
      );
    }
    return value;
  };
  const helpers = isRecord(config['credHelpers']) ? config['credHelpers'] : {};
  for (const [key, value] of Object.entries(helpers)) {
    const field = `credHelpers."${key}"`;
    sources.push({
      host: key,
      helper: helperName(value, field),
      source: `docker config ${file} (${field})`,
    });
  }
  const store = config['credsStore'];
  if (store !== undefined && store !== '') {
    sources.push({
      host: undefined,
      helper: helperName(store, 'credsStore'),
      source: `docker config ${file} (credsStore)`,
    });
  }
  const auths = isRecord(config['auths']) ? config['auths'] : {};
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const source = `docker config ${file} (${key})`;
    let username = typeof entry['username'] === 'string' ? entry['username'] : '';
    let password = typeof entry['password'] === 'string' ? entry['password'] : '';
    const identityToken = typeof entry['identitytoken'] === 'string' ? entry['identitytoken'] : '';
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
    if (identityToken.length > 0) {
      // Docker sends the refresh token, never the password, when both are present.
      sources.push({
        host: key,
        username: username || IDENTITY_TOKEN_USER,
        password: '',
        identityToken,
        source,
      });
    } else if (username.length > 0 && password.length > 0) {
      sources.push({ host: key, username, password, source });
    }
  }
  return sources;
}

/** The user name with which a credential helper says that its secret is an identity token. */
export const IDENTITY_TOKEN_USER = '<token>';

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
    source: GITHUB_TOKEN_SOURCE,
  };
}

/** The source of the ghcr.io credential made from the workflow's token. */
export const GITHUB_TOKEN_SOURCE = 'GITHUB_TOKEN';

/** The workflow's GITHUB_TOKEN among the credential sources (for GitHub's Packages API). */
export function githubTokenOf(sources: readonly CredentialSource[]): string | undefined {
  for (const source of sources) {
    if (!isHelperRule(source) && source.source === GITHUB_TOKEN_SOURCE) return source.password;
  }
  return undefined;
}

/**
 * Every form in which a credential could appear in a log: the password, the base64 of
 * `user:password` (Basic header, Docker config `auth`) and an identity token. The caller passes
 * each to setSecret. Helpers' answers are masked when they arrive (CredentialStore).
 */
export function credentialSecrets(credentials: readonly CredentialSource[]): string[] {
  const secrets = new Set<string>();
  for (const credential of credentials) {
    if (isHelperRule(credential)) continue;
    if (credential.password.length > 0) {
      secrets.add(credential.password);
      secrets.add(basicAuthValue(credential));
    }
    if (credential.identityToken !== undefined && credential.identityToken.length > 0)
      secrets.add(credential.identityToken);
  }
  return [...secrets];
}

export function isHelperRule(source: CredentialSource): source is CredentialHelperRule {
  return 'helper' in source;
}

/** base64 of `user:password`, as sent in `Authorization: Basic`. */
export function basicAuthValue(
  credential: Pick<RegistryCredential, 'username' | 'password'>,
): string {
  return Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64');
}

/** Runs `docker-credential-<helper> get` for a server URL (see runCredentialHelper). */
export type CredentialHelperRunner = (
  helper: string,
  serverUrl: string,
) => Promise<HelperAnswer | undefined>;

export interface CredentialStoreOptions {
  readonly runHelper: CredentialHelperRunner;
  readonly logger: Logger;
}

/**
 * Finds the credential for a registry: the first source given for it wins, a credential helper
 * that holds nothing for it passes on to the next source. Helpers run at most once per registry
 * and run, when a request first needs the registry's credentials; their secrets are masked at
 * once. A helper that fails fails the registry's requests with a message naming it.
 */
export class CredentialStore {
  private readonly sources: readonly CredentialSource[];
  private readonly found = new Map<string, Promise<RegistryCredential | undefined>>();

  constructor(
    sources: readonly CredentialSource[],
    private readonly options?: CredentialStoreOptions,
  ) {
    this.sources = sources;
  }

  /** The credential for a registry or API host, any Docker Hub spelling included. */
  find(host: string): Promise<RegistryCredential | undefined> {
    const key = registryKey(host);
    let found = this.found.get(key);
    if (!found) {
      found = this.lookUp(key);
      this.found.set(key, found);
    }
    return found;
  }

  private async lookUp(registry: string): Promise<RegistryCredential | undefined> {
    for (const source of this.sources) {
      if (!isHelperRule(source)) {
        if (registryKey(source.host) === registry) return source;
        continue;
      }
      if (source.host !== undefined && registryKey(source.host) !== registry) continue;
      const credential = await this.ask(source, registry);
      if (credential !== undefined) return credential;
    }
    return undefined;
  }

  private async ask(
    rule: CredentialHelperRule,
    registry: string,
  ): Promise<RegistryCredential | undefined> {
    const program = `docker-credential-${rule.helper}`;
    if (!this.options) return undefined;
    const { runHelper, logger } = this.options;
    // Docker asks with the key the entry was written under; Docker Hub's is its v1 URL.
    const serverUrl =
      registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_SERVER_URL : (rule.host ?? registry);
    let answer: HelperAnswer | undefined;
    try {
      answer = await runHelper(rule.helper, serverUrl);
    } catch (error) {
      throw new RegistryError(
        `${registry}: the credential helper ${program} named by ${rule.source} failed: ${error instanceof Error ? error.message : String(error)}`,
        { image: registry },
        { cause: error },
      );
    }
    if (answer === undefined) {
      logger.debug(`${registry}: ${program} holds no credentials for ${serverUrl}`);
      return undefined;
    }
    logger.setSecret(answer.secret);
    const source = `${program} (${rule.source})`;
    if (answer.username === IDENTITY_TOKEN_USER) {
      logger.debug(`${registry}: identity token from ${program}`);
      return {
        host: registry,
        username: IDENTITY_TOKEN_USER,
        password: '',
        identityToken: answer.secret,
        source,
      };
    }
    const credential = {
      host: registry,
      username: answer.username,
      password: answer.secret,
      source,
    };
    logger.setSecret(basicAuthValue(credential));
    logger.debug(`${registry}: credentials of ${answer.username} from ${program}`);
    return credential;
  }
}

/** The server URL under which Docker keeps Docker Hub's credentials. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
