/**
 * A real CNCF distribution registry (Debian's docker-registry 2.8) for tests: started on
 * 127.0.0.1 per call, optionally with TLS from a generated CA, htpasswd basic auth or Docker token
 * auth served by an in-process token server, and a push client that makes synthetic images with
 * chosen creation dates, labels and platforms. See ../README.md.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

import { Agent, request } from 'undici';

import { countEntry, emptyCounts, parseAccessLogLine } from './access-log.js';
import { createServerCertificates, createSigningCertificate } from './certificates.js';
import { ImagePusher } from './image-push.js';
import { findFreePort, REGISTRY_BINARY, RegistryProcess } from './registry-process.js';
import { StorageSeeder } from './storage-seed.js';
import { startTokenServer, type TokenServer } from './token-server.js';
import type { RegistryOptions, RequestCounts, RunningRegistry } from './types.js';

export type {
  AuthMode,
  ImageSpec,
  PushedImage,
  RegistryOptions,
  RequestCounts,
  RunningRegistry,
  TokenRequest,
} from './types.js';
export { MANIFEST_ACCEPT, MEDIA_TYPES, sha256Digest } from './image-build.js';

const execFileAsync = promisify(execFile);

const DEFAULT_USERS: Readonly<Record<string, string>> = { admin: 'admin-secret' };
const DEFAULT_START_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 5;
const PROBE_TIMEOUT_MS = 2_000;
/** Generous: other test processes may be saturating the CPU. */
const SENTINEL_TIMEOUT_MS = 15_000;
const SENTINEL_AGENT = 'helm-image-updater-registry-harness-sentinel';

/** tmpfs when there is one: the filesystem driver fsyncs every file, ext4 makes pushes 4× slower. */
function temporaryBase(): string {
  try {
    accessSync('/dev/shm', fsConstants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

async function htpasswdLines(users: Record<string, string>): Promise<string> {
  const lines = await Promise.all(
    Object.entries(users).map(async ([user, password]) => {
      try {
        const { stdout } = await execFileAsync('htpasswd', ['-Bbn', '-C', '4', user, password], {
          timeout: 10_000,
        });
        return stdout.trim();
      } catch (error) {
        throw new Error(
          `htpasswd failed for user ${user}; the harness needs the Debian package apache2-utils.`,
          { cause: error },
        );
      }
    }),
  );
  return `${lines.join('\n')}\n`;
}

interface RegistryConfigInput {
  port: number;
  dataDirectory: string;
  tls: { certificate: string; key: string } | undefined;
  htpasswdFile: string | undefined;
  token: TokenServer | undefined;
  tokenBundle: string | undefined;
}

/** The registry config; JSON is valid YAML. */
function registryConfig(input: RegistryConfigInput): string {
  const auth = input.htpasswdFile
    ? { htpasswd: { realm: 'helm-image-updater-test-registry', path: input.htpasswdFile } }
    : input.token && input.tokenBundle
      ? {
          token: {
            realm: input.token.realm,
            service: input.token.service,
            issuer: input.token.issuer,
            rootcertbundle: input.tokenBundle,
          },
        }
      : undefined;
  return JSON.stringify(
    {
      version: 0.1,
      log: { level: 'warn', formatter: 'text', accesslog: { disabled: false } },
      storage: {
        filesystem: { rootdirectory: input.dataDirectory },
        delete: { enabled: true },
        cache: { blobdescriptor: 'inmemory' },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: `127.0.0.1:${input.port}`,
        secret: randomBytes(16).toString('hex'),
        ...(input.tls ? { tls: input.tls } : {}),
      },
      ...(auth ? { auth } : {}),
    },
    null,
    2,
  );
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const authMode = options.auth ?? 'none';
  const users = { ...(options.users ?? DEFAULT_USERS) };
  const pushUser = Object.keys(users)[0];
  if (authMode !== 'none' && pushUser === undefined) {
    throw new Error(`A registry with ${authMode} auth needs at least one user.`);
  }
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 300;
  try {
    accessSync(REGISTRY_BINARY, fsConstants.X_OK);
  } catch {
    throw new Error(
      `${REGISTRY_BINARY} is missing: the registry harness needs the Debian package docker-registry (CNCF distribution 2.8).`,
    );
  }
  const directory = await mkdtemp(path.join(temporaryBase(), 'helm-image-updater-registry-'));
  let token: TokenServer | undefined;
  let dispatcher: Agent | undefined;
  let registryProcess: RegistryProcess | undefined;

  try {
    const certificates = options.tls ? await createServerCertificates(directory) : undefined;
    let htpasswdFile: string | undefined;
    let tokenBundle: string | undefined;
    if (authMode === 'basic') {
      htpasswdFile = path.join(directory, 'htpasswd');
      await writeFile(htpasswdFile, await htpasswdLines(users));
    } else if (authMode === 'token') {
      const signing = await createSigningCertificate(path.join(directory, 'token'));
      tokenBundle = signing.certificateFile;
      token = await startTokenServer({
        signing,
        users,
        anonymousPull: options.anonymousPull ?? false,
        ...(options.refreshTokens ? { refreshTokens: options.refreshTokens } : {}),
        lifetimeSeconds: tokenLifetimeSeconds,
        ...(certificates
          ? { tls: { certPem: certificates.serverCertPem, keyPem: certificates.serverKeyPem } }
          : {}),
      });
    }

    dispatcher = new Agent({
      connections: 64,
      keepAliveTimeout: 10_000,
      ...(certificates ? { connect: { ca: certificates.caPem } } : {}),
    });
    const scheme = certificates ? 'https' : 'http';
    const configFile = path.join(directory, 'config.yml');
    const dataDirectory = path.join(directory, 'data');

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      await writeFile(
        configFile,
        registryConfig({
          port,
          dataDirectory,
          tls: certificates
            ? { certificate: certificates.serverCertFile, key: certificates.serverKeyFile }
            : undefined,
          htpasswdFile,
          token,
          tokenBundle,
        }),
      );
      registryProcess = new RegistryProcess(configFile, directory);
      const ready = await waitUntilServing(
        registryProcess,
        `${scheme}://127.0.0.1:${port}`,
        dispatcher,
        options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      );
      if (ready) break;
      const stderr = registryProcess.stderrTail;
      await registryProcess.stop();
      if (/address already in use/.test(stderr) && attempt < PORT_ATTEMPTS) continue;
      throw new Error(
        `The registry (${configFile}) did not answer GET /v2/ on 127.0.0.1:${port}. Its log: ${stderr.trim() || '(empty)'}`,
      );
    }

    return createRunningRegistry({
      url: `${scheme}://127.0.0.1:${port}`,
      host: `127.0.0.1:${port}`,
      directory,
      authMode,
      users,
      pushUser: pushUser ?? '',
      certificates,
      token,
      dispatcher,
      registryProcess,
      tokenLifetimeSeconds,
    });
  } catch (error) {
    await registryProcess?.stop();
    await token?.close();
    await dispatcher?.close();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** True once `GET /v2/` answers (200, or 401 with auth); false if the process exits or time runs out. */
async function waitUntilServing(
  registryProcess: RegistryProcess,
  url: string,
  dispatcher: Agent,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !registryProcess.hasExited) {
    try {
      const response = await request(`${url}/v2/`, {
        dispatcher,
        headersTimeout: PROBE_TIMEOUT_MS,
        bodyTimeout: PROBE_TIMEOUT_MS,
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        headers: { 'User-Agent': SENTINEL_AGENT },
      });
      await response.body.dump();
      if (response.statusCode === 200 || response.statusCode === 401) return true;
    } catch {
      // Not listening yet.
    }
    await delay(25);
  }
  return false;
}

interface RunningRegistryParts {
  url: string;
  host: string;
  directory: string;
  authMode: NonNullable<RegistryOptions['auth']>;
  users: Record<string, string>;
  pushUser: string;
  certificates: Awaited<ReturnType<typeof createServerCertificates>> | undefined;
  token: TokenServer | undefined;
  dispatcher: Agent;
  registryProcess: RegistryProcess;
  tokenLifetimeSeconds: number;
}

async function createRunningRegistry(parts: RunningRegistryParts): Promise<RunningRegistry> {
  const { registryProcess, dispatcher, token } = parts;
  let counts = emptyCounts();
  const sentinelsSeen = new Set<string>();
  const sentinelWaiters = new Map<string, () => void>();
  registryProcess.onLine((line) => {
    const entry = parseAccessLogLine(line);
    if (!entry) return;
    if (entry.userAgent.startsWith(SENTINEL_AGENT)) {
      sentinelsSeen.add(entry.userAgent);
      sentinelWaiters.get(entry.userAgent)?.();
      return;
    }
    countEntry(counts, entry);
  });

  /** Waits until every request answered so far is in the access log, by logging a marker request. */
  const flushAccessLog = async (): Promise<void> => {
    const agent = `${SENTINEL_AGENT}-${randomUUID()}`;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sentinelWaiters.delete(agent);
        reject(new Error(`The registry at ${parts.host} did not log a marker request in time.`));
      }, SENTINEL_TIMEOUT_MS);
      sentinelWaiters.set(agent, () => {
        clearTimeout(timer);
        sentinelWaiters.delete(agent);
        resolve();
      });
    });
    const response = await request(`${parts.url}/v2/`, {
      dispatcher,
      headers: { 'User-Agent': agent },
      headersTimeout: SENTINEL_TIMEOUT_MS,
      bodyTimeout: SENTINEL_TIMEOUT_MS,
      signal: AbortSignal.timeout(SENTINEL_TIMEOUT_MS),
    });
    await response.body.dump();
    await seen;
    sentinelsSeen.delete(agent);
  };

  const pushCredentials = Buffer.from(
    `${parts.pushUser}:${parts.users[parts.pushUser] ?? ''}`,
  ).toString('base64');
  const bearerByRepository = new Map<string, { value: string; until: number }>();
  const authorization = (repository: string): string | undefined => {
    if (parts.authMode === 'basic') return `Basic ${pushCredentials}`;
    if (parts.authMode !== 'token' || !token) return undefined;
    const cached = bearerByRepository.get(repository);
    if (cached && cached.until > Date.now()) return cached.value;
    const value = `Bearer ${token.mint(parts.pushUser, [
      { type: 'repository', name: repository, actions: ['pull', 'push', 'delete'] },
    ])}`;
    // Renew well before expiry, however short the configured lifetime.
    const renewAfterMs = Math.min(60_000, (parts.tokenLifetimeSeconds * 1000) / 2);
    bearerByRepository.set(repository, { value, until: Date.now() + renewAfterMs });
    return value;
  };

  const pusher = new ImagePusher({ baseUrl: parts.url, dispatcher, authorization });
  const seeder = new StorageSeeder(path.join(parts.directory, 'data'));
  let closing: Promise<void> | undefined;

  // The readiness probes are not the test's traffic.
  await flushAccessLog();
  counts = emptyCounts();

  return {
    host: parts.host,
    url: parts.url,
    directory: parts.directory,
    caPem: parts.certificates?.caPem,
    caFile: parts.certificates?.caFile,
    users: parts.users,
    tokenRequests: token?.requests ?? [],
    tokenServerUrl: token?.realm,
    tokenService: token?.service,
    push: (repository, tag, image) => pusher.push(repository, tag, image),
    pushMany: (repository, images, concurrency) => pusher.pushMany(repository, images, concurrency),
    seed: (repository, images) => seeder.seedMany(repository, images),
    pushBlob: (repository, bytes) => pusher.pushBlob(repository, bytes),
    pushRawManifest: (repository, reference, mediaType, bytes) =>
      pusher.pushRawManifest(repository, reference, mediaType, bytes),
    deleteManifest: (repository, digest) => pusher.deleteManifest(repository, digest),
    requestCounts: async (): Promise<RequestCounts> => {
      await flushAccessLog();
      return structuredClone(counts);
    },
    resetRequestCounts: async () => {
      await flushAccessLog();
      counts = emptyCounts();
    },
    authorization,
    close: () => {
      closing ??= (async () => {
        await registryProcess.stop();
        await token?.close();
        await dispatcher.close();
        await rm(parts.directory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
export {
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultRule,
  type ProxiedRequest,
} from './fault-proxy.js';
