import { randomUUID } from 'node:crypto';
import type { BurstResult } from '../load/replication';
import { runLoad } from '../load/run';
import type { LoadResult } from '../load/spec';
import type { BenchStack } from './stack';

/** Connections of the direct reference, as many as the replication scenarios have always used. */
const CONNECTIONS = 16;

/**
 * A burst of `count` changes to the stack's `rules` table, timed until the replica for the user holds
 * each key's last version (`versions` changes per key; 1: inserts only).
 */
export function replicationBurst(s: BenchStack, burst: { userPrefix: string; count: number; versions?: number; timeoutSec: number }, timeoutMs: number): Promise<BurstResult> {
  return runLoad<BurstResult>(
    {
      kind: 'replication-burst',
      endpoint: s.dynamoEndpoint,
      kinesisEndpoint: s.kinesisEndpoint,
      streamName: s.replication.status().streamName,
      table: s.tableName('rules'),
      replica: s.tableName('rules-replica-for-user'),
      userId: `${burst.userPrefix}-${randomUUID()}`,
      count: burst.count,
      ...(burst.versions ? { versions: burst.versions } : {}),
      timeoutSec: burst.timeoutSec,
    },
    timeoutMs,
  );
}

/** The reference a burst is compared with: a conditional PutItem per change, at concurrency 16, straight into dynalite. */
export function directConditionalPut(s: BenchStack, quick: boolean): Promise<LoadResult> {
  return runLoad({
    kind: 'sdk',
    endpoint: s.dynamoEndpoint,
    ops: [{ command: 'Put', input: { TableName: s.tableName('rules'), Item: { userId: `bench-direct-${randomUUID()}`, key: 'direct-{{seq}}', name: 'direct', status: 1, progress: 0, order: 0, version: 1 }, ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': 'key' } } }],
    connections: CONNECTIONS,
    durationSec: quick ? 1 : 3,
  });
}
