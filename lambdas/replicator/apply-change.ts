import {
  TOMBSTONE_ATTRIBUTE,
  TOMBSTONE_TTL_ATTRIBUTE,
  TOMBSTONE_TTL_SECONDS,
  VERSION_ATTRIBUTE,
  type ReadModel,
  type ReplicaFeed,
} from '../../topology/index';
import type { AttributeMap } from '../../topology/change-record';
import type { Change } from './decode';

/** What a replica row held just before a write. */
export type RowState = 'absent' | 'live' | 'tombstone';

/**
 * Writes to a replica table. `putIfNewer` is one conditional write: it answers the row's state before
 * the write, or undefined when the replica already holds this change or a newer one (see `wins`).
 */
export interface ReplicaStore {
  putIfNewer(table: string, item: AttributeMap, version: number): Promise<RowState | undefined>;
}

export type ApplyOutcome = 'applied' | 'tombstoned' | 'skipped';

/** One applied change and how it moved the replica's row counts (live rows, tombstones): −1, 0 or +1 each. */
export interface Applied {
  outcome: ApplyOutcome;
  rows: number;
  tombstoneRows: number;
}

/**
 * An item cut down to what a replica may hold: its key, its `version` and the read model's attributes,
 * each only with its declared type (a value of another type is left out, so the reader's type holds).
 */
export function project(item: AttributeMap, keys: AttributeMap, model: ReadModel): AttributeMap {
  const projected: AttributeMap = { ...keys };
  if (item[VERSION_ATTRIBUTE]) projected[VERSION_ATTRIBUTE] = item[VERSION_ATTRIBUTE];
  for (const [name, type] of Object.entries(model)) {
    const value = item[name] as Record<string, unknown> | undefined;
    if (value?.[type] !== undefined && Object.keys(value).length === 1) projected[name] = item[name]!;
  }
  return projected;
}

/**
 * The item a change leaves in a replica: the new image projected onto the read model, or for REMOVE a
 * tombstone carrying the removed version, so that an older INSERT/MODIFY arriving late cannot resurrect
 * the item.
 */
export function replicaItem(change: Change, model: ReadModel, nowMs: number): AttributeMap {
  if (change.newImage) return project(change.newImage, change.keys, model);
  return tombstone(change.keys, change.version, nowMs);
}

export function tombstone(keys: AttributeMap, version: number, nowMs: number): AttributeMap {
  return {
    ...keys,
    [TOMBSTONE_ATTRIBUTE]: { BOOL: true },
    [VERSION_ATTRIBUTE]: { N: String(version) },
    [TOMBSTONE_TTL_ATTRIBUTE]: { N: String(Math.floor(nowMs / 1000) + TOMBSTONE_TTL_SECONDS) },
  };
}

/**
 * The replica's write condition as a pure function. Changes are ordered by (version, tombstone): a
 * tombstone carries the removed item's version, so it must beat the live item of that same version, and
 * a late live item of that version must not beat the tombstone.
 */
export function wins(current: AttributeMap | undefined, item: AttributeMap): boolean {
  const held = current?.[VERSION_ATTRIBUTE]?.N;
  if (held === undefined) return true;
  const version = Number(item[VERSION_ATTRIBUTE]?.N);
  return Number(held) < version || (Number(held) === version && isTombstone(item) && !isTombstone(current));
}

export function isTombstone(item: AttributeMap | undefined): boolean {
  return item?.[TOMBSTONE_ATTRIBUTE]?.BOOL === true;
}

export function rowState(item: AttributeMap | undefined): RowState {
  return !item ? 'absent' : isTombstone(item) ? 'tombstone' : 'live';
}

/** How a write that replaced a row in state `before` with `item` changed the row counts. */
export function countChange(before: RowState, item: AttributeMap): { rows: number; tombstoneRows: number } {
  const after = rowState(item);
  const delta = (state: RowState) => (after === state ? 1 : 0) - (before === state ? 1 : 0);
  return { rows: delta('live'), tombstoneRows: delta('tombstone') };
}

/**
 * Applies one change to one replica. Records arrive duplicated and out of order; the version condition
 * makes the outcome independent of both, so a failed condition means "already applied or superseded".
 */
export async function applyChange(
  change: Change,
  feed: Pick<ReplicaFeed, 'replica' | 'attributes'>,
  store: ReplicaStore,
  nowMs = Date.now(),
): Promise<Applied> {
  const item = replicaItem(change, feed.attributes, nowMs);
  const before = await store.putIfNewer(feed.replica, item, change.version);
  if (before === undefined) return { outcome: 'skipped', rows: 0, tombstoneRows: 0 };
  return { outcome: change.newImage ? 'applied' : 'tombstoned', ...countChange(before, item) };
}
