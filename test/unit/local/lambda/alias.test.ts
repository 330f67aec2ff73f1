import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseVersion, routingProblem } from '../../../../local/lambda/alias';

describe('weighted alias routing', () => {
  it('sends a draw below the additional weight to the additional version, the rest to the primary', () => {
    // Prepare
    const routing = { version: '1', weights: { '2': 0.1 } };
    // Act + Assess
    expect(chooseVersion(routing, () => 0)).toBe('2');
    expect(chooseVersion(routing, () => 0.0999)).toBe('2');
    expect(chooseVersion(routing, () => 0.1)).toBe('1');
    expect(chooseVersion(routing, () => 0.9999)).toBe('1');
    expect(chooseVersion({ version: '3', weights: {} }, () => 0)).toBe('3');
  });

  it('gives the additional version its share of invocations, each drawn independently', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 2 ** 31 - 2 }), (percent, seed) => {
      // Prepare: a seeded generator, so a failure replays (Lehmer's: its seed must be below the modulus, or it draws 0 forever)
      let state = seed;
      const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
      const routing = { version: '1', weights: { '2': percent / 100 } };
      // Act
      const n = 4_000;
      let onNew = 0;
      for (let i = 0; i < n; i++) if (chooseVersion(routing, random) === '2') onNew++;
      // Assess: within five standard deviations of the weight
      const p = percent / 100;
      expect(Math.abs(onNew / n - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }), { numRuns: 25 });
  });

  it('refuses what UpdateAlias refuses: unknown versions, more than one extra version, weights outside 0–1', () => {
    const versions = ['1', '2', '3'];
    expect(routingProblem({ version: '1', weights: { '2': 0.1 } }, versions)).toBeUndefined();
    expect(routingProblem({ version: '4', weights: {} }, versions)).toMatch(/version 4 does not exist/);
    expect(routingProblem({ version: '1', weights: { '9': 0.1 } }, versions)).toMatch(/version 9 does not exist/);
    expect(routingProblem({ version: '1', weights: { '2': 0.1, '3': 0.1 } }, versions)).toMatch(/at most two versions/);
    expect(routingProblem({ version: '1', weights: { '1': 0.5 } }, versions)).toMatch(/already the alias's primary/);
    expect(routingProblem({ version: '1', weights: { '2': 1.5 } }, versions)).toMatch(/between 0 and 1/);
  });
});
