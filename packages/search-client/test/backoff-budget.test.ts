import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { createRetryBudget } from '../src/retry-budget.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the ceiling, with full jitter', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, {}, top)).toBeCloseTo(50, 0);
    expect(backoffDelay(2, {}, top)).toBeCloseTo(100, 0);
    expect(backoffDelay(3, {}, top)).toBeCloseTo(200, 0);
    expect(backoffDelay(10, {}, top)).toBeCloseTo(1000, 0);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
    expect(backoffDelay(2, { initialBackoffMs: 10, multiplier: 3, maxBackoffMs: 20 }, () => 0.5)).toBe(10);
  });
});

describe('createRetryBudget', () => {
  it('allows the reserve, then 20% of calls', () => {
    const budget = createRetryBudget({ ratio: 0.2, reserve: 2 });
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    let retries = 0;
    for (let call = 0; call < 100; call++) {
      budget.recordCall();
      if (budget.tryRetry()) retries++;
    }
    expect(retries).toBeGreaterThanOrEqual(19);
    expect(retries).toBeLessThanOrEqual(20);
  });

  it('keeps at most a little more than the reserve after a long healthy run', () => {
    const budget = createRetryBudget({ ratio: 0.2, reserve: 10 });
    for (let call = 0; call < 10_000; call++) budget.recordCall();
    expect(budget.balance()).toBeLessThanOrEqual(11);
  });
});
