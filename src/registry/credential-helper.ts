import { spawn } from 'node:child_process';

/** What `docker-credential-<name> get` answered. */
export interface HelperAnswer {
  readonly username: string;
  readonly secret: string;
}

export interface HelperRunOptions {
  /** The environment of the helper (PATH finds it); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default 10 s: helpers that talk to a cloud SDK (gcloud, ecr-login) take a few seconds. */
  readonly timeoutMs?: number;
}

/** The helper answered with an error of its own or could not be run. */
export class CredentialHelperFailed extends Error {
  override readonly name = 'CredentialHelperFailed';
}

/** Helper names are file-name parts: no path separators, no option-looking names. */
export const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const DEFAULT_TIMEOUT_MS = 10_000;
// A real answer is a few hundred bytes to a few KiB (a JWT); anything far larger is not one.
const OUTPUT_LIMIT = 64 * 1024;
// The message the docker-credential-helpers stores print when they hold nothing for the server.
const NOT_FOUND = /credentials not found/i;

/**
 * Runs `docker-credential-<helper> get` the way Docker does: the server URL on stdin, a JSON
 * `{ServerURL, Username, Secret}` on stdout. No shell; the helper runs in its own process group
 * so that a timeout ends it and everything it started. Resolves undefined when the helper holds
 * no credentials for the server, rejects with CredentialHelperFailed otherwise. Messages never
 * include the helper's stdout, which may hold the secret.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: HelperRunOptions = {},
): Promise<HelperAnswer | undefined> {
  const program = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!HELPER_NAME.test(helper)) {
    return Promise.reject(
      new CredentialHelperFailed(`${JSON.stringify(helper)} is not a helper name`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], {
      env: { ...(options.env ?? process.env) },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const stopGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (message: string): void => {
      stopGroup();
      finish(() => reject(new CredentialHelperFailed(message)));
    };
    const timer = setTimeout(
      () => fail(`${program} did not answer within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'ENOENT'
          ? `${program} is not on PATH; install it on the runner or remove it from the Docker config`
          : `${program} could not be run (${error.code ?? error.message})`,
      );
    });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > OUTPUT_LIMIT) fail(`${program} wrote more than ${OUTPUT_LIMIT} bytes`);
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes <= OUTPUT_LIMIT) stderr.push(chunk);
    });
    // A helper that exits without reading its input must not crash the run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
    child.on('close', (code, signal) => {
      if (settled) return;
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (code !== 0) {
        // The store's own "not found" is an answer: try the next source.
        if (NOT_FOUND.test(out) || NOT_FOUND.test(err)) {
          finish(() => resolve(undefined));
          return;
        }
        const said = oneLine(err) || oneLine(out);
        fail(
          `${program} get failed (${signal === null ? `exit ${String(code)}` : signal})${said ? `: ${said}` : ''}`,
        );
        return;
      }
      const answer = parseAnswer(out);
      if (answer === undefined) {
        fail(`${program} get answered with something other than JSON {"Username", "Secret"}`);
        return;
      }
      finish(() => resolve(answer.secret.length === 0 ? undefined : answer));
    });
  });
}

function parseAnswer(text: string): HelperAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const username = record['Username'];
  const secret = record['Secret'];
  if (typeof username !== 'string' || typeof secret !== 'string') return undefined;
  return { username, secret };
}

/** The first line of a helper's error text, bounded: enough to tell what went wrong. */
function oneLine(text: string): string {
  const line = text.trim().split(/\r?\n/)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
