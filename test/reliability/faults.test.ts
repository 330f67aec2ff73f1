import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../local/index';
import { kinesisClient } from '../../local/kinesis';
import { dynamoClient, eventually, PASSWORD, signedIn, watchPool } from '../helpers/probes';
import { startLocalStack } from '../helpers/local-stack';
import { formatFigures, SoakRun } from '../helpers/soak-workload';

/**
 * Faults injected into a running stack: a function instance killed mid-request, DynamoDB throttling a
 * share of calls, and change records that can never be applied put straight onto the stream.
 */
/** Read by the streaming-destination proxy on every request, so a test can turn throttling on and off. */
const dynamoFaults = { throttleRate: 0 };
let stack: Stack;
let db: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ load: true, 
    // Slow enough hashing that a sign-in is still running when its instance is killed.
    env: { SCRYPT_N: '32768' },
    maxWorkersPerFunction: 2,
    dynamoFaults,
  });
  db = dynamoClient(stack);
}, 60_000);

afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

const errorContract = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('a function instance dies mid-request', () => {
  it('answers the requests it held 502 in the error contract, replaces the instance, and serves the next requests', async () => {
    // Prepare
    await signedIn(stack.url, 'crash-test');
    const logins = () =>
      fetch(`${stack.url}/api/login/account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userName: 'crash-test', password: PASSWORD }) }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const before = new Set(stack.pool.instances('user').map((i) => i.pid));
    // Act: six sign-ins on two instances; kill both instances while they hash.
    const inFlight = Array.from({ length: 6 }, logins);
    expect(await eventually(() => stack.pool.instances('user').some((i) => i.busy), 10_000, 2)).toBe(true);
    const victims = stack.pool.instances('user').filter((i) => i.busy);
    for (const victim of victims) process.kill(victim.pid!, 'SIGKILL');
    const answers = await Promise.all(inFlight);
    const replaced = await eventually(() => stack.pool.instances('user').some((i) => !before.has(i.pid) && !victims.some((v) => v.pid === i.pid)), 10_000);
    const next = await Promise.all([logins(), logins(), logins()]);
    // Assess
    const crashed = answers.filter((a) => a.status === 502);
    expect(crashed.length).toBeGreaterThanOrEqual(1);
    for (const answer of crashed) expect(answer.body).toEqual(errorContract('FunctionCrashed'));
    for (const answer of answers.filter((a) => a.status !== 502)) expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(replaced).toBe(true);
    expect(next.map((a) => [a.status, a.body.status])).toEqual([[200, 'ok'], [200, 'ok'], [200, 'ok']]);
    for (const pid of victims.map((v) => v.pid)) expect(stack.pool.instances('user').map((i) => i.pid)).not.toContain(pid);
  }, 60_000);

  it('keeps the other functions untouched while one crashes', async () => {
    const user = await signedIn(stack.url, 'bystander');
    const rule = stack.pool.instances('rule');
    const created = await user.send('POST', '/api/todos', { json: { title: 'unaffected' } });
    for (const instance of stack.pool.instances('user')) process.kill(instance.pid!, 'SIGKILL');
    expect(created.status).toBe(201);
    expect((await user.get(`/api/todos/${created.json.id}`)).json.title).toBe('unaffected');
    expect(stack.pool.instances('rule').map((i) => i.pid)).toEqual(expect.arrayContaining(rule.map((i) => i.pid)));
    expect(await eventually(async () => (await user.get('/api/currentUser')).status === 200, 15_000)).toBe(true);
  }, 60_000);
});

describe('DynamoDB throttles a share of calls', () => {
  it('retries with backoff absorb 10% throttling: no 5xx, no lost write, replicas converge', async () => {
    // Prepare
    const soak = new SoakRun(stack.url);
    await soak.signUp(8, 'throttled');
    const pool = watchPool(stack);
    const throttledBefore = stack.changeCapture.stats().throttled;
    // Act
    dynamoFaults.throttleRate = 0.1;
    // Bounded by throttled calls, not time: on a slow machine the run lasts longer rather than proving less.
    const enough = new AbortController();
    const meter = setInterval(() => stack.changeCapture.stats().throttled - throttledBefore >= 40 && enough.abort(), 100);
    try {
      await soak.run({ durationMs: 20_000, signal: enough.signal });
    } finally {
      clearInterval(meter);
      dynamoFaults.throttleRate = 0;
      pool.stop();
    }
    await soak.checkWrites(db, stack.tableName('rules'));
    await soak.checkReplicas(stack, db);
    const figures = soak.summary();
    const throttled = stack.changeCapture.stats().throttled - throttledBefore;
    // Assess
    console.log(`under 10% throttling (${throttled} calls throttled)\n${formatFigures(figures)}`);
    expect(throttled).toBeGreaterThanOrEqual(20);
    expect(figures.samples).toEqual([]);
    expect(figures.errors).toBe(0);
    expect(figures.acknowledgedWrites).toBeGreaterThan(0);
    expect(figures.missingWrites).toBe(0);
    expect(figures.replicaDifferences).toBe(0);
    expect(pool.describe()).toBe('');
  }, 120_000);
});

describe('malformed change records on the stream', () => {
  const image = (extra: Record<string, unknown>) => ({ userName: { S: 'poisoned' }, userId: { S: 'p' }, ...extra });
  const record = (over: Record<string, unknown>, dynamodb: Record<string, unknown> = {}) =>
    JSON.stringify({
      awsRegion: 'us-east-1', eventID: 'poison', eventName: 'INSERT', recordFormat: 'application/json', tableName: 'users', userIdentity: null, eventSource: 'aws:dynamodb',
      dynamodb: { ApproximateCreationDateTime: Date.now() * 1000, ApproximateCreationDateTimePrecision: 'MICROSECOND', Keys: { userName: { S: 'poisoned' } }, NewImage: image({ version: { N: '1' } }), SizeBytes: 10, ...dynamodb },
      ...over,
    });
  const POISON: Array<[string, string | Buffer]> = [
    ['bad JSON', '{"eventName": "INSERT", "dynamodb": {'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ['a JSON array', '[1, 2, 3]'],
    ['an unknown table', record({ tableName: 'no-such-table' })],
    ['an unknown event name', record({ eventName: 'UPSERT' })],
    ['missing Keys', record({}, { Keys: undefined })],
    ['empty Keys', record({}, { Keys: {} })],
    ['Keys that disagree with the image', record({}, { Keys: { userName: { S: 'someone-else' } } })],
    ['a missing NewImage', record({}, { NewImage: undefined })],
    ['a missing version', record({}, { NewImage: image({}) })],
    ['a version that is not a number', record({}, { NewImage: image({ version: { N: 'abc' } }) })],
    ['a version of zero', record({}, { NewImage: image({ version: { N: '0' } }) })],
    ['an unsafe version', record({}, { NewImage: image({ version: { N: '1e300' } }) })],
    ['a REMOVE without OldImage', record({ eventName: 'REMOVE' }, { NewImage: undefined })],
    ['an image posing as a tombstone', record({}, { NewImage: image({ version: { N: '5' }, _deleted: { BOOL: true } }) })],
    ['no creation time', record({}, { ApproximateCreationDateTime: 'yesterday' })],
  ];

  it('sends each to the on-failure destination, keeps every shard moving and never writes a replica', async () => {
    // Prepare
    const user = await signedIn(stack.url, 'after-poison');
    const userId = (await user.get('/api/currentUser')).json.userid as string;
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    const before = stack.replication.status();
    const kinesis = kinesisClient(stack.kinesisEndpoint);
    const sequenceNumbers: string[] = [];
    // Act: poison spread over the shards, and real changes behind it on the same shards.
    try {
      for (const [i, [, data]] of POISON.entries()) {
        const out = await kinesis.send(new PutRecordCommand({ StreamName: 'changes', PartitionKey: `poison-${i}`, Data: typeof data === 'string' ? Buffer.from(data) : data }));
        sequenceNumbers.push(out.SequenceNumber!);
      }
    } finally {
      kinesis.destroy();
    }
    const created = await user.send('POST', '/api/todos', { json: { title: 'behind the poison' } });
    const renamed = await user.send('PATCH', `/api/todos/${created.json.id}`, { json: { title: 'still behind the poison' } });
    const replicaItem = async () =>
      (await db.send(new GetItemCommand({ TableName: stack.tableName('rules-replica-for-user'), Key: { userId: { S: userId }, key: { S: created.json.id } }, ConsistentRead: true }))).Item;
    const caughtUp = await eventually(async () => (await replicaItem())?.version?.N === '2', 30_000);
    const idle = await stack.replication.waitIdle(30_000);
    const after = stack.replication.status();
    const poisoned = (await db.send(new GetItemCommand({ TableName: stack.tableName('users-replica-for-rule'), Key: { userName: { S: 'poisoned' } }, ConsistentRead: true }))).Item;
    const soak = new SoakRun(stack.url);
    const differences = await soak.checkReplicas(stack, db);
    // Assess
    expect(renamed.status).toBe(200);
    expect(caughtUp).toBe(true);
    expect(idle).toBe(true);
    expect(after.onFailureRecords - before.onFailureRecords).toBe(POISON.length);
    const discarded = stack.replication.failures().slice(-(after.onFailureBatches - before.onFailureBatches));
    expect(discarded.map((f) => f.KinesisBatchInfo.startSequenceNumber).sort()).toEqual([...sequenceNumbers].sort());
    for (const failure of discarded) {
      expect(failure).toMatchObject({ requestContext: { condition: 'RetryAttemptsExhausted' }, KinesisBatchInfo: { batchSize: 1, streamArn: expect.stringContaining('changes') } });
    }
    expect(poisoned).toBeUndefined();
    expect(differences).toEqual([]);
    expect(after.shards.every((s) => s.buffered === 0)).toBe(true);
  }, 120_000);
});
