import { describe, expect, it } from 'vitest';
import { applyChange, countChange, project, replicaItem, wins } from '../../../../lambdas/replicator/apply-change';
import type { Change } from '../../../../lambdas/replicator/decode';
import { TOMBSTONE_TTL_SECONDS, USERS_FOR_RULE } from '../../../../topology/index';
import { MemoryReplicaStore } from './change-builders';

const keys = { userId: { S: 'u1' }, key: { S: 'k1' } };
const model = { name: 'S' } as const;
const upsert = (version: number, name = `v${version}`): Change => ({
  eventID: `e${version}`, tableName: 'rules', eventName: version === 1 ? 'INSERT' : 'MODIFY', keys,
  newImage: { ...keys, name: { S: name }, status: { N: '1' }, version: { N: String(version) } }, version, changedAtMs: 1,
});
const remove = (version: number): Change => ({ eventID: `r${version}`, tableName: 'rules', eventName: 'REMOVE', keys, version, changedAtMs: 1 });
const route = { replica: 'replica', attributes: model };

describe('project', () => {
  it('keeps the key, the version and the read model, and nothing else of a user', () => {
    // Prepare
    const user = {
      userName: { S: 'ada' }, userId: { S: 'id-1' }, displayName: { S: 'Ada' }, sessionVersion: { N: '2' },
      passwordHash: { S: 'scrypt$16384$8$1$salt$hash' }, email: { S: 'ada@example.com' }, avatar: { S: 'a.png' },
      createdAt: { S: '2026-01-01T00:00:00.000Z' }, version: { N: '3' },
    };
    // Act
    const projected = project(user, { userName: { S: 'ada' } }, USERS_FOR_RULE);
    // Assess
    expect(projected).toEqual({ userName: { S: 'ada' }, userId: { S: 'id-1' }, displayName: { S: 'Ada' }, sessionVersion: { N: '2' }, version: { N: '3' } });
  });

  it('leaves out a read-model attribute of another type than declared, and one the item lacks', () => {
    const item = { ...keys, status: { S: '1' }, version: { N: '1' } };
    expect(project(item, keys, { status: 'N', name: 'S' })).toEqual({ ...keys, version: { N: '1' } });
  });
});

describe('replicaItem', () => {
  it('projects a new image onto the read model', () => {
    expect(replicaItem(upsert(2), model, 0)).toEqual({ ...keys, name: { S: 'v2' }, version: { N: '2' } });
  });

  it('turns a REMOVE into a tombstone with the removed version and a TTL', () => {
    const item = replicaItem(remove(4), model, 1_000_000);
    expect(item).toEqual({ ...keys, _deleted: { BOOL: true }, version: { N: '4' }, _expiresAt: { N: String(1000 + TOMBSTONE_TTL_SECONDS) } });
  });
});

describe('wins', () => {
  it('orders changes by version, then a tombstone over the live item of the same version', () => {
    const live = (v: number) => replicaItem(upsert(v), model, 0);
    const dead = (v: number) => replicaItem(remove(v), model, 0);
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

describe('countChange', () => {
  it('moves the live and tombstone row counts by what the write replaced', () => {
    const live = replicaItem(upsert(1), model, 0);
    const dead = replicaItem(remove(1), model, 0);
    expect(countChange('absent', live)).toEqual({ rows: 1, tombstoneRows: 0 });
    expect(countChange('live', live)).toEqual({ rows: 0, tombstoneRows: 0 });
    expect(countChange('live', dead)).toEqual({ rows: -1, tombstoneRows: 1 });
    expect(countChange('absent', dead)).toEqual({ rows: 0, tombstoneRows: 1 });
    expect(countChange('tombstone', live)).toEqual({ rows: 1, tombstoneRows: -1 });
  });
});

describe('applyChange', () => {
  it('applies newer changes, skips duplicates and stale ones, and keeps a late older write from resurrecting a delete', async () => {
    // Prepare
    const store = new MemoryReplicaStore();
    // Act
    const outcomes = [
      await applyChange(upsert(2), route, store),
      await applyChange(upsert(1), route, store),
      await applyChange(upsert(2), route, store),
      await applyChange(remove(2), route, store),
      await applyChange(upsert(2, 'late'), route, store),
    ];
    // Assess
    expect(outcomes).toEqual([
      { outcome: 'applied', rows: 1, tombstoneRows: 0 },
      { outcome: 'skipped', rows: 0, tombstoneRows: 0 },
      { outcome: 'skipped', rows: 0, tombstoneRows: 0 },
      { outcome: 'tombstoned', rows: -1, tombstoneRows: 1 },
      { outcome: 'skipped', rows: 0, tombstoneRows: 0 },
    ]);
    expect(store.rows('replica')).toEqual([expect.objectContaining({ _deleted: { BOOL: true }, version: { N: '2' } })]);
  });

  it('writes only the route\'s read model into the replica', async () => {
    const store = new MemoryReplicaStore();
    await applyChange(upsert(1), { replica: 'replica', attributes: { status: 'N' } }, store);
    expect(store.rows('replica')).toEqual([{ ...keys, status: { N: '1' }, version: { N: '1' } }]);
  });
});
