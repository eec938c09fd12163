/**
 * Everything below the edges logs through this interface, so registry, strategy, writer and
 * publishing code can be tested without touching `@actions/core`.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Masks a value in every later log line (and, in Actions, in the whole job log). */
  setSecret(value: string): void;
  /** Runs `fn` inside a collapsible group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The command-line adapter: plain lines on stderr (stdout is kept for `--json`), with secrets
 * replaced by `***` the way the Actions runner does it.
 */
export function createConsoleLogger(
  options: { verbose?: boolean; stream?: { write(text: string): unknown } } = {},
): Logger {
  const stream = options.stream ?? process.stderr;
  const secrets = new Set<string>();
  const mask = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('***');
    return out;
  };
  const write = (prefix: string, message: string): void => {
    stream.write(`${prefix}${mask(message)}\n`);
  };
  return {
    debug: (message) => {
      if (options.verbose) write('debug: ', message);
    },
    info: (message) => write('', message),
    warning: (message) => write('warning: ', message),
    error: (message) => write('error: ', message),
    setSecret: (value) => {
      if (value.length > 0) secrets.add(value);
    },
    group: async (name, fn) => {
      write('', `── ${name}`);
      return fn();
    },
  };
}

/** A logger that drops everything; for library callers that want no output. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  setSecret: () => undefined,
  group: (_name, fn) => fn(),
};
