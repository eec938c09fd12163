import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../core/errors.js';
import type { ChartFiles } from '../core/files.js';
import type { Logger } from '../core/logging.js';
import {
  credentialSecrets,
  ghcrCredential,
  parseCredentialLines,
  readDockerConfig,
  type ReadTextFile,
} from '../registry/credentials.js';
import { draftFromArgoCd } from './argocd.js';
import { environmentsOf, unmatchedEnvironmentWarning } from './environments.js';
import { draftFromConfigFile } from './config-file.js';
import type { SettingsDraft } from './draft.js';
import {
  defaultsFromInputs,
  draftFromInputs,
  inputLocation,
  parseBooleanText,
} from './inputs-form.js';
import { isUnevaluatedExpression, type RawInputs } from './inputs.js';
import { normaliseRepositoryPath } from './repository-path.js';
import { deepFreeze, resolveSettings } from './resolve.js';
import type { GitHubSettings, RegistrySettings, Settings } from './settings.js';
import { splitList } from './text-list.js';

type Environment = Readonly<Record<string, string | undefined>>;

const CONFIG_SOURCES = ['auto', 'inputs', 'file', 'argocd'] as const;
/** Per-request timeout of registry calls; not an input, the retry layer bounds the total. */
export const REGISTRY_TIMEOUT_MS = 30_000;

/**
 * Reads and checks the whole configuration before any registry or GitHub call. The source is
 * chosen by `config-source`: `auto` takes the config file when it exists, else the inputs.
 * `readFile` reads the runner's own files (`ca-file`, the Docker config), not the chart's.
 */
export async function loadSettings(
  raw: RawInputs,
  files: ChartFiles,
  env: Environment,
  logger: Logger,
  readFile: ReadTextFile = readRunnerFile,
): Promise<Settings> {
  const registry = loadRegistrySettings(raw, env, readFile);
  for (const secret of credentialSecrets(registry.credentials)) logger.setSecret(secret);
  const draft = await loadDraft(raw, files, logger);
  const settings = resolveSettings(draft, registry, parseDispatchTypes(raw), logger);
  await warnAboutUnmatchedEnvironments(settings, files, logger);
  logger.debug(
    `configuration: ${settings.images.size} image(s), ${settings.targets.length} target(s) ` +
      `(${settings.targets.map((target) => `${target.name}: ${target.type}`).join(', ')})`,
  );
  return settings;
}

async function loadDraft(
  raw: RawInputs,
  files: ChartFiles,
  logger: Logger,
): Promise<SettingsDraft> {
  const source = raw['config-source'].trim();
  const sourceLocation = inputLocation('config-source');
  if (!CONFIG_SOURCES.some((known) => known === source)) {
    throw new ConfigurationError(
      `config-source \`${source}\` is not one of \`auto\`, \`inputs\`, \`file\`, \`argocd\`.`,
      sourceLocation,
    );
  }
  if (source === 'inputs') return draftFromInputs(raw);
  if (source === 'argocd') return draftFromArgoCd(files, defaultsFromInputs(raw), logger);
  const configFile = normaliseRepositoryPath(
    raw['config-file'],
    'config-file',
    inputLocation('config-file'),
  );
  const text = await files.read(configFile);
  if (text === undefined) {
    if (source === 'file') {
      throw new ConfigurationError(
        `config file \`${configFile}\` does not exist in the chart repository; add it, or set ` +
          '`config-source: inputs` and configure with the inputs.',
        inputLocation('config-file'),
      );
    }
    logger.debug(`no config file ${configFile}; reading the configuration from the inputs`);
    return draftFromInputs(raw);
  }
  if (raw.images.trim() !== '') {
    logger.warning(
      `both the config file ${configFile} and the input \`images\` are set; the config file is used and ` +
        '`images` is ignored (set `config-source: inputs` to use the inputs instead).',
    );
  }
  logger.info(`configuration from ${configFile}`);
  return draftFromConfigFile(text, configFile, defaultsFromInputs(raw));
}

/** An environment override that names no matched file is most likely a typo (ADR 0018). */
async function warnAboutUnmatchedEnvironments(
  settings: Settings,
  files: ChartFiles,
  logger: Logger,
): Promise<void> {
  for (const target of settings.targets) {
    if (target.type !== 'values' || target.environments.size === 0) continue;
    const found = [...environmentsOf(target.files, await files.glob(target.files)).files.keys()];
    for (const name of target.environments.keys()) {
      if (!found.includes(name)) {
        logger.warning(unmatchedEnvironmentWarning(target.name, name, target.files, found));
      }
    }
  }
}

/** The `dispatch-types` input, checked: the pipeline needs it before the chart is read. */
export function parseDispatchTypes(raw: RawInputs): string[] {
  const types = splitList(raw['dispatch-types']);
  for (const type of types) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(type)) {
      throw new ConfigurationError(
        `dispatch type \`${type}\` is not valid; expected names such as \`image-pushed\`, comma separated.`,
        inputLocation('dispatch-types'),
      );
    }
  }
  return types;
}

function readRunnerFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT')
      return undefined;
    throw error;
  }
}

function parseBoundedInteger(
  raw: RawInputs,
  name: 'registry-concurrency' | 'request-budget',
  max: number,
): number {
  const text = raw[name].trim();
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(
      `${name} \`${text}\` is not a whole number from 1 to ${max}.`,
      inputLocation(name),
    );
  }
  return value;
}

const INSECURE_HOST_PATTERN =
  /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$/;

/**
 * Registry settings: credentials (the `registry-credentials` lines first, then the Docker config,
 * then `GITHUB_TOKEN` — or the `token` input — for ghcr.io), the extra CA, insecure hosts and limits.
 */
export function loadRegistrySettings(
  raw: RawInputs,
  env: Environment,
  readFile: ReadTextFile,
): RegistrySettings {
  const credentials = [
    ...parseCredentialLines(raw['registry-credentials'], env, 'input registry-credentials'),
    ...readDockerConfig(env, readFile),
  ];
  const token = raw.token.trim();
  const ghcr = ghcrCredential({
    ...env,
    GITHUB_TOKEN: env['GITHUB_TOKEN'] || (isUnevaluatedExpression(token) ? undefined : token),
  });
  if (ghcr !== undefined) credentials.push(ghcr);

  let caCertificates: string | undefined;
  const caFile = raw['ca-file'].trim();
  if (caFile !== '') {
    caCertificates = readFile(caFile);
    if (caCertificates === undefined) {
      throw new ConfigurationError(
        `CA file \`${caFile}\` does not exist on the runner; give the path of a PEM file, e.g. one written by an earlier step.`,
        inputLocation('ca-file'),
      );
    }
    if (!caCertificates.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigurationError(
        `CA file \`${caFile}\` holds no PEM certificate (\`-----BEGIN CERTIFICATE-----\`); give the CA in PEM form.`,
        inputLocation('ca-file'),
      );
    }
  }

  const insecureRegistries = splitList(raw['insecure-registries']);
  for (const host of insecureRegistries) {
    if (!INSECURE_HOST_PATTERN.test(host)) {
      throw new ConfigurationError(
        `insecure registry \`${host}\` is not a host or \`host:port\` (no scheme, no path), e.g. \`127.0.0.1:5000\`.`,
        inputLocation('insecure-registries'),
      );
    }
  }

  return deepFreeze({
    credentials,
    caCertificates,
    insecureRegistries,
    concurrency: parseBoundedInteger(raw, 'registry-concurrency', 64),
    requestBudget: parseBoundedInteger(raw, 'request-budget', 1_000_000),
    timeoutMs: REGISTRY_TIMEOUT_MS,
    listings: parseBooleanText(
      raw['registry-listings'],
      inputLocation('registry-listings'),
      'registry-listings',
    ),
    cache: parseBooleanText(raw.cache, inputLocation('cache'), 'cache'),
  });
}

const REPOSITORY_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/**
 * The chart repository and API endpoints. `repository` and `token` fall back to
 * `GITHUB_REPOSITORY` and `GITHUB_TOKEN` when the runner did not evaluate the defaults (CLI).
 */
export function loadGitHubSettings(raw: RawInputs, env: Environment): GitHubSettings {
  const writtenRepository = raw.repository.trim();
  const repository =
    isUnevaluatedExpression(writtenRepository) || writtenRepository === ''
      ? (env['GITHUB_REPOSITORY'] ?? '').trim()
      : writtenRepository;
  const match = REPOSITORY_PATTERN.exec(repository);
  if (match === null || repository.endsWith('/.') || repository.endsWith('/..')) {
    throw new ConfigurationError(
      repository === ''
        ? 'no chart repository: set `repository` to `owner/name` (GITHUB_REPOSITORY is not set either).'
        : `repository \`${repository}\` is not in the form \`owner/name\`, e.g. \`lyzhang1999/kubernetes-example\`.`,
      inputLocation('repository'),
    );
  }
  const writtenToken = raw.token.trim();
  const token =
    isUnevaluatedExpression(writtenToken) || writtenToken === ''
      ? (env['GITHUB_TOKEN'] ?? '').trim()
      : writtenToken;
  if (token === '') {
    throw new ConfigurationError(
      'no token: set `token` (a GitHub App token is recommended) or the GITHUB_TOKEN environment variable.',
      inputLocation('token'),
    );
  }
  const apiUrl = checkUrl(env['GITHUB_API_URL'] || 'https://api.github.com', 'GITHUB_API_URL');
  const graphqlUrl = checkUrl(
    env['GITHUB_GRAPHQL_URL'] || defaultGraphqlUrl(apiUrl),
    'GITHUB_GRAPHQL_URL',
  );
  const baseBranch = raw['base-branch'].trim();
  return Object.freeze({
    token,
    owner: match[1] ?? '',
    repo: match[2] ?? '',
    baseBranch: baseBranch === '' ? undefined : baseBranch,
    apiUrl,
    graphqlUrl,
  });
}

/** github.com serves GraphQL at `/graphql`; GitHub Enterprise Server at `/api/graphql` beside `/api/v3`. */
function defaultGraphqlUrl(apiUrl: string): string {
  if (apiUrl.endsWith('/api/v3')) return `${apiUrl.slice(0, -'/api/v3'.length)}/api/graphql`;
  return `${apiUrl}/graphql`;
}

function checkUrl(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(`${variable} \`${text}\` is not a URL.`, {
      source: `environment ${variable}`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`${variable} \`${text}\` must be an http(s) URL.`, {
      source: `environment ${variable}`,
    });
  }
  return text.replace(/\/+$/, '');
}
