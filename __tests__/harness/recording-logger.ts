import type { Logger } from '../../src/core/logging.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** A logger that keeps what it was told, for assertions on log lines and masked secrets. */
export interface RecordingLogger extends Logger {
  /** Every line in order, with its level. */
  readonly lines: { level: LogLevel; message: string }[];
  /** Every value given to `setSecret`, in order. */
  readonly secrets: string[];
  /** The messages of one level (or of several), in order. */
  at(...levels: LogLevel[]): string[];
  /** The warning messages, in order. */
  warnings(): string[];
}

/** The one recording logger of the test suites. */
export function recordingLogger(): RecordingLogger {
  const lines: { level: LogLevel; message: string }[] = [];
  const secrets: string[] = [];
  const record = (level: LogLevel) => (message: string) => {
    lines.push({ level, message });
  };
  const at = (...levels: LogLevel[]): string[] =>
    lines.filter((line) => levels.includes(line.level)).map((line) => line.message);
  return {
    lines,
    secrets,
    at,
    warnings: () => at('warning'),
    debug: record('debug'),
    info: record('info'),
    warning: record('warning'),
    error: record('error'),
    setSecret: (value) => {
      secrets.push(value);
    },
    group: (_name, fn) => fn(),
  };
}
