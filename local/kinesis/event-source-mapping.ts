import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { withFaults, type EsmFaults, type InjectedFaults } from './esm-faults';
import { esmSettings, type EsmSettings } from './esm-settings';
import { EsmStore } from './esm-store';
import type { OnFailureRecord, EventSource } from './kinesis-event';
import { GET_RECORDS_TIMEOUT_MS, ShardPoller, sleep, type EsmCounters, type PollerContext, type ShardStatus } from './shard-poller';
import { kinesisClient } from './index';

export { esmSettings, type EsmSettings } from './esm-settings';
export type { EsmFaults } from './esm-faults';
export type { ShardStatus } from './shard-poller';

export interface EventSourceMappingOptions {
  /** Told of every batch sent to the on-failure destination, with its records (to mark their traces). */
  onDiscard?: PollerContext['onDiscard'];
  kinesisEndpoint: string;
  streamName: string;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  settings?: Partial<EsmSettings>;
  /** Checkpoints and `on-failure.jsonl` live here; in memory without it. */
  dataDir?: string;
  /** Test-only: wraps `invoke` (esm-faults.ts); the emulation itself never injects anything. */
  faults?: EsmFaults;
  functionName?: string;
  /** How often to look for new shards (after resharding). */
  shardRefreshMs?: number;
}

export interface EsmStatus extends EsmCounters {
  streamName: string;
  running: boolean;
  /** The settings in effect (defaults merged with the options). */
  settings: EsmSettings;
  shards: ShardStatus[];
  injected: InjectedFaults;
}

export interface EventSourceMapping {
  status(): EsmStatus;
  /** Resolves true once every shard has been read to its end (an empty poll after the call) and nothing is in flight. */
  waitIdle(timeoutMs?: number): Promise<boolean>;
  /** On-failure records kept in memory (the newest 1000). */
  failures(): OnFailureRecord[];
  /**
   * Local hint that records were just put on a shard: an idle poller polls at once instead of finishing
   * its wait. Only shortens the wait; polling alone still finds every record.
   */
  wake(shardId: string): void;
  stop(): Promise<void>;
}

/**
 * Lambda's event source mapping for Kinesis, per shard, with up to parallelizationFactor batches of a shard
 * at once and each partition key in order (esm-lanes.ts): poll, batch (size and window),
 * invoke, and on error retry from the lowest failed sequence number (ReportBatchItemFailures), bisect,
 * give up after the retry or age limit by sending the batch's description to the on-failure destination,
 * and checkpoint over the records finished so far, never past one still in flight.
 */
export async function startEventSourceMapping(options: EventSourceMappingOptions): Promise<EventSourceMapping> {
  const settings = esmSettings(options.settings);
  const source: EventSource = {
    region: process.env.AWS_REGION ?? 'us-east-1',
    accountId: '000000000000',
    streamName: options.streamName,
    functionName: options.functionName ?? 'replicator',
  };
  const client = kinesisClient(options.kinesisEndpoint);
  const store = await EsmStore.open(options.dataDir, options.streamName);
  const stats: EsmCounters = {
    invocations: 0, functionErrors: 0, partialFailures: 0, retries: 0, throttles: 0, bisections: 0, recordsDelivered: 0,
    onFailureBatches: 0, onFailureRecords: 0,
  };
  // Counted where the records reach the function, so injected duplicates count as delivered.
  const deliver = (event: KinesisStreamEvent) => {
    stats.recordsDelivered += event.Records.length;
    return options.invoke(event);
  };
  const { invoke, injected } = withFaults(deliver, options.faults ?? {});
  const pollers = new Map<string, ShardPoller>();
  // Aborted by stop(): wakes every sleeping loop and cancels GetRecords calls in flight.
  const stopping = new AbortController();
  const context: PollerContext = { client, store, settings, source, stats, invoke, onDiscard: options.onDiscard, stopped: false, signal: stopping.signal };

  const refreshShards = async () => {
    const shards = await listShards(client, options.streamName);
    const ids = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (pollers.has(id)) continue;
      // A child shard starts only after its parents are read to their end, so each item's changes stay in order.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && ids.has(p));
      if (parents.some((p) => !pollers.get(p)?.ended)) continue;
      const initial = parents.length > 0 ? 'TRIM_HORIZON' : settings.startingPosition;
      const poller = new ShardPoller(id, initial, context);
      pollers.set(id, poller);
      poller.start();
    }
  };
  await refreshShards();
  const refreshTimer = setInterval(() => {
    refreshShards().catch((err: Error) => (stats.lastError = `ListShards: ${err.message}`));
  }, options.shardRefreshMs ?? 5_000);
  refreshTimer.unref();

  return {
    status: () => ({
      streamName: options.streamName,
      running: !context.stopped,
      settings: { ...settings },
      shards: [...pollers.values()].map((p) => p.status()),
      ...stats,
      injected: { ...injected },
    }),
    failures: () => [...store.failures],
    wake: (shardId) => pollers.get(shardId)?.wake(),
    waitIdle: async (timeoutMs = 30_000) => {
      const marks = new Map([...pollers.values()].map((p) => [p, p.emptyPolls]));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ([...pollers.values()].every((p) => p.ended || (p.idle && p.emptyPolls > (marks.get(p) ?? -1)))) return true;
        await sleep(10);
      }
      return false;
    },
    stop: async () => {
      context.stopped = true;
      stopping.abort();
      clearInterval(refreshTimer);
      await Promise.all([...pollers.values()].map((p) => p.done));
      client.destroy();
    },
  };
}

async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const out = await client.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      { abortSignal: AbortSignal.timeout(GET_RECORDS_TIMEOUT_MS) },
    );
    shards.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return shards;
}
