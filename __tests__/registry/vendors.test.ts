import { describe, expect, it } from 'vitest';
import { parseRateLimitHeader, vendorFor } from '../../src/registry/vendors.js';

describe('parseRateLimitHeader', () => {
  it.each([
    ['100;w=21600', { count: 100, windowSeconds: 21600 }],
    ['76', { count: 76 }],
    [' 0 ; w=60 ', { count: 0, windowSeconds: 60 }],
    ['many', undefined],
    [undefined, undefined],
  ])('%j', (value, expected) => {
    expect(parseRateLimitHeader(value)).toEqual(expected);
  });
});

describe('vendorFor', () => {
  it.each([
    ['docker.io', 'Docker Hub', 'https://auth.docker.io/token'],
    ['ghcr.io', 'GitHub Container Registry', 'https://ghcr.io/token'],
    ['127.0.0.1:5000', 'OCI registry', undefined],
  ])('%s', (registry, name, realm) => {
    const vendor = vendorFor(registry);
    expect(vendor.name).toBe(name);
    expect(vendor.knownChallenge?.params['realm']).toBe(realm);
  });

  it('reads Docker Hub rate-limit headers', () => {
    expect(
      vendorFor('docker.io').readRateLimit({
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '97;w=21600',
      }),
    ).toEqual({ remaining: 97, limit: 100, windowSeconds: 21600 });
    expect(vendorFor('docker.io').readRateLimit({})).toBeUndefined();
  });
});
