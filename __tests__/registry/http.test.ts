import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logging.js';
import { RegistryHttp, isTlsProtocolMismatch, networkErrorCode } from '../../src/registry/http.js';
import { DEFAULT_RETRY_POLICY } from '../../src/registry/retry.js';

function withInsecure(insecureHosts: string[]): RegistryHttp {
  return new RegistryHttp({
    logger: silentLogger,
    sleep: () => Promise.resolve(),
    now: () => 0,
    random: () => 0,
    retry: DEFAULT_RETRY_POLICY,
    timeoutMs: 1000,
    requestBudget: 10,
    concurrency: 1,
    ca: undefined,
    insecureHosts,
    maxRedirects: 5,
  });
}

describe('RegistryHttp.isInsecure', () => {
  it.each([
    [['127.0.0.1:5000'], '127.0.0.1:5000', true],
    [['127.0.0.1:5000'], '127.0.0.1:5001', false],
    [['127.0.0.1'], '127.0.0.1:5001', true],
    [['Harbor.Internal'], 'harbor.internal', true],
    [['http://harbor.internal:8080/'], 'harbor.internal:8080', true],
    [['harbor.internal'], 'evil-harbor.internal', false],
    [[''], '', false],
    [[], '127.0.0.1:5000', false],
  ])('%j, %s → %s', async (entries, host, expected) => {
    const http = withInsecure(entries);
    expect(http.isInsecure(host)).toBe(expected);
    await http.close();
  });
});

describe('network error classification', () => {
  const wrapped = (code: string, message = 'failed'): Error =>
    new Error('fetch failed', { cause: Object.assign(new Error(message), { code }) });

  it.each([
    [wrapped('ECONNRESET'), 'ECONNRESET', false],
    [wrapped('ERR_SSL_WRONG_VERSION_NUMBER'), 'ERR_SSL_WRONG_VERSION_NUMBER', true],
    [wrapped('EPROTO', 'SSL routines:ssl3_get_record:wrong version number'), 'EPROTO', true],
    [new Error('plain'), undefined, false],
  ])('%s', (error, code, mismatch) => {
    expect(networkErrorCode(error)).toBe(code);
    expect(isTlsProtocolMismatch(error)).toBe(mismatch);
  });
});
