import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../local/index';
import { formatFigures, runSoak } from '../helpers/soak-workload';
import { watchPool } from '../helpers/probes';
import { startLocalStack } from '../helpers/local-stack';

/**
 * The soak of `npm run soak`, shortened for `npm test`: same mix, same concurrency, same checks, sized
 * by requests rather than seconds (400 give every operation of the mix a couple of dozen turns at least;
 * a 12 s run gave about as many on a loaded 2-core machine and more work, not more checks, on a fast one).
 */
const REQUESTS = Number(process.env.SOAK_SHORT_REQUESTS ?? 400);
let stack: Stack;

beforeAll(async () => {
  stack = await startLocalStack({ load: true });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('soak (short)', () => {
  it(`a mixed workload of ${REQUESTS} requests at concurrency 32: no 5xx, every acknowledged write in its table and every replica`, async () => {
    // Prepare
    const pool = watchPool(stack);
    // Act
    const figures = await runSoak(stack, { requests: REQUESTS, durationMs: 60_000, concurrency: 32 });
    pool.stop();
    // Assess
    console.log(`soak (short)\n${formatFigures(figures)}`);
    expect(figures.samples).toEqual([]);
    expect(figures.errors).toBe(0);
    expect(figures.unexpected).toBe(0);
    expect(figures.requests).toBeGreaterThan(100);
    expect(figures.acknowledgedWrites).toBeGreaterThan(0);
    expect(figures.missingWrites).toBe(0);
    expect(figures.replicaDifferences).toBe(0);
    expect(pool.describe()).toBe('');
    expect(stack.replication.status().onFailureRecords).toBe(0);
  }, 120_000);
});
