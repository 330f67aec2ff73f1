import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChange } from '../../../lambdas/replicator/apply-change';
import { DynamoDbReplicaStore } from '../../../lambdas/replicator/replica-store';
import { startDynalite, type TestDynamo } from '../../helpers/dynalite';
import { deliveries, opsArbitrary, simulateSource, withoutExpiry } from './convergence-model';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo?.stop());

describe('applyChange converges (real dynalite replica, real conditional writes)', () => {
  it('any order of any duplicated delivery of a source history leaves the replica equal to the source', async () => {
    const table = dynamo.tableNames['rules-replica-for-user']!;
    const store = new DynamoDbReplicaStore(dynamo.documentClient);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary.chain((ops) => {
          const userId = `run-${run++}`;
          const source = simulateSource(ops, userId);
          return deliveries(source.changes).map((delivered) => ({ ...source, delivered, userId }));
        }),
        async ({ expected, delivered, userId }) => {
          // Act: concurrently, as the batch processor does, so conditional writes race
          await Promise.all(delivered.map((change) => applyChange(change, table, store)));
          // Assess
          const out = await dynamo.documentClient.send(
            new ScanCommand({ TableName: table, FilterExpression: 'userId = :u', ExpressionAttributeValues: { ':u': { S: userId } } }),
          );
          const rows = new Map((out.Items ?? []).map((row) => [row.key!.S!, withoutExpiry(row)]));
          expect(rows).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
