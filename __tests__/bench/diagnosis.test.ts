import { describe, expect, it } from 'vitest';
import { median, spread } from '../../bench/measure.js';
import { diagnoseExcess, type CliRun } from '../../bench/scenario.js';

const run = (stderr: string): CliRun => ({
  wallMs: 1,
  maxRssKb: undefined,
  registryRequests: 9,
  registryByKind: {},
  registryByStatus: {},
  cliRequests: 10,
  problem: undefined,
  stderr,
});

describe('diagnoseExcess', () => {
  it('counts retries by cause and repeated fetches by kind from a --verbose log', () => {
    const log = [
      'debug: GET 127.0.0.1:5000/v2/ → 200 (2 bytes)',
      'debug: GET 127.0.0.1:5000/v2/a/tags/list → 200 (50 bytes)',
      'debug: GET 127.0.0.1:5000/v2/a/blobs/sha256:ab12: timed out; retry 1 of 3 in 512 ms',
      'debug: GET 127.0.0.1:5000/v2/a/blobs/sha256:ab12 → 200 (276 bytes)',
      'debug: GET 127.0.0.1:5000/v2/a/blobs/sha256:ab12 → 200 (276 bytes)',
      'debug: GET 127.0.0.1:5000/v2/a/manifests/main-1: 503; retry 2 of 3 in 1024 ms',
      'debug: GET 127.0.0.1:5000/v2/a/manifests/main-1 → 200 (400 bytes)',
      'debug: GET 127.0.0.1:5000/v2/a/manifests/main-2 → 200 (400 bytes)',
      'app (127.0.0.1:5000/a): main-1 is the newest build',
    ].join('\n');
    const diagnosis = diagnoseExcess(run(log), 6);
    expect(diagnosis.retriesByCause).toEqual({ 'timed out': 1, '503': 1 });
    expect(diagnosis.repeatedPathsByKind).toEqual({ 'GET blob': 1 });
    expect(diagnosis.minimum).toBe(6);
    expect(diagnosis.cliRequests).toBe(10);
  });

  it('finds nothing in a clean log', () => {
    const diagnosis = diagnoseExcess(run('debug: GET h/v2/a/manifests/x → 200 (1 bytes)'), 1);
    expect(diagnosis.retriesByCause).toEqual({});
    expect(diagnosis.repeatedPathsByKind).toEqual({});
  });
});

describe('median and spread', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('median of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('keeps min, max and the sample count', () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, samples: 3 });
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
