import { describe, expect, it } from 'vitest';
import { HostSlots } from '../../src/registry/host-slots.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HostSlots', () => {
  it('lets `limit` requests per host run and queues the rest in order', async () => {
    const slots = new HostSlots(2);
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const take = async (host: string, name: string) => {
      const release = await slots.acquire(host);
      started.push(name);
      releases.set(name, release);
    };
    void take('a', 'a1');
    void take('a', 'a2');
    void take('a', 'a3');
    void take('a', 'a4');
    void take('b', 'b1');
    await tick();
    expect(started).toEqual(['a1', 'a2', 'b1']);
    releases.get('a1')?.();
    releases.get('a1')?.(); // a second release of the same slot changes nothing
    await tick();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    releases.get('a2')?.();
    await tick();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
    releases.get('a3')?.();
    releases.get('a4')?.();
    void take('a', 'a5');
    void take('a', 'a6');
    void take('a', 'a7');
    await tick();
    expect(started.slice(5)).toEqual(['a5', 'a6']);
  });
});
