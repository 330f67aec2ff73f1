import fc from 'fast-check';
import type { Change } from '../../../lambdas/replicator/decode';
import type { AttributeMap } from '../../../lambdas/replicator/change-record';

export interface Op {
  key: number;
  kind: 'put' | 'delete';
  name: string;
}

/** Random writes and deletes on a few keys; a deleted key is never re-created (keys are time-ordered ids). */
export const opsArbitrary = fc.array(
  fc.record({ key: fc.nat(3), kind: fc.constantFrom<'put' | 'delete'>('put', 'put', 'delete'), name: fc.string({ maxLength: 6 }) }),
  { minLength: 1, maxLength: 40 },
);

/** Runs the ops against a model of the source table: the change records it emits and its final contents. */
export function simulateSource(ops: Op[], userId: string): { changes: Change[]; expected: Map<string, AttributeMap> } {
  const state = new Map<number, { version: number; item?: AttributeMap; deleted: boolean }>();
  const changes: Change[] = [];
  const keysOf = (key: number): AttributeMap => ({ userId: { S: userId }, key: { S: `k${key}` } });
  for (const op of ops) {
    const current = state.get(op.key) ?? { version: 0, deleted: false };
    if (current.deleted) continue;
    const keys = keysOf(op.key);
    if (op.kind === 'put') {
      const version = current.version + 1;
      const item = { ...keys, name: { S: op.name }, version: { N: String(version) } };
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
    expected.set(`k${key}`, entry.deleted ? { ...keys, _deleted: { BOOL: true }, version: { N: String(entry.version) } } : entry.item!);
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
