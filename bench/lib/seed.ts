import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { LOCAL_AWS_ENV } from '../load/run';

export function documentClient(endpoint: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Todos in the shape the rule service writes (lambdas/rule/domain.ts `Todo`), at version 1. */
export function todoItems(userId: string, count: number): Array<Record<string, unknown>> {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    userId,
    key: randomUUID(),
    name: `seeded todo ${i}`,
    status: 1,
    progress: 0,
    order: i,
    createdAt: at,
    updatedAt: at,
    version: 1,
  }));
}

/** BatchWriteItem in 25-item batches, a few in flight, retrying what DynamoDB leaves unprocessed. */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, items: Array<Record<string, unknown>>, inFlight = 4): Promise<void> {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < batches.length) {
        let requests = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > 10) throw new Error(`BatchWriteItem left ${requests.length} items unprocessed`);
          const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
          requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
        }
      }
    }),
  );
}

/** Items of one partition (Select COUNT, paging through). */
export async function countPartition(db: DynamoDBDocumentClient, table: string, hashKey: string, value: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await db.send(new QueryCommand({ TableName: table, KeyConditionExpression: '#h = :v', ExpressionAttributeNames: { '#h': hashKey }, ExpressionAttributeValues: { ':v': value }, Select: 'COUNT', ExclusiveStartKey: start }));
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return count;
}

/** Waits (bounded) until a replica partition holds `expected` items; answers whether it got there. */
export async function waitForReplica(db: DynamoDBDocumentClient, table: string, hashKey: string, value: string, expected: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await countPartition(db, table, hashKey, value).catch(() => -1)) >= expected) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
