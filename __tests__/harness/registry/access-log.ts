import type { RequestCounts } from './types.js';

/** One line of the registry's access log (Apache combined format, on its stdout). */
export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  userAgent: string;
}

const COMBINED_LOG = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"/;

export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const match = COMBINED_LOG.exec(line);
  if (!match) return undefined;
  const [, method, target, status, userAgent] = match;
  if (!method || !target || !status || userAgent === undefined) return undefined;
  return { method, path: target.split('?')[0] ?? target, status: Number(status), userAgent };
}

/** The kind of API call a path makes, for counting. */
export function requestKind(path: string): string {
  if (path === '/v2/' || path === '/v2') return 'base';
  if (path === '/v2/_catalog') return 'catalog';
  if (/^\/v2\/.+\/tags\/list$/.test(path)) return 'tags';
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path)) return 'manifest';
  if (/^\/v2\/.+\/blobs\/uploads\//.test(path)) return 'upload';
  if (/^\/v2\/.+\/blobs\/[^/]+$/.test(path)) return 'blob';
  return 'other';
}

export function emptyCounts(): RequestCounts {
  return { total: 0, byKind: {}, byStatus: {} };
}

export function countEntry(counts: RequestCounts, entry: AccessLogEntry): void {
  counts.total += 1;
  const kind = `${entry.method} ${requestKind(entry.path)}`;
  counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  counts.byStatus[entry.status] = (counts.byStatus[entry.status] ?? 0) + 1;
}
