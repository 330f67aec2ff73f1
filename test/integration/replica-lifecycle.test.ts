import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bundle';
import { scanAll } from '../../scripts/replicas/sync';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { ApiClient } from './replication-api-client';

/** Runs the CLI against the stack; never rejects: answers the exit code and both streams. */
function replicas(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/replicas.ts'), ...args, '--data-dir', stackDir], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const ADD = ['add', 'todos-for-static', '--source', 'rules', '--reader', 'static', '--env-var', 'TODOS_TABLE', '--attributes', 'name,status'];
let stack: LocalStack;
/** Where the in-memory stack keeps its stack file (the CLI's `--data-dir`). */
let stackDir: string;
let db: DynamoDBClient;
let api: ApiClient;
/** What the static function's stand-in reads from the replica it was given (none: `table` null). */
const staticReads = async () => (await (await fetch(`${stack.url}/replica-probe`, { signal: AbortSignal.timeout(15_000) })).json()) as { table: string | null; names: string[] };

beforeAll(async () => {
  stack = await startLocalStack({ load: true, functions: { static: { bundle: path.join(ROOT, 'test/integration/fixtures/replica-reader-function.mjs') } } });
  stackDir = path.dirname(stack.logsDir);
  db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  api = new ApiClient(stack.url);
  await api.signUp('lifecycle');
}, 60_000);
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

describe('a replica added and removed on a running local stack', () => {
  it('add, under concurrent creates, renames and deletes: backfilled, verify clean, nothing resurrected, and the reader reads it after recycling', async () => {
    // Prepare: 150 todos, and a warm reader instance that started without the replica
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push((await api.request('POST', '/api/todos', { title: `todo ${i}` })).json.id);
    expect(await staticReads()).toEqual({ table: null, names: [] });
    // Act: add (which backfills) while the API creates, renames and deletes
    const deleted: string[] = [];
    const churn = (async () => {
      for (let i = 0; i < 40; i++) {
        await api.request('PATCH', `/api/todos/${ids[100 + i]}`, { title: `renamed ${i}` });
        await api.request('DELETE', `/api/todos/${ids[i]}`);
        deleted.push(ids[i]!);
        ids.push((await api.request('POST', '/api/todos', { title: `new ${i}` })).json.id);
      }
    })();
    const added = await replicas(...ADD, '--json');
    await churn;
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    // Assess
    expect(added.code, added.stderr).toBe(0);
    const summary = JSON.parse(added.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ replica: 'todos-for-static', summary: true, countsCorrected: true });
    // A real count (DescribeTable says 0 here), taken while the churn runs: a scan is no snapshot, so
    // each of the 40 deletes may be seen and its replacement not yet.
    expect(summary.sourceItems).toBeGreaterThanOrEqual(150 - 40);
    const verified = await replicas('verify', 'todos-for-static');
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain('todos-for-static: no differences');
    const rows = new Map<string, Record<string, any>>();
    for await (const page of scanAll(db, 'todos-for-static')) for (const row of page) rows.set(row.key!.S!, row);
    expect(deleted.filter((id) => rows.get(id) && rows.get(id)!._deleted?.BOOL !== true)).toEqual([]);
    const live = (await api.request('GET', '/api/todos')).json as Array<{ title: string }>;
    expect(await staticReads()).toEqual({ table: 'todos-for-static', names: live.map((t) => t.title).sort() });
    // The recycled replicator reports it (its row counts are exact on a quiet replica only: see docs/replication.md).
    const status = (await api.request('GET', '/api/replication')).json.replicas as Array<{ name: string; source: string; backfill?: { phase: string } }>;
    expect(status.find((r) => r.name === 'todos-for-static')).toMatchObject({ source: 'rules', backfill: { phase: 'done' } });
  }, 180_000);

  it('a change after the add reaches the new replica through the replicator', async () => {
    // Act
    const { json } = await api.request('POST', '/api/todos', { title: 'after the add' });
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    // Assess
    expect((await staticReads()).names).toContain('after the add');
    expect(json.id).toBeTruthy();
  }, 60_000);

  it('remove: the reader loses the table, the replicator stops feeding it, the table is gone', async () => {
    // Act
    const removed = await replicas('remove', 'todos-for-static');
    await api.request('POST', '/api/todos', { title: 'after the removal' });
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    // Assess
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/todos-for-static: removed; the static function no longer gets TODOS_TABLE/);
    expect(await staticReads()).toEqual({ table: null, names: [] });
    await expect(db.send(new DescribeTableCommand({ TableName: 'todos-for-static' }))).rejects.toThrow(/not found|ResourceNotFound/i);
    const status = (await api.request('GET', '/api/replication')).json.replicas as Array<{ name: string }>;
    expect(status.map((r) => r.name).sort()).toEqual(['rules-replica-for-user', 'users-replica-for-rule']);
    expect(stack.replication.failures()).toEqual([]);
    const verify = await replicas('verify', 'todos-for-static');
    expect(verify.code).toBe(2);
    expect(verify.stderr.trim()).toMatch(/^replicas: unknown replica "todos-for-static"; known: rules-replica-for-user, users-replica-for-rule \(to add one: npm run replicas -- add todos-for-static …\)$/);
  }, 60_000);

  it.each([
    { args: ['add', 'users-replica-for-rule'], line: /^replicas: replica "users-replica-for-rule" already exists \(a copy of users read by rule\); to rebuild it, backfill it$/ },
    { args: ['remove', 'no-such-replica'], line: /^replicas: unknown replica "no-such-replica"; the stack has rules-replica-for-user, users-replica-for-rule$/ },
    { args: ['remove', 'rules-replica-for-user'], line: /^replicas: replica "rules-replica-for-user" is read by the user service's code, which fails its cold start without RULES_REPLICA_TABLE; to rebuild it, backfill it$/ },
    { args: ['add', 'avatars'], line: /^replicas: replica "avatars" is not in topology\/index.ts: add it with --source <table> --reader <function> --env-var <NAME> --attributes <a,b,...>$/ },
    { args: ['add', 'hashes', '--source', 'users', '--reader', 'static', '--env-var', 'HASHES_TABLE', '--attributes', 'passwordHash'], line: /^replicas: replica "hashes": attributes "passwordHash" is not replicable from users/ },
    { args: ['add', 'shadow', '--source', 'rules', '--reader', 'rule', '--env-var', 'RULES_TABLE', '--attributes', 'name'], line: /^replicas: replica "shadow": envVar RULES_TABLE is already in the rule function's environment$/ },
    { args: ['add', 'x', '--source', 'rules', '--reader', 'static', '--env-var', 'X_TABLE', '--attributes', 'name:S'], line: /^replicas: add --attributes takes attribute names/ },
    { args: ['add', 'x', '--stack', 'dev'], line: /^replicas: add changes a running local stack; on AWS, change the stack config noops-todo:replicas and run pulumi up/ },
  ])('misuse: replicas $args → one line, exit 2, nothing changed', async ({ args, line }) => {
    // Act
    const out = await replicas(...args);
    // Assess
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr.trim()).toMatch(line);
    expect(stack.replicas.list().map((r) => r.name)).toEqual(['rules-replica-for-user', 'users-replica-for-rule']);
  }, 60_000);
});
