import { describe, expect, it } from 'vitest';
import { applyChange, replicaItem, wins } from '../../../lambdas/replicator/apply-change';
import type { Change } from '../../../lambdas/replicator/decode';
import { TOMBSTONE_TTL_SECONDS } from '../../../topology/index';
import { MemoryReplicaStore } from './change-builders';

const keys = { userId: { S: 'u1' }, key: { S: 'k1' } };
const upsert = (version: number, name = `v${version}`): Change => ({
  eventID: `e${version}`, tableName: 'rules', eventName: version === 1 ? 'INSERT' : 'MODIFY', keys,
  newImage: { ...keys, name: { S: name }, version: { N: String(version) } }, version, changedAtMs: 1,
});
const remove = (version: number): Change => ({ eventID: `r${version}`, tableName: 'rules', eventName: 'REMOVE', keys, version, changedAtMs: 1 });

describe('replicaItem', () => {
  it('turns a REMOVE into a tombstone with the removed version and a TTL', () => {
    const item = replicaItem(remove(4), 1_000_000);
    expect(item).toEqual({ ...keys, _deleted: { BOOL: true }, version: { N: '4' }, _expiresAt: { N: String(1000 + TOMBSTONE_TTL_SECONDS) } });
  });
});

describe('wins', () => {
  it('orders changes by version, then a tombstone over the live item of the same version', () => {
    const live = (v: number) => replicaItem(upsert(v), 0);
    const dead = (v: number) => replicaItem(remove(v), 0);
    expect(wins(undefined, live(1))).toBe(true);
    expect(wins(live(1), live(2))).toBe(true);
    expect(wins(live(2), live(1))).toBe(false);
    expect(wins(live(2), live(2))).toBe(false);
    expect(wins(live(2), dead(2))).toBe(true);
    expect(wins(dead(2), live(2))).toBe(false);
    expect(wins(dead(2), dead(2))).toBe(false);
    expect(wins(dead(2), live(3))).toBe(true);
  });
});

describe('applyChange', () => {
  it('applies newer changes, skips duplicates and stale ones, and keeps a late older write from resurrecting a delete', async () => {
    // Prepare
    const store = new MemoryReplicaStore();
    // Act
    const outcomes = [
      await applyChange(upsert(2), 'replica', store),
      await applyChange(upsert(1), 'replica', store),
      await applyChange(upsert(2), 'replica', store),
      await applyChange(remove(2), 'replica', store),
      await applyChange(upsert(2, 'late'), 'replica', store),
    ];
    // Assess
    expect(outcomes).toEqual(['applied', 'skipped', 'skipped', 'tombstoned', 'skipped']);
    expect(store.rows('replica')).toEqual([expect.objectContaining({ _deleted: { BOOL: true }, version: { N: '2' } })]);
  });
});
