import type { ReplicaFeed } from './feeds';
import type { ShardState, StateRepository } from './state-repository';

export interface ReplicaStatus {
  name: string;
  source: string;
  items: number;
  tombstones: number;
  applied: number;
  skipped: number;
  failed: number;
  lastAppliedAt: string | null;
  lastChangeAt: string | null;
  lagMs: number;
  shards: Array<Omit<ShardState, 'replica' | 'source' | 'lastAppliedAt' | 'lastChangeAt'> & { lastAppliedAt: string | null; lastChangeAt: string | null }>;
}

/**
 * `GET /api/replication`, from the replication-state table alone (one Query per replica): the replicas
 * themselves are never read, so a request costs the same whatever their size. `items` and `tombstones`
 * are the sums of the row-count changes each write recorded. Lambda does not tell a function how far
 * behind the stream it is (that is the IteratorAge metric), so lag is the change-to-apply delay of the
 * newest change each shard applied.
 */
export async function replicationStatus(feeds: readonly ReplicaFeed[], state: Pick<StateRepository, 'shardsOf'>): Promise<{ replicas: ReplicaStatus[] }> {
  const replicas = await Promise.all(
    feeds.map(async (feed) => {
      const shards = await state.shardsOf(feed.replica);
      const sum = (field: 'applied' | 'skipped' | 'failed' | 'rows' | 'tombstoneRows') => shards.reduce((total, shard) => total + shard[field], 0);
      const latest = (field: 'lastAppliedAt' | 'lastChangeAt') => Math.max(0, ...shards.map((shard) => shard[field] ?? 0));
      return {
        name: feed.replica,
        source: feed.source,
        items: Math.max(0, sum('rows')),
        tombstones: Math.max(0, sum('tombstoneRows')),
        applied: sum('applied'),
        skipped: sum('skipped'),
        failed: sum('failed'),
        lastAppliedAt: iso(latest('lastAppliedAt')),
        lastChangeAt: iso(latest('lastChangeAt')),
        lagMs: Math.max(0, ...shards.map((shard) => shard.lagMs ?? 0)),
        shards: shards
          .sort((a, b) => a.shardId.localeCompare(b.shardId))
          .map(({ replica: _r, source: _s, lastAppliedAt, lastChangeAt, ...rest }) => ({
            ...rest,
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
