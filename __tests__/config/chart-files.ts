import type { ChartFiles } from '../../src/core/files.js';
import type { Logger } from '../../src/core/logging.js';

/** ChartFiles over an in-memory repository: path → text. Globs support `*` in one segment and `**`. */
export function memoryChartFiles(
  files: Readonly<Record<string, string>>,
): ChartFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (path) => {
      reads.push(path);
      return Promise.resolve(files[path]);
    },
    glob: (pattern) => {
      const source = pattern
        .split(/(\*\*\/|\*|\{[^}]*\})/)
        .map((part) => {
          if (part === '**/') return '(?:.*/)?';
          if (part === '*') return '[^/]*';
          if (part.startsWith('{'))
            return `(?:${part.slice(1, -1).split(',').map(escape).join('|')})`;
          return escape(part);
        })
        .join('');
      const regexp = new RegExp(`^${source}$`);
      return Promise.resolve(
        Object.keys(files)
          .filter((path) => regexp.test(path))
          .sort(),
      );
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A logger that records what it was given, for assertions on warnings and secrets. */
export function recordingLogger(): Logger & {
  warnings: string[];
  infos: string[];
  secrets: string[];
} {
  const warnings: string[] = [];
  const infos: string[] = [];
  const secrets: string[] = [];
  return {
    warnings,
    infos,
    secrets,
    debug: () => undefined,
    info: (message) => infos.push(message),
    warning: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
    setSecret: (value) => secrets.push(value),
    group: (_name, fn) => fn(),
  };
}
