import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FunctionPool, InvocationError, type InvocationEvent, type LogLineEvent } from '../../local/lambda';
import { SIGNING_KEY_SECRET_ID } from '../../local/index';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { startSecretsManager } from '../helpers/secrets-manager';

const probe = path.join(import.meta.dirname, 'fixtures/probe-function.mjs');
const broken = path.join(import.meta.dirname, 'fixtures/broken-function.mjs');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function probeCall(stack: LocalStack, query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.url}/api/todos?${query}`);
  return { status: res.status, body: await res.json() };
}

describe('function pool behind the gateway', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      maxWorkersPerFunction: 3,
      functions: { rule: { bundle: probe, timeoutSeconds: 1 }, static: { bundle: broken } },
    });
  });
  afterAll(() => stack?.stop());

  it('serves concurrent requests with several warm instances, up to the limit', async () => {
    // Act
    const answers = await Promise.all(Array.from({ length: 7 }, () => probeCall(stack, 'sleep=300')));
    // Assess
    const pids = new Set(answers.map((a) => a.body.pid));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.size).toBeLessThanOrEqual(3);
    expect(stack.pool.workers('rule').total).toBeLessThanOrEqual(3);
  });

  it('answers 502 when an instance crashes mid-invocation, and replaces it', async () => {
    const crashed = await probeCall(stack, 'crash=1');
    expect(crashed.status).toBe(502);
    expect(crashed.body.error.code).toBe('FunctionCrashed');
    expect(crashed.body.error.message).toContain('code 3');
    const after = await Promise.all(Array.from({ length: 3 }, () => probeCall(stack, 'sleep=50')));
    expect(after.map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('answers 504 after the function timeout, and does not reuse the instance', async () => {
    // Prepare
    const events: InvocationEvent[] = [];
    const onInvocation = (e: InvocationEvent) => events.push(e);
    stack.pool.on('invocation', onInvocation);
    // Act
    const timedOut = await probeCall(stack, 'sleep=5000');
    const after = await Promise.all(Array.from({ length: 3 }, () => probeCall(stack, 'sleep=50')));
    stack.pool.off('invocation', onInvocation);
    // Assess
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.error).toMatchObject({ code: 'FunctionTimeout', message: expect.stringContaining('1.00 seconds') });
    const timeoutEnd = events.find((e) => e.phase === 'end' && e.error?.code === 'FunctionTimeout');
    expect(timeoutEnd?.error?.errorType).toBe('Sandbox.Timedout');
    expect(after.map((a) => a.status)).toEqual([200, 200, 200]);
    const laterWorkers = events.filter((e) => e.phase === 'start' && e.awsRequestId !== timeoutEnd?.awsRequestId).map((e) => e.workerId);
    expect(laterWorkers).not.toContain(timeoutEnd?.workerId);
  });

  it('answers 502 FunctionInitError when a bundle fails to load', async () => {
    const res = await fetch(`${stack.url}/index.html`);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(502);
    expect(body.error.code).toBe('FunctionInitError');
    expect(body.error.message).toContain('BROKEN_SETTING');
  });

  it('emits every log line of an invocation between its start and end events', async () => {
    // Prepare
    const seen: Array<{ kind: 'log'; e: LogLineEvent } | { kind: 'invocation'; e: InvocationEvent }> = [];
    const onLog = (e: LogLineEvent) => seen.push({ kind: 'log', e });
    const onInvocation = (e: InvocationEvent) => seen.push({ kind: 'invocation', e });
    stack.pool.on('log', onLog);
    stack.pool.on('invocation', onInvocation);
    // Act
    const { body } = await probeCall(stack, 'log=marker-42');
    // The answer does not wait for the log pipes; the end event follows the lines.
    await vi.waitFor(() => expect(seen.some((s) => s.kind === 'invocation' && s.e.phase === 'end' && s.e.awsRequestId === body.context.awsRequestId)).toBe(true));
    stack.pool.off('log', onLog);
    stack.pool.off('invocation', onInvocation);
    // Assess
    const mine = seen.filter((s) => (s.kind === 'invocation' ? s.e.awsRequestId : s.e.awsRequestId) === body.context.awsRequestId);
    expect(mine.map((s) => (s.kind === 'invocation' ? s.e.phase : 'log'))).toEqual(['start', 'log', 'end']);
    const [start, log, end] = mine.map((s) => s.e) as [InvocationEvent, LogLineEvent, InvocationEvent];
    expect(log.line).toMatch(new RegExp(`^\\S+Z\\t${body.context.awsRequestId}\\tINFO\\tmarker-42$`));
    expect(log).toMatchObject({ function: 'rule', workerId: start.workerId, logStream: body.context.logStreamName });
    expect(end.durationMs).toBeGreaterThan(0);
    expect(end.billedDurationMs).toBeGreaterThanOrEqual(Math.floor(end.durationMs ?? 0));
    expect(end.maxMemoryUsedMb).toBeGreaterThan(10);
    expect(end.error).toBeUndefined();
  });

  it('keeps stdout and stderr lines of back-to-back invocations inside their own START and END', async () => {
    // Prepare: one instance, so each invocation starts while the previous one's marks may still be in the pipes.
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: { PATH: process.env.PATH ?? '' } }], maxWorkersPerFunction: 1 });
    const order: string[] = [];
    pool.on('log', (e) => order.push(`${e.awsRequestId ?? '-'} ${e.line.split('\t').at(-1)}`));
    pool.on('invocation', (e) => order.push(`${e.awsRequestId} ${e.phase.toUpperCase()}`));
    const events = Array.from({ length: 40 }, (_, i) => ({ queryStringParameters: i % 3 === 0 ? { err: `e${i}` } : i % 3 === 1 ? { log: `o${i}`, err: `e${i}` } : { write: `w${i}` } }));
    try {
      // Act
      const ids = await Promise.all(events.map((event) => pool.invoke('p', event).then((r) => (JSON.parse((r as { body: string }).body) as { context: { awsRequestId: string } }).context.awsRequestId)));
      await pool.stop();
      // Assess
      const expected = ids.flatMap((id, i) => [`${id} START`, ...(i % 3 === 0 ? [`${id} e${i}`] : i % 3 === 1 ? [`${id} o${i}`, `${id} e${i}`] : [`${id} w${i}`]), `${id} END`]);
      const lines = order.filter((l) => !l.endsWith('probe initialised'));
      // stdout and stderr of one invocation are separate pipes: only their order relative to each other is free.
      const sortWithin = (list: string[]) => list.join('\n').split(/(?<=END)\n/).map((group) => group.split('\n').sort().join('\n'));
      expect(sortWithin(lines)).toEqual(sortWithin(expected));
      expect(lines.filter((l) => l.endsWith('START')).map((l) => l.split(' ')[0])).toEqual(ids);
    } finally {
      await pool.stop();
    }
  });

  it('puts the lines of a timed-out invocation before its END', async () => {
    // Prepare
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 300, memoryMb: 128, env: { PATH: process.env.PATH ?? '' } }] });
    const order: string[] = [];
    pool.on('log', (e) => order.push(`${e.awsRequestId ?? '-'} ${e.line.split('\t').at(-1)}`));
    pool.on('invocation', (e) => order.push(`${e.awsRequestId} ${e.phase.toUpperCase()}`));
    try {
      // Act
      const outcome = await pool.invoke('p', { queryStringParameters: { log: 'before-hang', err: 'still-before', sleep: '5000' } }).catch((err: InvocationError) => err.code);
      await vi.waitFor(() => expect(order.some((l) => l.endsWith('END'))).toBe(true));
      // Assess
      expect(outcome).toBe('FunctionTimeout');
      const lines = order.filter((l) => !l.endsWith('probe initialised'));
      const id = lines[0]?.split(' ')[0];
      expect(lines.slice(0, 1)).toEqual([`${id} START`]);
      expect(lines.slice(1, 3).sort()).toEqual([`${id} before-hang`, `${id} still-before`]);
      expect(lines.slice(3)).toEqual([`${id} END`]);
    } finally {
      await pool.stop();
    }
  });

  it('runs every invocation after a reconfiguration in new instances with the new environment, letting a busy one finish first', async () => {
    // Prepare: two warm instances, one of them busy.
    const env = (value: string) => ({ PATH: process.env.PATH ?? '', PROBE_CONFIG: value });
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: env('old') }], maxWorkersPerFunction: 2 });
    type Probe = { env: { PROBE_CONFIG: string }; pid: number };
    const call = async (query: Record<string, string> = {}) => JSON.parse(((await pool.invoke('p', { queryStringParameters: query })) as { body: string }).body) as Probe;
    try {
      await pool.prewarm('p', 2);
      const oldPids = pool.instances('p').map((i) => i.pid);
      const busy = call({ sleep: '400' });
      await vi.waitFor(() => expect(pool.workers('p').busy).toBe(1));

      // Act
      pool.reconfigure('p', env('new'));
      const after = await Promise.all([call(), call(), call()]);
      const finished = await busy;

      // Assess
      expect(finished.env.PROBE_CONFIG).toBe('old');
      expect(after.map((a) => a.env.PROBE_CONFIG)).toEqual(['new', 'new', 'new']);
      expect(after.filter((a) => oldPids.includes(a.pid))).toEqual([]);
      await vi.waitFor(() => expect(pool.instances('p').filter((i) => oldPids.includes(i.pid))).toEqual([]));
    } finally {
      await pool.stop();
    }
  });

  it('reports the init duration on an instance\'s first invocation only', async () => {
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: { PATH: process.env.PATH ?? '' } }] });
    const ends: InvocationEvent[] = [];
    pool.on('invocation', (e) => e.phase === 'end' && ends.push(e));
    try {
      await pool.invoke('p', {});
      await pool.invoke('p', {});
    } finally {
      await pool.stop();
    }
    expect(ends[0]?.initDurationMs).toBeGreaterThan(0);
    expect(ends[1]?.initDurationMs).toBeUndefined();
  });

  it('prewarms instances up to the limit, so the next invocations start no new ones', async () => {
    // Prepare
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: { PATH: process.env.PATH ?? '' } }], maxWorkersPerFunction: 2 });
    try {
      // Act
      await pool.prewarm('p', 5);
      const pids = pool.instances('p').map((i) => i.pid);
      await Promise.all([pool.invoke('p', {}), pool.invoke('p', {})]);
      // Assess
      expect(pids).toHaveLength(2);
      expect(pool.instances('p').map((i) => i.pid).sort()).toEqual([...pids].sort());
    } finally {
      await pool.stop();
    }
  });

  it('throttles beyond the bounded queue', async () => {
    const pool = new FunctionPool({ functions: [{ name: 'p', bundle: probe, timeoutMs: 5000, memoryMb: 128, env: { PATH: process.env.PATH ?? '' } }], maxWorkersPerFunction: 1, maxQueuedPerFunction: 1 });
    const event = { queryStringParameters: { sleep: '200' } };
    try {
      const results = await Promise.allSettled([pool.invoke('p', event), pool.invoke('p', event), pool.invoke('p', event)]);
      // The first waits for the instance it started, filling the one queue slot; the others are refused.
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.every((r) => r.reason instanceof InvocationError && r.reason.code === 'Throttled')).toBe(true);
    } finally {
      await pool.stop();
    }
  });

  it('creates every table and replica, and serves the signing key over the Secrets Manager API', async () => {
    const dynamo = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials });
    const { TableNames } = await dynamo.send(new ListTablesCommand({}));
    dynamo.destroy();
    expect(TableNames?.sort()).toEqual(['login-attempts', 'replication-state', 'rules', 'rules-replica-for-user', 'users', 'users-replica-for-rule']);
    const secrets = new SecretsManagerClient({ endpoint: stack.secretsManagerEndpoint, region: 'us-east-1', credentials });
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: SIGNING_KEY_SECRET_ID }));
    expect(JSON.parse(secret.SecretString ?? '')).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) });
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).Name).toBe(SIGNING_KEY_SECRET_ID);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    secrets.destroy();
  });

  it('emulates PutSecretValue\'s staging labels: a new version is AWSCURRENT, the one before AWSPREVIOUS', async () => {
    // Prepare
    const local = await startSecretsManager({ secrets: { key: 'one' } });
    const secrets = new SecretsManagerClient({ endpoint: local.endpoint, region: 'us-east-1', credentials });
    try {
      const first = await secrets.send(new GetSecretValueCommand({ SecretId: 'key' }));

      // Act
      local.put('key', 'two');
      const current = await secrets.send(new GetSecretValueCommand({ SecretId: 'key' }));
      const previous = await secrets.send(new GetSecretValueCommand({ SecretId: 'key', VersionStage: 'AWSPREVIOUS' }));
      const byId = await secrets.send(new GetSecretValueCommand({ SecretId: 'key', VersionId: first.VersionId }));

      // Assess
      expect([current.SecretString, current.VersionStages]).toEqual(['two', ['AWSCURRENT']]);
      expect([previous.SecretString, previous.VersionStages, previous.VersionId]).toEqual(['one', ['AWSPREVIOUS'], first.VersionId]);
      expect(byId.SecretString).toBe('one');
      expect(current.VersionId).not.toBe(first.VersionId);
    } finally {
      secrets.destroy();
      await local.stop();
    }
  });
});
