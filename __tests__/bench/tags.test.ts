import { describe, expect, it } from 'vitest';
import { RepositoryTags } from '../../bench/tags.js';
import { seededRandom } from '../harness/seeded-random.js';

describe('RepositoryTags', () => {
  it('makes distinct main-<7 hex> tags whose name order is not their build order', () => {
    const repository = new RepositoryTags('bench/app', 42);
    const tags = repository.history(500);
    expect(new Set(tags.map((entry) => entry.tag)).size).toBe(500);
    for (const { tag } of tags) expect(tag).toMatch(/^main-[0-9a-f]{7}$/);
    const byName = [...tags].sort((a, b) => a.tag.localeCompare(b.tag)).map((entry) => entry.tag);
    const byDate = [...tags]
      .sort((a, b) => a.created.getTime() - b.created.getTime())
      .map((entry) => entry.tag);
    expect(byName).not.toEqual(byDate);
  });

  it('reports the newest build, and newer() pushes past it', () => {
    const repository = new RepositoryTags('bench/app', 7);
    const history = repository.history(200);
    const newestByDate = history.reduce((best, entry) =>
      entry.created.getTime() > best.created.getTime() ? entry : best,
    );
    expect(repository.newest().tag).toBe(newestByDate.tag);
    const fresh = repository.newer(5);
    expect(repository.size).toBe(205);
    const latest = fresh.reduce((best, entry) =>
      entry.created.getTime() > best.created.getTime() ? entry : best,
    );
    expect(repository.newest().tag).toBe(latest.tag);
    for (const entry of fresh) {
      expect(entry.created.getTime()).toBeGreaterThan(newestByDate.created.getTime());
    }
  });

  it('is deterministic for a seed', () => {
    const first = new RepositoryTags('a', 99).history(20);
    const second = new RepositoryTags('a', 99).history(20);
    const other = new RepositoryTags('a', 100).history(20);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    const random = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
