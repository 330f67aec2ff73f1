import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AttributeMap, DynamoDbChangeRecord } from '../../topology/change-record';
import { canonical, changeRecord, keyOf, MissingKeyAttribute, partitionKey, type ItemChange } from './streaming-record';
import { DynamoWire, errorResponse, parseJson, reply, type WireResponse } from './wire';
import { kinesisClient } from '../kinesis';
import { KeyedMutex } from './keyed-mutex';
import type { LocalTracer } from '../traces/collector';

export interface StreamingDestinationOptions {
  dynamoEndpoint: string;
  kinesisEndpoint: string;
  streamName: string;
  /** Physical names of the tables whose changes are captured. */
  streamedTables: readonly string[];
  /**
   * dynalite's request listener, when it runs in this process: requests the proxy never captures (reads,
   * table operations) are handed to it as they are, instead of being sent again over loopback HTTP.
   */
  dynamoHandler?: http.RequestListener;
  /** Test-only: answer this share of requests with ProvisionedThroughputExceededException before forwarding. */
  faults?: { throttleRate?: number };
  /** Called with the shard each record went to, once it is on the stream (a local hint for the event source mapping). */
  onPublished?: (shardId: string) => void;
  /** Records a PRODUCER span per published change, child of the writer's DynamoDB call (its `traceparent` header). */
  tracer?: LocalTracer;
  port?: number;
}

export interface StreamingDestinationStats {
  requests: number;
  captured: number;
  published: number;
  unchanged: number;
  rejected: number;
  throttled: number;
  publishFailures: number;
  /** Requests per DynamoDB operation (`Scan`, `PutItem`, …), whatever table they address. */
  operations: Record<string, number>;
}

export interface StreamingDestination {
  endpoint: string;
  stats(): StreamingDestinationStats;
  stop(): Promise<void>;
}

type Captured = { response: WireResponse; changes: ItemChange[]; body?: Buffer };

const PUBLISH_ATTEMPTS = 6;

/**
 * The DynamoDB → Kinesis streaming destination, emulated as an HTTP proxy in front of dynalite. Functions
 * talk to the proxy as if it were DynamoDB; it forwards every request unchanged, except that successful
 * writes to streamed tables are captured: the proxy asks dynalite for the old/new image it needs, strips
 * what the caller did not ask for, and publishes one AWS-format change record per changed item BEFORE
 * answering. Writes are serialised per item while captured, so each old image is its true predecessor.
 */
/** A DescribeTable KeySchema's attribute names, hash key first (the order change records' Keys are built in). */
export function keyNamesOf(keySchema: ReadonlyArray<{ AttributeName?: string; KeyType?: string }> | undefined): string[] {
  const ordered = [...(keySchema ?? [])].sort((a, b) => Number(b.KeyType === 'HASH') - Number(a.KeyType === 'HASH'));
  return ordered.map((k) => k.AttributeName!);
}

export async function startStreamingDestination(options: StreamingDestinationOptions): Promise<StreamingDestination> {
  const wire = new DynamoWire(options.dynamoEndpoint);
  const kinesis = kinesisClient(options.kinesisEndpoint);
  const mutex = new KeyedMutex();
  const streamed = new Set(options.streamedTables);
  const keySchemas = new Map<string, Promise<string[]>>();
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const counters: StreamingDestinationStats = { requests: 0, captured: 0, published: 0, unchanged: 0, rejected: 0, throttled: 0, publishFailures: 0, operations: {} };

  const keyNames = (headers: http.IncomingHttpHeaders, table: string): Promise<string[]> => {
    let names = keySchemas.get(table);
    if (!names) {
      names = wire.call(headers, 'DescribeTable', { TableName: table }).then(({ status, json }) => {
        if (status !== 200) throw new Error(`DescribeTable ${table} failed: ${json?.message}`);
        return keyNamesOf(json.Table.KeySchema);
      });
      names.catch(() => keySchemas.delete(table));
      keySchemas.set(table, names);
    }
    return names;
  };
  const lockId = (table: string, keys: AttributeMap) => `${table}\n${canonical(keys)}`;
  const getItem = async (headers: http.IncomingHttpHeaders, table: string, key: AttributeMap): Promise<AttributeMap | undefined> => {
    const { status, json } = await wire.call(headers, 'GetItem', { TableName: table, Key: key, ConsistentRead: true });
    if (status !== 200) throw new Error(`GetItem ${table} failed: ${json?.message}`);
    return json.Item;
  };

  /** Forwards with ReturnValues rewritten to `wanted`, then strips the attributes the caller did not ask for. */
  const forwardAsking = async (headers: http.IncomingHttpHeaders, request: any, wanted: string) => {
    const asked = request.ReturnValues ?? 'NONE';
    const response = await wire.send(headers, Buffer.from(JSON.stringify({ ...request, ReturnValues: wanted })));
    const json = response.status === 200 ? parseJson(response.body) : undefined;
    const attributes: AttributeMap | undefined = json?.Attributes;
    let body: Buffer | undefined;
    if (json && asked === 'NONE' && attributes) {
      delete json.Attributes;
      body = Buffer.from(JSON.stringify(json));
    }
    return { response, attributes, body, ok: json !== undefined };
  };

  /** Runs `work` holding the items' locks, so a capture and its stream record follow the write's order. */
  const locked = async <T>(ids: string[], work: () => Promise<T>): Promise<T> => {
    const release = await mutex.lock(ids);
    try {
      return await work();
    } finally {
      release();
    }
  };

  const capture: Record<string, (headers: http.IncomingHttpHeaders, request: any) => Promise<Captured>> = {
    async PutItem(headers, request) {
      const keys = keyOf(request.Item ?? {}, await keyNames(headers, request.TableName));
      return locked([lockId(request.TableName, keys)], async () => {
        const { response, attributes, body, ok } = await forwardAsking(headers, request, 'ALL_OLD');
        const changes = ok ? [{ tableName: request.TableName, keys, oldImage: attributes, newImage: request.Item }] : [];
        return await publishThen(headers, { response, changes, body });
      });
    },
    async UpdateItem(headers, request) {
      const keys = keyOf(request.Key ?? {}, await keyNames(headers, request.TableName));
      return locked([lockId(request.TableName, keys)], async () => {
        const oldImage = await getItem(headers, request.TableName, keys);
        const asked = request.ReturnValues ?? 'NONE';
        // ALL_NEW gives the new image atomically; other ReturnValues are kept and the item is re-read under the lock.
        const rewrite = asked === 'NONE' || asked === 'ALL_NEW';
        const { response, attributes, body, ok } = await forwardAsking(headers, request, rewrite ? 'ALL_NEW' : asked);
        const newImage = !ok ? undefined : rewrite ? attributes : await getItem(headers, request.TableName, keys);
        return await publishThen(headers, { response, body, changes: ok ? [{ tableName: request.TableName, keys, oldImage, newImage }] : [] });
      });
    },
    async DeleteItem(headers, request) {
      const keys = keyOf(request.Key ?? {}, await keyNames(headers, request.TableName));
      return locked([lockId(request.TableName, keys)], async () => {
        const { response, attributes, body, ok } = await forwardAsking(headers, request, 'ALL_OLD');
        return await publishThen(headers, { response, body, changes: ok ? [{ tableName: request.TableName, keys, oldImage: attributes }] : [] });
      });
    },
    async BatchWriteItem(headers, request) {
      const writes: Array<{ table: string; keys: AttributeMap; put?: AttributeMap; entry: unknown }> = [];
      for (const [table, entries] of Object.entries<any[]>(request.RequestItems ?? {})) {
        if (!streamed.has(table)) continue;
        const names = await keyNames(headers, table);
        for (const entry of entries) {
          const put = entry?.PutRequest?.Item as AttributeMap | undefined;
          writes.push({ table, keys: keyOf(put ?? entry?.DeleteRequest?.Key ?? {}, names), put, entry });
        }
      }
      return locked(writes.map((w) => lockId(w.table, w.keys)), async () => {
        const oldImages = await Promise.all(writes.map((w) => getItem(headers, w.table, w.keys)));
        const response = await wire.send(headers, Buffer.from(JSON.stringify(request)));
        const json = response.status === 200 ? parseJson(response.body) : undefined;
        if (!json) return { response, changes: [] };
        // Items DynamoDB could not write come back in UnprocessedItems: those changed nothing.
        const unprocessed = new Set(Object.entries<any[]>(json.UnprocessedItems ?? {}).flatMap(([table, entries]) => entries.map((e) => `${table}\n${canonical(e.PutRequest?.Item ?? e.DeleteRequest?.Key)}`)));
        const changes = writes.flatMap((w, i) => {
          const id = `${w.table}\n${canonical(w.put ?? w.keys)}`;
          return unprocessed.has(id) ? [] : [{ tableName: w.table, keys: w.keys, oldImage: oldImages[i], newImage: w.put }];
        });
        return await publishThen(headers, { response, changes });
      });
    },
  };

  /** Publishes every change (retrying), still holding the item locks, so records of one item enter the stream in write order. */
  async function publishThen(headers: http.IncomingHttpHeaders, captured: Captured): Promise<Captured> {
    const records = captured.changes
      .map((change) => ({ change, record: changeRecord(change, { region, nowMicros: nowMicros() }) }))
      .filter((entry): entry is { change: ItemChange; record: DynamoDbChangeRecord } => entry.record !== undefined);
    counters.unchanged += captured.changes.length - records.length;
    const parent = typeof headers.traceparent === 'string' ? headers.traceparent : undefined;
    await Promise.all(records.map(({ change, record }) => publish(partitionKey(change.tableName, change.keys), record, parent)));
    return captured;
  }

  /** A hint only: whatever it does, it must never make a published record count as failed (and be put twice). */
  function hint(shardId: string): void {
    try {
      options.onPublished?.(shardId);
    } catch {
      // ignored: polling finds the record anyway
    }
  }

  async function publish(key: string, record: DynamoDbChangeRecord, parent?: string): Promise<void> {
    const data = Buffer.from(JSON.stringify(record));
    // On AWS this hop is DynamoDB's own and makes no span; locally it shows where the change waited.
    const span = options.tracer?.({
      name: `publish ${options.streamName}`, service: 'dynamodb-streaming-destination', kind: 'producer', parent,
      attributes: { 'messaging.system': 'aws_kinesis', 'messaging.operation': 'publish', 'messaging.operation.type': 'publish', 'messaging.destination.name': options.streamName, 'aws.dynamodb.table_names': [record.tableName], 'db.operation': record.eventName },
    });
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await kinesis.send(new PutRecordCommand({ StreamName: options.streamName, PartitionKey: key, Data: data }), { abortSignal: AbortSignal.timeout(5_000) });
        counters.published++;
        span?.end({ attributes: { 'messaging.destination.partition.id': out.ShardId, 'messaging.message.id': out.SequenceNumber, 'messaging.publish.attempts': attempt } });
        if (out.ShardId) hint(out.ShardId);
        return;
      } catch (err) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          counters.publishFailures++;
          span?.end({ error: (err as Error).message });
          throw new Error(`change record for ${record.tableName} not published: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, operation: string, body: Buffer) => {
    if (options.faults?.throttleRate && Math.random() < options.faults.throttleRate) {
      counters.throttled++;
      return reply(res, errorResponse(400, 'ProvisionedThroughputExceededException', 'Injected throttling (local fault switch)'));
    }
    const request = Object.hasOwn(capture, operation) ? parseJson(body) : undefined;
    const involved = request && (operation === 'BatchWriteItem' ? Object.keys(request.RequestItems ?? {}).some((t) => streamed.has(t)) : streamed.has(request.TableName));
    if (!involved) return reply(res, await wire.send(req.headers, body));
    counters.captured++;
    try {
      const { response, body: rewritten } = await capture[operation]!(req.headers, request);
      if (response.status !== 200) counters.rejected++;
      reply(res, response, rewritten);
    } catch (err) {
      // A write without its key attributes changes nothing: let dynalite reject it with DynamoDB's own error.
      if (err instanceof MissingKeyAttribute) return reply(res, await wire.send(req.headers, body));
      reply(res, errorResponse(500, 'InternalServerError', (err as Error).message));
    }
  };

  // Requests being handled; stop() lets them finish, so a write dynalite accepted is never left unpublished.
  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    counters.requests++;
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    counters.operations[operation] = (counters.operations[operation] ?? 0) + 1;
    if (options.dynamoHandler && !Object.hasOwn(capture, operation) && !options.faults?.throttleRate) return options.dynamoHandler(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const handled = handle(req, res, operation, Buffer.concat(chunks)).catch((err: Error) => {
        if (!res.headersSent) reply(res, errorResponse(500, 'InternalServerError', err.message));
      });
      inFlight.add(handled);
      void handled.finally(() => inFlight.delete(handled));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => ({ ...counters, operations: { ...counters.operations } }),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Bounded: publishing retries for a few seconds at most before it gives up anyway.
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      server.closeAllConnections();
      await closed;
      wire.close();
      kinesis.destroy();
    },
  };
}

/** Wall-clock microseconds, the precision AWS uses by default for ApproximateCreationDateTime. */
function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

