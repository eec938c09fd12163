import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/**
 * The registry runs under a small shell that holds the test process's pipe as stdin: when the
 * test process goes away, even by SIGKILL, the pipe closes and the shell stops the registry and
 * removes its directory ($2). stop() writes a line first, so only an orphaned registry's
 * directory is removed here (startRegistry reuses the directory when it retries on a new port).
 */
const WATCHDOG_SCRIPT = [
  'exec 3<&0',
  '"$0" serve "$1" </dev/null 3<&- &',
  'registry=$!',
  '(if read -r _ <&3; then kill "$registry" 2>/dev/null; exit 0; fi',
  // Orphaned: this subshell outlives the shell ($$) and cleans up after the registry is gone.
  ' kill -9 $$ 2>/dev/null; kill "$registry" 2>/dev/null; tries=0',
  ' while kill -0 "$registry" 2>/dev/null && [ "$tries" -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done',
  ' rm -rf "$2") &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$registry"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

const STDERR_TAIL_CHARS = 4_000;
const STOP_TIMEOUT_MS = 5_000;

/** Process groups and directories to clean up if the test process exits without close(). */
const leftovers = new Map<number, string[]>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [processGroup, directories] of leftovers) {
      killGroup(processGroup, 'SIGKILL');
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    }
  });
}

function killGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // Already gone.
  }
}

export function registerLeftover(processGroup: number, directories: string[]): void {
  installExitHook();
  leftovers.set(processGroup, directories);
}

/** A port nobody listened on a moment ago; the caller retries if it is taken meanwhile. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('No port assigned.'))));
    });
  });
}

/** The environment without REGISTRY_* variables, which would override the config file. */
export function registryEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')),
  );
}

export class RegistryProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly lineListeners = new Set<(line: string) => void>();
  private stdoutRest = '';
  private stderrText = '';
  private exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;

  /** `directory` holds the config and the data; it is removed if the test process dies. */
  constructor(configFile: string, directory: string) {
    this.child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, REGISTRY_BINARY, configFile, directory], {
      env: registryEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so one kill reaches the shell, the registry and the watcher.
      detached: true,
    });
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`Could not start ${REGISTRY_BINARY}.`);
    registerLeftover(pid, [directory]);
    // The test process must not wait for the registry to exit on its own.
    this.child.unref();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        leftovers.delete(pid);
        resolve(code);
      });
      this.child.once('error', (error) => {
        this.stderrText += `\n${error.message}`;
        this.exitCode = null;
        resolve(null);
      });
    });
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.takeStdout(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-STDERR_TAIL_CHARS);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The last lines the registry wrote to stderr (its application log, level warn and up). */
  get stderrTail(): string {
    return this.stderrText;
  }

  /** Every complete stdout line (the access log) from now on. */
  onLine(listener: (line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.hasExited) return;
    this.child.stdin.end('stop\n');
    const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    // Pipes would keep the event loop busy otherwise.
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  private takeStdout(chunk: string): void {
    const lines = (this.stdoutRest + chunk).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    for (const line of lines) for (const listener of this.lineListeners) listener(line);
  }
}
