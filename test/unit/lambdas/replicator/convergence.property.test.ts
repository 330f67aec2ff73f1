import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange } from '../../../../lambdas/replicator/apply-change';
import { deliveries, opsArbitrary, readModelArbitrary, rowCounts, simulateSource, withoutExpiry } from './convergence-model';
import { MemoryReplicaStore } from './change-builders';

describe('applyChange converges (in-memory replica)', () => {
  it('any order of any duplicated delivery of a source history leaves the replica equal to the source projected onto its read model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(opsArbitrary, readModelArbitrary).chain(([ops, attributes]) => {
          const source = simulateSource(ops, 'u', attributes);
          return deliveries(source.changes).map((delivered) => ({ ...source, delivered, attributes }));
        }),
        async ({ expected, delivered, attributes }) => {
          // Prepare
          const store = new MemoryReplicaStore();
          const counted = { rows: 0, tombstoneRows: 0 };
          // Act
          for (const change of delivered) {
            const applied = await applyChange(change, { replica: 'replica', attributes }, store);
            counted.rows += applied.rows;
            counted.tombstoneRows += applied.tombstoneRows;
          }
          // Assess: the projection, nothing else (no passwordHash, no updatedAt), and exact row counts
          const rows = new Map(store.rows('replica').map((row) => [row.key!.S!, withoutExpiry(row)]));
          expect(rows).toEqual(expected);
          expect(counted).toEqual(rowCounts(expected.values()));
        },
      ),
      { numRuns: 500 },
    );
  });
});
