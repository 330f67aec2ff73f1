import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamo } from '../../local/dynamodb';
import { changeRecord, partitionKey } from '../../local/dynamodb/streaming-record';
import { kinesisClient, startKinesis } from '../../local/kinesis';
import { startStack } from '../../local/index';
import { ROOT } from '../../bundle';
import { ApiClient } from './replication-api-client';

const env = { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR', LOGIN_MAX_FAILURES: '1000' };
let dataDir: string;

/** Runs the CLI; never rejects: answers the exit code and both streams. */
function replicas(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/replicas.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const user = (name: string) => ({
  userName: { S: name }, userId: { S: `id-${name}` }, displayName: { S: name }, sessionVersion: { N: '0' },
  passwordHash: { S: 'scrypt$1024$8$1$salt$hash' }, createdAt: { S: '2026-01-01T00:00:00.000Z' }, updatedAt: { S: '2026-01-01T00:00:00.000Z' }, version: { N: '1' },
});

beforeAll(async () => {
  // A persisted stack with one user, drained, then stopped.
  dataDir = await mkdtemp(path.join(tmpdir(), 'replicas-cli-'));
  const stack = await startStack({ dataDir, port: 0, quiet: true, env });
  try {
    await new ApiClient(stack.url).signUp('present');
    expect(await stack.replication.waitIdle(10_000)).toBe(true);
  } finally {
    await stack.stop();
  }
}, 60_000);
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm run replicas: misuse answers one clear line and a non-zero exit', () => {
  it.each([
    { args: [], code: 2, line: /no command: use backfill, verify, add or remove/ },
    { args: ['frobnicate'], code: 2, line: /unknown command "frobnicate"/ },
    { args: ['add', 'rules-replica-for-user', '--data-dir', '<data>'], code: 3, line: /^replicas: no local stack is running in .*: start it with npm start, then add the replica$/ },
    { args: ['remove', 'rules-replica-for-user', '--data-dir', '<empty>'], code: 3, line: /^replicas: no local stack is running in .*: start it with npm start, then remove the replica$/ },
    { args: ['add'], code: 2, line: /^replicas: add needs a replica name$/ },
    { args: ['verify', '--reader', 'rule'], code: 2, line: /^replicas: --reader is for add only$/ },
    { args: ['verify', '--bogus'], code: 2, line: /Unknown option '--bogus'/ },
    { args: ['backfill'], code: 2, line: /backfill needs a replica: one of rules-replica-for-user, users-replica-for-rule/ },
    { args: ['verify', '--settle-ms', 'soon'], code: 2, line: /--settle-ms "soon" is not a number/ },
    { args: ['backfill', 'no-such-replica', '--data-dir', '<data>'], code: 2, line: /unknown replica "no-such-replica"; known: rules-replica-for-user, users-replica-for-rule/ },
    { args: ['verify', '--data-dir', '<empty>'], code: 3, line: /no local stack is running .* start it with npm start/ },
    { args: ['backfill', 'users-replica-for-rule', '--stack', 'dev'], code: 3, line: /--stack needs the Pulumi CLI/ },
  ])('replicas $args → exit $code', async ({ args, code, line }) => {
    // Act
    const out = await replicas(...args.map((a) => (a === '<data>' ? dataDir : a === '<empty>' ? path.join(dataDir, 'nothing-here') : a)));
    // Assess
    const lines = out.stderr.split('\n').filter((l) => l && !l.startsWith('local stack not running'));
    expect(out.code, out.stderr).toBe(code);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(out.stderr).not.toMatch(/^\s+at /m);
  });
});

/** Opens the stopped stack's dynalite and kinesalite data (one process at a time), runs `act`, closes both. */
async function offline(act: (db: DynamoDBClient, stream: KinesisClient, streamName: string) => Promise<unknown>): Promise<void> {
  const dynamo = await startDynamo({ path: path.join(dataDir, 'dynamodb') });
  const db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  const kinesis = await startKinesis({ dataDir });
  const stream = kinesisClient(kinesis.endpoint);
  try {
    await act(db, stream, kinesis.streamName);
  } finally {
    stream.destroy();
    db.destroy();
    await kinesis.stop();
    await dynamo.stop();
  }
}

describe('npm run replicas -- verify on a stopped stack', () => {
  it('tells a change still in the stream (exit 4 alone) from a missing item (exit 1), and once the stack drained the stream only the missing one remains', async () => {
    // Prepare: with the stack down, one user written with its change record still in the stream
    await offline(async (db, stream, streamName) => {
      await db.send(new PutItemCommand({ TableName: 'users', Item: user('waiting') }));
      const record = changeRecord({ tableName: 'users', keys: { userName: { S: 'waiting' } }, newImage: user('waiting') }, { region: 'us-east-1', nowMicros: Date.now() * 1000 })!;
      await stream.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: partitionKey('users', record.dynamodb.Keys), Data: Buffer.from(JSON.stringify(record)) }));
    });
    // Act
    const waitingOnly = await replicas('verify', 'users-replica-for-rule', '--data-dir', dataDir, '--settle-ms', '0');
    // …and one written without any change record
    await offline((db) => db.send(new PutItemCommand({ TableName: 'users', Item: user('lost') })));
    const both = await replicas('verify', 'users-replica-for-rule', '--data-dir', dataDir, '--settle-ms', '0', '--json');
    const stack = await startStack({ dataDir, port: 0, quiet: true, env });
    let drained;
    try {
      expect(await stack.replication.waitIdle(10_000)).toBe(true);
      drained = await replicas('verify', 'users-replica-for-rule', '--data-dir', dataDir, '--settle-ms', '0', '--json');
    } finally {
      await stack.stop();
    }
    // Assess
    expect(waitingOnly.code, waitingOnly.stdout + waitingOnly.stderr).toBe(4);
    expect(waitingOnly.stdout).toMatch(/users-replica-for-rule\tundelivered\t\{"userName":"waiting"\}/);
    expect(waitingOnly.stdout).toMatch(/0 difference\(s\); 1 change\(s\) in the stream, not yet applied: start the stack/);
    expect(both.code).toBe(1);
    expect(JSON.parse(both.stdout).differences.map((d: { kind: string; key: { userName: string } }) => [d.kind, d.key.userName]).sort()).toEqual([['missing', 'lost'], ['undelivered', 'waiting']]);
    // The stream delivers "waiting"; "lost" never had a change record, so only a backfill brings it.
    expect(drained!.code).toBe(1);
    expect(JSON.parse(drained!.stdout).differences.map((d: { kind: string; key: { userName: string } }) => [d.kind, d.key.userName])).toEqual([['missing', 'lost']]);
  }, 120_000);
});
