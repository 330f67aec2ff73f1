import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChange } from '../../../../lambdas/replicator/apply-change';
import { DynamoDbReplicaStore } from '../../../../lambdas/replicator/replica-store';
import { startDynalite, type TestDynamo } from '../../../helpers/dynalite';
import { deliveries, opsArbitrary, readModelArbitrary, rowCounts, simulateSource, withoutExpiry } from './convergence-model';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo?.stop());

describe('applyChange converges (real dynalite replica, real conditional writes)', () => {
  it('any order of any duplicated delivery of a source history leaves the replica equal to the source projected onto its read model', async () => {
    const replica = dynamo.tableNames['rules-replica-for-user']!;
    const store = new DynamoDbReplicaStore(dynamo.documentClient);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(opsArbitrary, readModelArbitrary).chain(([ops, attributes]) => {
          const userId = `run-${run++}`;
          const source = simulateSource(ops, userId, attributes);
          return deliveries(source.changes).map((delivered) => ({ ...source, delivered, userId, attributes }));
        }),
        async ({ expected, delivered, userId, attributes }) => {
          // Act: concurrently, as the batch processor does, so conditional writes race
          const applied = await Promise.all(delivered.map((change) => applyChange(change, { replica, attributes }, store)));
          // Assess: the projection only, and the row counts (from ALL_OLD) exact despite the races
          const out = await dynamo.documentClient.send(
            new ScanCommand({ TableName: replica, FilterExpression: 'userId = :u', ExpressionAttributeValues: { ':u': { S: userId } } }),
          );
          const rows = new Map((out.Items ?? []).map((row) => [row.key!.S!, withoutExpiry(row)]));
          expect(rows).toEqual(expected);
          const counted = applied.reduce((sum, a) => ({ rows: sum.rows + a.rows, tombstoneRows: sum.tombstoneRows + a.tombstoneRows }), { rows: 0, tombstoneRows: 0 });
          expect(counted).toEqual(rowCounts(expected.values()));
        },
      ),
      { numRuns: 60 },
    );
  });
});
