import type { ReplicaFeed } from './feeds';
import type { BackfillState, ShardState, StateRepository } from './state-repository';

/** The shard id of the row a backfill writes (its progress and its count correction). */
const BACKFILL_ROW = 'backfill';
/**
 * A shard that applied nothing for this long has nothing pending: Lambda's event source mapping polls
 * each shard about once a second when idle and invokes as soon as records exist (the local mapping polls
 * every 50 ms), so a shard with records would have applied some by now, or failed (counted in `failed`).
 */
export const IDLE_AFTER_MS = 5_000;
/** Lag above this while applying: the replica is catching up rather than in sync. */
export const CATCHING_UP_MS = 1_000;
/** A backfill row not updated for this long, and not done, was interrupted. */
export const BACKFILL_STALE_MS = 30_000;

export type ReplicaState = 'backfilling' | 'catching-up' | 'in-sync' | 'stale';

export interface ReplicaStatus {
  name: string;
  source: string;
  state: ReplicaState;
  items: number;
  tombstones: number;
  /** The source's item count from the last backfill's count pass, and when it was taken; null without one. */
  sourceItems: number | null;
  sourceCountedAt: string | null;
  /** The backfill under way or last run: its phase and progress in item reads. */
  backfill: { phase: string; done: number; total: number; updatedAt: string | null } | null;
  applied: number;
  skipped: number;
  failed: number;
  lastAppliedAt: string | null;
  lastChangeAt: string | null;
  /** See `lagOf`. */
  lagMs: number;
  shards: Array<Omit<ShardState, 'replica' | 'source' | 'lastAppliedAt' | 'lastChangeAt' | 'backfill'> & { lastAppliedAt: string | null; lastChangeAt: string | null; lagMs: number }>;
}

/**
 * A shard's lag: while it is applying changes (it applied some in the last IDLE_AFTER_MS), the
 * change-to-apply delay of the newest change it applied (now − that change's ApproximateCreationDateTime,
 * at the moment it was applied); 0 once it has applied nothing for IDLE_AFTER_MS, because then nothing is
 * pending. Lambda does not tell a function how far behind the stream it is (that is the IteratorAge
 * metric), so a stalled shard shows as failures, not as lag.
 */
export function lagOf(shard: Pick<ShardState, 'lagMs' | 'lastAppliedAt'>, nowMs: number): number {
  if (shard.lastAppliedAt === undefined || nowMs - shard.lastAppliedAt >= IDLE_AFTER_MS) return 0;
  return shard.lagMs ?? 0;
}

export function stateOf(backfill: BackfillState | undefined, lagMs: number, nowMs: number): ReplicaState {
  if (backfill && backfill.phase !== 'done') return nowMs - backfill.updatedAt > BACKFILL_STALE_MS ? 'stale' : 'backfilling';
  return lagMs > CATCHING_UP_MS ? 'catching-up' : 'in-sync';
}

/**
 * `GET /api/replication`, from the replication-state table alone (one Query per replica): the replicas
 * themselves are never read, so a request costs the same whatever their size. `items` and `tombstones`
 * are the sums of the row-count changes each write recorded (the replicator's and the backfill's).
 */
export async function replicationStatus(routes: readonly ReplicaFeed[], state: Pick<StateRepository, 'shardsOf'>, nowMs = Date.now()): Promise<{ replicas: ReplicaStatus[] }> {
  const replicas = await Promise.all(
    routes.map(async (route): Promise<ReplicaStatus> => {
      const rows = await state.shardsOf(route.replica);
      const sum = (field: 'applied' | 'skipped' | 'failed' | 'rows' | 'tombstoneRows') => rows.reduce((total, shard) => total + shard[field], 0);
      const latest = (field: 'lastAppliedAt' | 'lastChangeAt') => Math.max(0, ...rows.map((shard) => shard[field] ?? 0));
      const shards = rows.filter((row) => row.shardId !== BACKFILL_ROW);
      const backfill = rows.find((row) => row.shardId === BACKFILL_ROW)?.backfill;
      const lagMs = Math.max(0, ...shards.map((shard) => lagOf(shard, nowMs)));
      return {
        name: route.replica,
        source: route.source,
        state: stateOf(backfill, lagMs, nowMs),
        items: Math.max(0, sum('rows')),
        tombstones: Math.max(0, sum('tombstoneRows')),
        sourceItems: backfill && backfill.countedAt > 0 ? backfill.sourceItems : null,
        sourceCountedAt: backfill && backfill.countedAt > 0 ? iso(backfill.countedAt) : null,
        backfill: backfill ? { phase: backfill.phase, done: backfill.done, total: backfill.total, updatedAt: iso(backfill.updatedAt) } : null,
        applied: sum('applied'),
        skipped: sum('skipped'),
        failed: sum('failed'),
        lastAppliedAt: iso(latest('lastAppliedAt')),
        lastChangeAt: iso(latest('lastChangeAt')),
        lagMs,
        shards: shards
          .sort((a, b) => a.shardId.localeCompare(b.shardId))
          .map(({ replica: _r, source: _s, lastAppliedAt, lastChangeAt, backfill: _b, ...rest }) => ({
            ...rest,
            lagMs: lagOf({ lagMs: rest.lagMs, lastAppliedAt }, nowMs),
            lastAppliedAt: iso(lastAppliedAt ?? 0),
            lastChangeAt: iso(lastChangeAt ?? 0),
          })),
      };
    }),
  );
  return { replicas };
}

function iso(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}
