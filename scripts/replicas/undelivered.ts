import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { readFile } from 'node:fs/promises';
import { decodeChange, type Change } from '../../lambdas/replicator/decode';
import { canonical } from '../../local/dynamodb/streaming-record';

const MAX_CALLS = 10_000;

/**
 * The changes still in the stream that the local event source mapping has not delivered: for each shard,
 * the records after its checkpoint (`<dataDir>/esm-checkpoints.json`, the last sequence number the
 * replicator finished), or from the oldest record when the shard has none. Works on a running stack and
 * on a stopped one's kinesalite data, opened directly.
 */
export async function undeliveredChanges(kinesis: KinesisClient, streamName: string, checkpointFile: string): Promise<Change[]> {
  const checkpoints = await readCheckpoints(checkpointFile, streamName);
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const changes: Change[] = [];
  for (const shard of shards) {
    const after = checkpoints[shard.ShardId!];
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }) }),
      )
    ).ShardIterator;
    for (let call = 0; iterator && call < MAX_CALLS; call++) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }), { abortSignal: AbortSignal.timeout(5_000) });
      for (const record of out.Records ?? []) {
        try {
          changes.push(decodeChange(Buffer.from(record.Data!).toString('base64')));
        } catch {
          // A malformed record would go to the on-failure destination, never into a replica.
        }
      }
      if ((out.Records ?? []).length === 0 || out.MillisBehindLatest === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return changes;
}

/** `table\nkey` → the newest undelivered version for that item (a REMOVE counts with its removed version). */
export function pendingIndex(changes: Change[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const change of changes) {
    const id = `${change.tableName}\n${canonical(change.keys)}`;
    index.set(id, Math.max(index.get(id) ?? 0, change.version));
  }
  return index;
}

async function readCheckpoints(file: string, streamName: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(file, 'utf8'))?.[streamName] ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}
