import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../local/kinesis';
import type { Stack } from '../../local/index';
import { startLocalStack } from '../helpers/local-stack';
import { ROOT } from '../../bundle';
import { ApiClient } from './replication-api-client';

const run = promisify(execFile);
let stack: Stack;
let dataDir: string;
let db: DynamoDBClient;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'replication-stack-'));
  stack = await startLocalStack({ dataDir, load: true });
  db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
});
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const replicaTable = () => stack.tableName('rules-replica-for-user');
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

/** Polls the replica until `done(item)`; answers the milliseconds it took (bounded by `limitMs`). */
async function replicaLag(key: { userId: string; key: string }, done: (item: Record<string, any> | undefined) => boolean, since: number, limitMs = 15_000): Promise<number> {
  while (performance.now() - since < limitMs) {
    const out = await db.send(new GetItemCommand({ TableName: replicaTable(), Key: { userId: { S: key.userId }, key: { S: key.key } }, ConsistentRead: true }));
    if (done(out.Item)) return performance.now() - since;
    await new Promise((r) => setTimeout(r, 2));
  }
  return Infinity;
}

describe('replication on the local stack', () => {
  it('a todo created, renamed and deleted through the API shows up, changes and disappears in its replica', async () => {
    // Prepare
    const api = new ApiClient(stack.url);
    const userId = await api.signUp('lag-probe');
    await api.request('POST', '/api/todos', { title: 'warm-up' });
    expect(await stack.replication.waitIdle(10_000)).toBe(true);
    const lags: number[] = [];
    // Act
    for (let i = 0; i < 30; i++) {
      let t = performance.now();
      const created = await api.request('POST', '/api/todos', { title: `todo ${i}` });
      const key = { userId, key: created.json.id as string };
      // The replica holds the read model (status) and the version, not the title: a new version is the change.
      lags.push(await replicaLag(key, (item) => item?.version?.N === '1', t));
      t = performance.now();
      await api.request('PATCH', `/api/todos/${key.key}`, { title: `renamed ${i}` });
      lags.push(await replicaLag(key, (item) => item?.version?.N === '2', t));
      t = performance.now();
      await api.request('DELETE', `/api/todos/${key.key}`);
      lags.push(await replicaLag(key, (item) => item?._deleted?.BOOL === true, t));
    }
    // Assess
    const figures = { samples: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) };
    const { invocations, functionErrors, retries, lastError } = stack.replication.status();
    console.log(`replication lag (API answer → replica), ms: ${JSON.stringify(figures, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`, { invocations, functionErrors, retries, lastError });
    // Every change arrived (a lost one polls to its deadline and counts as Infinity). How fast is the
    // bench's to say (`npm run bench -- --only replication`: lag p99 at 50 writes/s), not a test's.
    expect(lags.filter((lag) => !Number.isFinite(lag))).toEqual([]);
    expect(lags).toHaveLength(90);
  }, 120_000);

  it('a poison record goes to the on-failure destination without blocking its shard', async () => {
    // Prepare
    const kinesis = kinesisClient(stack.kinesisEndpoint);
    const api = new ApiClient(stack.url);
    const userId = await api.signUp('poison-probe');
    const before = stack.replication.status().onFailureBatches;
    // Act: garbage on every shard, then real changes behind it
    for (const partitionKey of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await kinesis.send(new PutRecordCommand({ StreamName: 'changes', PartitionKey: partitionKey, Data: Buffer.from('{"not": "a change record"') }));
    }
    kinesis.destroy();
    const created = await api.request('POST', '/api/todos', { title: 'after the poison' });
    // Assess
    expect(await replicaLag({ userId, key: created.json.id }, (item) => item?.version?.N === '1', performance.now(), 10_000)).toBeLessThan(10_000);
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    expect(stack.replication.status().onFailureBatches - before).toBe(6);
    expect(stack.replication.failures().at(-1)).toMatchObject({ requestContext: { condition: 'RetryAttemptsExhausted' }, KinesisBatchInfo: { batchSize: 1 } });
  }, 60_000);

  it('`npm run replicas -- verify` finds no difference, reports a corrupted replica item, and backfill repairs it', async () => {
    // Prepare
    expect(await stack.replication.waitIdle(10_000)).toBe(true);
    const script = ['--import', 'tsx', path.join(ROOT, 'scripts/replicas.ts')];
    const options = { cwd: ROOT, timeout: 60_000 };
    const clean = await run(process.execPath, [...script, 'verify', '--data-dir', dataDir], options);
    const victim = (await db.send(new GetItemCommand({ TableName: stack.tableName('users'), Key: { userName: { S: 'lag-probe' } } }))).Item!;
    await db.send(new DeleteItemCommand({ TableName: stack.tableName('users-replica-for-rule'), Key: { userName: { S: 'lag-probe' } } }));
    await db.send(new PutItemCommand({ TableName: stack.tableName('rules-replica-for-user'), Item: { userId: { S: 'ghost' }, key: { S: 'ghost' }, version: { N: '1' } } }));
    // Act
    const broken = await run(process.execPath, [...script, 'verify', '--data-dir', dataDir, '--settle-ms', '0'], options).catch((err) => err);
    const repaired = await run(process.execPath, [...script, 'backfill', 'users-replica-for-rule', '--data-dir', dataDir], options);
    await run(process.execPath, [...script, 'backfill', 'rules-replica-for-user', '--data-dir', dataDir], options);
    const again = await run(process.execPath, [...script, 'verify', '--data-dir', dataDir], options);
    // Assess
    expect(clean.stdout).toContain('no differences');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/users-replica-for-rule\tmissing\t\{"userName":"lag-probe"\}/);
    expect(broken.stdout).toMatch(/rules-replica-for-user\tnot-deleted\t\{"userId":"ghost","key":"ghost"\}/);
    expect(repaired.stdout).toMatch(/wrote 1/);
    expect(repaired.stderr).toMatch(/100%/);
    expect(again.stdout).toContain('no differences');
    expect(victim.version).toBeDefined();
  }, 120_000);
});
