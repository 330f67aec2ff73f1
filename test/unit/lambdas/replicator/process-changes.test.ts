import { describe, expect, it } from 'vitest';
import { processChanges } from '../../../../lambdas/replicator/process-changes';
import type { ShardProgress } from '../../../../lambdas/replicator/state-repository';
import { createLogger } from '../../../../lambdas/shared/logger';
import { changeRecord, kinesisEvent, kinesisRecord, MemoryReplicaStore } from './change-builders';

const feeds = [{ replica: 'rules-replica', source: 'rules', attributes: { name: 'S' } } as const];
const logger = createLogger('replicator-test');
logger.setLogLevel('SILENT');

function deps() {
  const saved: ShardProgress[] = [];
  const store = new MemoryReplicaStore();
  return { saved, store, deps: { feeds, store, logger, state: { record: async (p: ShardProgress) => void saved.push({ ...p }) }, now: () => 1_700_000_001_000 } };
}

describe('processChanges', () => {
  it('reports only the malformed records in batchItemFailures and applies the rest', async () => {
    // Prepare
    const { deps: d, store, saved } = deps();
    const good = changeRecord();
    const event = kinesisEvent([
      kinesisRecord(good, '100'),
      kinesisRecord('{not json', '101'),
      kinesisRecord({ ...good, tableName: 'unknown' }, '102'),
      kinesisRecord(changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k2' } }, keys: { userId: { S: 'u1' }, key: { S: 'k2' } } }), '103'),
      kinesisRecord(good, '104'),
    ]);
    // Act
    const response = await processChanges(event, d);
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['101', '102', '103']);
    expect(store.rows('rules-replica')).toHaveLength(1);
    expect(saved).toEqual([
      { replica: 'rules-replica', source: 'rules', shardId: 'shardId-000000000000', applied: 1, skipped: 1, tombstones: 0, failed: 0, rows: 1, tombstoneRows: 0, lastSequenceNumber: '104', lastChangeAt: 1_700_000_000_123.456 },
    ]);
  });

  it('throws when every record fails, so the event source mapping sees a function error and can bisect', async () => {
    const { deps: d } = deps();
    await expect(processChanges(kinesisEvent([kinesisRecord('x', '1'), kinesisRecord('y', '2')]), d)).rejects.toThrow();
  });

  it('counts tombstones and records one progress row per replica and shard', async () => {
    const { deps: d, saved } = deps();
    const oldImage = { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '1' } };
    await processChanges(kinesisEvent([kinesisRecord(changeRecord(), '1', 'shardId-000000000001'), kinesisRecord(changeRecord({ eventName: 'REMOVE', oldImage }), '2', 'shardId-000000000001')]), d);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ shardId: 'shardId-000000000001', applied: 1, tombstones: 1, rows: 0, tombstoneRows: 1, lastSequenceNumber: '2' });
  });
});
