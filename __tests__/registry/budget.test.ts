import { describe, expect, it } from 'vitest';

import { RequestBudget } from '../../src/registry/budget.js';

/** Takes requests for `key` until refused; returns how many were granted. */
function drain(budget: RequestBudget, key: string, want = Infinity): number {
  let granted = 0;
  while (granted < want && budget.take(key) === undefined) granted += 1;
  return granted;
}

describe('RequestBudget', () => {
  it('without a plan it is one pool, first come first served', () => {
    const budget = new RequestBudget(10);
    expect(drain(budget, 'big')).toBe(10);
    expect(budget.take('small')).toBe('spent');
  });

  it('one image cannot take the shares of images that have not run yet', () => {
    const budget = new RequestBudget(100);
    budget.plan(['big', 'a', 'b', 'c']);
    expect(drain(budget, 'big')).toBe(25);
    expect(budget.take('big')).toEqual({ owedTo: 3, used: 25 });
    for (const key of ['a', 'b', 'c']) expect(drain(budget, key, 25)).toBe(25);
    expect(budget.take('a')).toBe('spent');
  });

  it('a finished image gives back what it did not use', () => {
    const budget = new RequestBudget(100);
    budget.plan(['big', 'a', 'b', 'c']);
    expect(drain(budget, 'big')).toBe(25);
    for (const key of ['a', 'b', 'c']) {
      expect(drain(budget, key, 3)).toBe(3);
      budget.finish(key);
    }
    expect(drain(budget, 'big')).toBe(100 - 25 - 9);
    expect(budget.requestsSpent()).toBe(100);
  });

  it('an image may use slack beyond its share while others still hold theirs', () => {
    const budget = new RequestBudget(10);
    budget.plan(['x', 'y']);
    expect(drain(budget, 'y', 2)).toBe(2);
    // y still holds 3 of its 5; x gets its 5 and nothing of y's.
    expect(drain(budget, 'x')).toBe(5);
    budget.finish('y');
    expect(drain(budget, 'x')).toBe(3);
  });

  it('an image outside the plan only gets what no planned image is owed', () => {
    const budget = new RequestBudget(10);
    budget.plan(['x']);
    expect(budget.take('stranger')).toEqual({ owedTo: 1, used: 0 });
    budget.finish('x');
    expect(drain(budget, 'stranger')).toBe(10);
  });
});
