import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamEvent, KinesisStreamRecord, KinesisStreamBatchResponse } from 'aws-lambda';
import { replicationOutcome } from '../shared/metrics';
import { context, inSpan, parseTraceparent, SpanKind, trace, type Span } from '../shared/tracing';
import { applyChange, type Applied, type ReplicaStore } from './apply-change';
import { decodeChange, type Change } from './decode';
import { feedsOf, type ReplicaFeed } from './feeds';
import type { ShardProgress, StateRepository } from './state-repository';

export interface ChangeDeps {
  feeds: readonly ReplicaFeed[];
  store: ReplicaStore;
  state: Pick<StateRepository, 'record'>;
  logger: Logger;
  /** Applied/skipped/failed counts and lag, flushed by the handler's instrument() wrapper. */
  metrics?: Metrics;
  now?: () => number;
  /** The change stream's name, for the messaging attributes of each record's span. */
  streamName?: string;
}

/**
 * Applies a batch from one shard. Each record is applied on its own (Powertools partial batch): a record
 * that throws is reported in `batchItemFailures`, so the event source mapping retries from it and, after
 * its retries, sends it to the on-failure destination. Progress is written once per replica and shard.
 */
export async function processChanges(event: KinesisStreamEvent, deps: ChangeDeps, context?: Context): Promise<KinesisStreamBatchResponse> {
  const now = deps.now ?? Date.now;
  const progress = new Map<string, ShardProgress>();
  const track = (feed: ReplicaFeed, shardId: string): ShardProgress => {
    const id = `${feed.replica}\n${shardId}`;
    const entry = progress.get(id) ?? { replica: feed.replica, source: feed.source, shardId, applied: 0, skipped: 0, tombstones: 0, failed: 0, rows: 0, tombstoneRows: 0 };
    progress.set(id, entry);
    return entry;
  };

  const handleRecord = async (record: KinesisStreamRecord): Promise<void> => {
    let change: Change | undefined;
    let poison: unknown;
    try {
      change = decodeChange(record.kinesis.data);
    } catch (err) {
      poison = err;
    }
    return inRecordSpan(record, change, deps, (span) => applyRecord(record, change, poison, span));
  };

  const applyRecord = async (record: KinesisStreamRecord, change: Change | undefined, poison: unknown, span: Span): Promise<void> => {
    const shardId = record.eventID.split(':')[0] ?? 'unknown';
    const sequenceNumber = record.kinesis.sequenceNumber;
    // Records run in parallel on one shared logger: per-record keys go on each line, not appendKeys.
    const keys = { eventID: record.eventID, sequenceNumber, table: undefined as string | undefined, traceId: span.spanContext().traceId };
    try {
      if (!change) throw poison;
      keys.table = change.tableName;
      span.setAttribute('replication.lag_ms', Math.max(0, Math.round(now() - change.changedAtMs)));
      for (const feed of feedsOf(deps.feeds, change.tableName)) {
        const entry = track(feed, shardId);
        let applied: Applied;
        try {
          applied = await applyChange(change, feed, deps.store, now());
        } catch (err) {
          entry.failed++;
          if (deps.metrics) replicationOutcome(deps.metrics, 'failed');
          throw err;
        }
        count(entry, applied);
        const { outcome } = applied;
        // INFO: with the request's trace id, `npm run logs -- all --request <id>` finds the replicas it reached.
        deps.logger.info('change applied', { ...keys, replica: feed.replica, outcome });
        span.setAttribute(`replication.outcome.${feed.replica}`, outcome);
        if (deps.metrics) replicationOutcome(deps.metrics, outcome, now() - change.changedAtMs);
        if (!entry.lastSequenceNumber || BigInt(sequenceNumber) > BigInt(entry.lastSequenceNumber)) entry.lastSequenceNumber = sequenceNumber;
        entry.lastChangeAt = Math.max(entry.lastChangeAt ?? 0, change.changedAtMs);
      }
    } catch (err) {
      deps.logger.warn('change record failed', { ...keys, error: err as Error });
      throw err;
    }
  };

  // A processor per invocation: it holds the batch's state, and the local pool may run invocations concurrently.
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  try {
    return await processPartialResponse(event, handleRecord, processor, context ? { context } : undefined);
  } finally {
    await saveProgress([...progress.values()], deps, now());
  }
}

/**
 * One CONSUMER span per record (OTel messaging conventions, operation `process`). An insert or update
 * continues the writer's trace from the image's traceparent, so the request's trace reaches the replica
 * writes; a delete's image holds the last write's context, so it is linked rather than continued. The
 * invocation's span links every record's trace, and each record's span links back to it.
 */
function inRecordSpan(record: KinesisStreamRecord, change: Change | undefined, deps: ChangeDeps, fn: (span: Span) => Promise<void>): Promise<void> {
  const remote = parseTraceparent(change?.traceparent);
  const continues = remote !== undefined && change?.eventName !== 'REMOVE';
  const invocation = trace.getActiveSpan();
  if (remote) invocation?.addLink({ context: remote });
  const links = [
    ...(invocation ? [{ context: invocation.spanContext(), attributes: { 'link.kind': 'invocation' } }] : []),
    ...(remote && !continues ? [{ context: remote, attributes: { 'link.kind': 'last-write' } }] : []),
  ];
  const stream = deps.streamName ?? 'changes';
  return inSpan(`process ${stream}`, {
    kind: SpanKind.CONSUMER,
    parent: continues ? trace.setSpanContext(context.active(), remote) : context.active(),
    links,
    attributes: {
      'messaging.system': 'aws_kinesis',
      'messaging.operation': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': stream,
      'messaging.destination.partition.id': record.eventID.split(':')[0],
      'messaging.message.id': record.kinesis.sequenceNumber,
      ...(change ? { 'aws.dynamodb.table_names': [change.tableName], 'db.operation': change.eventName } : {}),
    },
  }, fn);
}

function count(entry: ShardProgress, { outcome, rows, tombstoneRows }: Applied): void {
  entry.rows += rows;
  entry.tombstoneRows += tombstoneRows;
  if (outcome === 'applied') entry.applied++;
  else if (outcome === 'tombstoned') entry.tombstones++;
  else entry.skipped++;
}

/** Progress is informational: a failed write is logged, never turned into a batch retry. */
async function saveProgress(entries: ShardProgress[], deps: ChangeDeps, nowMs: number): Promise<void> {
  const results = await Promise.allSettled(entries.map((entry) => deps.state.record(entry, nowMs)));
  for (const result of results) {
    if (result.status === 'rejected') deps.logger.error('replication state not saved', { error: result.reason as Error });
  }
}
