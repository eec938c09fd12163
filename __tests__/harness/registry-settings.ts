import type { RegistrySettings } from '../../src/registry/settings.js';

/**
 * Registry settings for a client in a test: no credentials, no extra CA, the given hosts reached
 * over plain HTTP, no Actions cache; anything else given in `overrides`.
 */
export function testRegistrySettings(
  insecureRegistries: readonly string[],
  overrides: Partial<RegistrySettings> = {},
): RegistrySettings {
  return {
    credentials: [],
    caCertificates: undefined,
    insecureRegistries,
    concurrency: 4,
    requestBudget: 1000,
    timeoutMs: 10_000,
    cache: false,
    ...overrides,
  };
}
