import { BatchWriteItemCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { project, tombstone } from '../../lambdas/replicator/apply-change';
import { DynamoDbReplicaStore } from '../../lambdas/replicator/replica-store';
import { StateRepository } from '../../lambdas/replicator/state-repository';
import { replicationStatus } from '../../lambdas/replicator/status';
import { backfill, compare, namedReplicaFeed, scanAll, type BackfillProgress, type NamedReplicaFeed } from '../../scripts/replicas/sync';
import { replicaFeed, replicas } from '../../topology/index';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

let dynamo: TestDynamo;
let db: DynamoDBClient;
let feed: NamedReplicaFeed;
beforeAll(async () => {
  dynamo = await startDynalite();
  db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  feed = namedReplicaFeed(replicas.find((r) => r.name === 'users-replica-for-rule')!, (logical) => dynamo.tableNames[logical]!, dynamo.tableNames['replication-state']);
});
afterAll(async () => {
  db?.destroy();
  await dynamo?.stop();
});

const user = (name: string, version = 1) => ({
  userName: { S: name }, userId: { S: `id-${name}` }, displayName: { S: name.toUpperCase() }, sessionVersion: { N: '0' },
  passwordHash: { S: `scrypt$16384$8$1$salt-${name}$hash-${name}` }, email: { S: `${name}@example.com` },
  createdAt: { S: '2026-01-01T00:00:00.000Z' }, updatedAt: { S: '2026-01-01T00:00:00.000Z' }, version: { N: String(version) },
});
const put = (table: string, item: Record<string, any>) => db.send(new PutItemCommand({ TableName: table, Item: item }));

describe('npm run replicas: backfill and verify respect the read model', () => {
  it('verify reports a row holding more than its read model; backfill writes only the read model, strips the rest and corrects the counts', async () => {
    // Prepare: a user the replica never saw, one copied whole (as before read models), and a ghost
    await put(feed.source, user('ada'));
    await put(feed.source, user('bob', 3));
    await put(feed.replica, user('bob', 3));
    await put(feed.replica, { userName: { S: 'ghost' }, userId: { S: 'id-ghost' }, version: { N: '1' } });
    // Act
    const before = await compare(db, feed);
    const result = await backfill(db, feed);
    const after = await compare(db, feed);
    // Assess
    expect(before.map((d) => [d.kind, d.key.userName?.S]).sort()).toEqual([['missing', 'ada'], ['not-deleted', 'ghost'], ['outside-read-model', 'bob']]);
    expect(result).toMatchObject({ written: 1, skipped: 0, tombstoned: 1, scrubbed: 1, invalid: 0 });
    expect(after).toEqual([]);
    const rows = [];
    for await (const page of scanAll(db, feed.replica)) rows.push(...page);
    expect(rows.sort((a, b) => a.userName!.S!.localeCompare(b.userName!.S!)).map(({ _expiresAt, ...row }) => row)).toEqual([
      { userName: { S: 'ada' }, userId: { S: 'id-ada' }, displayName: { S: 'ADA' }, sessionVersion: { N: '0' }, version: { N: '1' } },
      { userName: { S: 'bob' }, userId: { S: 'id-bob' }, displayName: { S: 'BOB' }, sessionVersion: { N: '0' }, version: { N: '3' } },
      { userName: { S: 'ghost' }, _deleted: { BOOL: true }, version: { N: '1' } },
    ]);
    const status = await replicationStatus([replicaFeed(replicas.find((r) => r.name === 'users-replica-for-rule')!, (logical) => dynamo.tableNames[logical]!)], new StateRepository(db, dynamo.tableNames['replication-state']!));
    expect(status.replicas[0]).toMatchObject({ name: feed.replica, items: 2, tombstones: 1 });
  });

  it('progress counts the real total on a table whose DescribeTable ItemCount is 0, through every phase up to done = total', async () => {
    // Prepare: 450 more users straight into the source (more than one scan page per segment)
    const names = Array.from({ length: 450 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 25) {
      await db.send(new BatchWriteItemCommand({ RequestItems: { [feed.source]: names.slice(i, i + 25).map((n) => ({ PutRequest: { Item: user(n) } })) } }));
    }
    const described = await db.send(new DescribeTableCommand({ TableName: feed.source }));
    const sourceItems = 450 + 2; // ada and bob from the test above
    const replicaRows = 3; // ada, bob, the ghost's tombstone
    // Act
    const seen: BackfillProgress[] = [];
    const result = await backfill(db, feed, (p) => seen.push(p));
    // Assess
    expect(described.Table?.ItemCount).toBe(0);
    const phases = [...new Set(seen.map((p) => p.phase))];
    expect(phases).toEqual(['count', 'read-replica', 'copy', 'repair', 'sweep', 'done']);
    expect(seen.find((p) => p.phase === 'read-replica')).toMatchObject({ total: sourceItems + replicaRows, sourceItems });
    expect(seen.every((p) => p.done <= p.total)).toBe(true);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
    // Every item read counts: both tables once, then the written keys again in source and replica (repair).
    const reads = sourceItems + replicaRows + 2 * 450;
    expect(result).toMatchObject({ phase: 'done', done: reads, total: reads, sourceItems, written: 450, skipped: 2 });
    expect(await compare(db, feed)).toEqual([]);
  });

  it('an item deleted during the copy stays deleted when its batch write replaced the tombstone and an older change arrives after the backfill', async () => {
    // Prepare: "late" at v1 in the source; the replica lacks it
    const store = new DynamoDbReplicaStore(db);
    const key = { userName: { S: 'late' } };
    await put(feed.source, user('late', 1));
    // Right before the copy's batch write carrying it goes out, the item changes to v2 and is deleted,
    // and the replicator applies the delete first (records may arrive out of order): tombstone v2
    const racing = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    let raced = false;
    racing.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, Array<{ PutRequest?: { Item: Record<string, any> } }>> };
      if (!raced && context.commandName === 'BatchWriteItemCommand' && input.RequestItems?.[feed.replica]?.some((r) => r.PutRequest?.Item.userName?.S === 'late')) {
        raced = true;
        await db.send(new DeleteItemCommand({ TableName: feed.source, Key: key }));
        await store.putIfNewer(feed.replica, tombstone(key, 2, Date.now()), 2);
      }
      return next(args);
    }, { step: 'initialize' });
    // Act: the backfill, then the change to v2 arriving late
    await backfill(racing, feed);
    racing.destroy();
    await store.putIfNewer(feed.replica, project(user('late', 2), key, feed.attributes), 2);
    // Assess
    expect(raced).toBe(true);
    const row = (await db.send(new GetItemCommand({ TableName: feed.replica, Key: key, ConsistentRead: true }))).Item;
    expect(row?._deleted?.BOOL).toBe(true);
    expect((await compare(db, feed)).filter((d) => d.key.userName?.S === 'late')).toEqual([]);
  });
});
