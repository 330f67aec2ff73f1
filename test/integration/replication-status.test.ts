import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processChanges } from '../../lambdas/replicator/process-changes';
import { DynamoDbReplicaStore } from '../../lambdas/replicator/replica-store';
import { StateRepository } from '../../lambdas/replicator/state-repository';
import { IDLE_AFTER_MS, replicationStatus } from '../../lambdas/replicator/status';
import { createLogger } from '../../lambdas/shared/logger';
import { changeRecord } from '../../local/dynamodb/streaming-record';
import { backfill, namedReplicaFeed } from '../../scripts/replicas/sync';
import { replicaFeed, replicas } from '../../topology/index';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

let dynamo: TestDynamo;
let db: DynamoDBClient;
beforeAll(async () => {
  dynamo = await startDynalite();
  db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
});
afterAll(async () => {
  db?.destroy();
  await dynamo?.stop();
});

const spec = replicas.find((r) => r.name === 'users-replica-for-rule')!;
const physical = (logical: string) => dynamo.tableNames[logical]!;
const user = (name: string) => ({ userName: { S: name }, userId: { S: `id-${name}` }, displayName: { S: name }, sessionVersion: { N: '0' }, version: { N: '1' } });

/** One Kinesis event carrying the change records of `names`, created `ageMs` before `now`. */
function event(names: string[], now: number, ageMs: number): KinesisStreamEvent {
  return {
    Records: names.map((name, i) => {
      const record = changeRecord({ tableName: physical('users'), keys: { userName: { S: name } }, newImage: user(name) }, { region: 'us-east-1', nowMicros: (now - ageMs) * 1000 })!;
      return { eventID: `shardId-000000000000:${i}`, kinesis: { sequenceNumber: String(1000 + i), data: Buffer.from(JSON.stringify(record)).toString('base64') } } as KinesisStreamEvent['Records'][number];
    }),
  };
}

describe('GET /api/replication: lag and state', () => {
  it('lag is the delay of the newest applied change while applying, and returns to 0 once the shard is idle', async () => {
    // Prepare
    const state = new StateRepository(db, physical('replication-state'));
    const feeds = [replicaFeed(spec, physical)];
    const t0 = Date.now() - 60_000;
    // Act: a batch of changes 4 s old applied at t0, then nothing
    await processChanges(event(['ann', 'ben'], t0, 4_000), { feeds, store: new DynamoDbReplicaStore(db), state, logger: createLogger('test'), now: () => t0 });
    const applying = (await replicationStatus(feeds, state, t0 + 100)).replicas[0]!;
    const idle = (await replicationStatus(feeds, state, t0 + IDLE_AFTER_MS)).replicas[0]!;
    // Assess
    expect(applying).toMatchObject({ lagMs: 4_000, state: 'catching-up', items: 2 });
    expect(idle).toMatchObject({ lagMs: 0, state: 'in-sync', items: 2 });
    expect(idle.shards[0]).toMatchObject({ lagMs: 0 });
  });

  it('a backfill under way shows as backfilling with its progress and the source count; done, it is in sync', async () => {
    // Prepare
    const state = new StateRepository(db, physical('replication-state'));
    const feeds = [replicaFeed(spec, physical)];
    const pair = namedReplicaFeed(spec, physical, physical('replication-state'));
    const seen: Array<{ state: string; backfill: unknown; sourceItems: number | null }> = [];
    // Act: read the status at every progress report of a backfill
    await backfill(db, pair, () => {
      void replicationStatus(feeds, state).then((s) => seen.push(s.replicas[0]!));
    });
    await new Promise((r) => setTimeout(r, 100));
    const after = (await replicationStatus(feeds, state, Date.now() + IDLE_AFTER_MS)).replicas[0]!;
    // Assess
    expect(seen.some((s) => s.state === 'backfilling')).toBe(true);
    expect(after).toMatchObject({ state: 'in-sync', sourceItems: 0, backfill: { phase: 'done' } });
  });
});
