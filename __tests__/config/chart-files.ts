import type { ChartFiles } from '../../src/core/files.js';

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

export { recordingLogger } from '../harness/recording-logger.js';
