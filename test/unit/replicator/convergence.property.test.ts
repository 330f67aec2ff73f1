import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange } from '../../../lambdas/replicator/apply-change';
import { deliveries, opsArbitrary, simulateSource, withoutExpiry } from './convergence-model';
import { MemoryReplicaStore } from './change-builders';

describe('applyChange converges (in-memory replica)', () => {
  it('any order of any duplicated delivery of a source history leaves the replica equal to the source', async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary.chain((ops) => {
          const source = simulateSource(ops, 'u');
          return deliveries(source.changes).map((delivered) => ({ ...source, delivered }));
        }),
        async ({ expected, delivered }) => {
          // Prepare
          const store = new MemoryReplicaStore();
          // Act
          for (const change of delivered) await applyChange(change, 'replica', store);
          // Assess
          const rows = new Map(store.rows('replica').map((row) => [row.key!.S!, withoutExpiry(row)]));
          expect(rows).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
