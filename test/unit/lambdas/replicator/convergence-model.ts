import fc from 'fast-check';
import type { Change } from '../../../../lambdas/replicator/decode';
import type { AttributeMap } from '../../../../topology/change-record';
import type { ReadModel } from '../../../../topology/index';

export interface Op {
  key: number;
  kind: 'put' | 'delete';
  name: string;
  status: number;
  /** Sometimes written with the wrong type: the projection must leave it out. */
  descAsNumber: boolean;
}

/** Random writes and deletes on a few keys; a deleted key is never re-created (keys are time-ordered ids). */
export const opsArbitrary = fc.array(
  fc.record({
    key: fc.nat(3),
    kind: fc.constantFrom<'put' | 'delete'>('put', 'put', 'delete'),
    name: fc.string({ maxLength: 6 }),
    status: fc.nat(3),
    descAsNumber: fc.boolean(),
  }),
  { minLength: 1, maxLength: 40 },
);

/** Attributes every source item carries, and which a read model may pick; `passwordHash` is never picked. */
const PICKABLE: ReadModel = { name: 'S', status: 'N', desc: 'S' };

/** Any read model over the source's replicable attributes, from none to all of them. */
export const readModelArbitrary: fc.Arbitrary<ReadModel> = fc
  .subarray(Object.keys(PICKABLE))
  .map((names) => Object.fromEntries(names.map((name) => [name, PICKABLE[name]!])));

/**
 * Runs the ops against a model of the source table: the change records it emits and the replica's
 * expected final contents, written out by hand (key, version, the read model's attributes of the right
 * type; tombstones as key, flag and version).
 */
export function simulateSource(ops: Op[], userId: string, model: ReadModel): { changes: Change[]; expected: Map<string, AttributeMap> } {
  const state = new Map<number, { version: number; item?: AttributeMap; deleted: boolean }>();
  const changes: Change[] = [];
  const keysOf = (key: number): AttributeMap => ({ userId: { S: userId }, key: { S: `k${key}` } });
  for (const op of ops) {
    const current = state.get(op.key) ?? { version: 0, deleted: false };
    if (current.deleted) continue;
    const keys = keysOf(op.key);
    if (op.kind === 'put') {
      const version = current.version + 1;
      const item: AttributeMap = {
        ...keys,
        name: { S: op.name },
        status: { N: String(op.status) },
        desc: op.descAsNumber ? { N: '7' } : { S: `about ${op.name}` },
        passwordHash: { S: 'scrypt$secret' },
        updatedAt: { S: '2026-01-01T00:00:00.000Z' },
        version: { N: String(version) },
      };
      changes.push({ eventID: `${op.key}-${version}`, tableName: 'rules', eventName: version === 1 ? 'INSERT' : 'MODIFY', keys, newImage: item, version, changedAtMs: changes.length });
      state.set(op.key, { version, item, deleted: false });
    } else if (current.item) {
      changes.push({ eventID: `${op.key}-del`, tableName: 'rules', eventName: 'REMOVE', keys, version: current.version, changedAtMs: changes.length });
      state.set(op.key, { version: current.version, deleted: true });
    }
  }
  const expected = new Map<string, AttributeMap>();
  for (const [key, entry] of state) {
    const keys = keysOf(key);
    const version = { N: String(entry.version) };
    if (entry.deleted) {
      expected.set(`k${key}`, { ...keys, _deleted: { BOOL: true }, version });
      continue;
    }
    const item = entry.item!;
    const picked: AttributeMap = { ...keys, version };
    if ('name' in model) picked.name = item.name!;
    if ('status' in model) picked.status = item.status!;
    if ('desc' in model && item.desc!.S !== undefined) picked.desc = item.desc!;
    expected.set(`k${key}`, picked);
  }
  return { changes, expected };
}

/** Every change at least once, some several times, in any order. */
export function deliveries(changes: Change[]): fc.Arbitrary<Change[]> {
  const indices = changes.map((_, i) => i);
  if (indices.length === 0) return fc.constant([]);
  return fc
    .array(fc.nat(indices.length - 1), { maxLength: indices.length })
    .chain((dups) => {
      const all = [...indices, ...dups];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    })
    .map((order) => order.map((i) => changes[i]!));
}

/** A replica row without its tombstone expiry (which depends on the apply time). */
export function withoutExpiry(item: AttributeMap): AttributeMap {
  const { _expiresAt: _ignored, ...rest } = item;
  return rest;
}

/** Live rows and tombstones of an expected replica, to check the counts the replicator records. */
export function rowCounts(rows: Iterable<AttributeMap>): { rows: number; tombstoneRows: number } {
  let live = 0;
  let tombstones = 0;
  for (const row of rows) row._deleted ? tombstones++ : live++;
  return { rows: live, tombstoneRows: tombstones };
}
