import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Page } from 'playwright-core';
import { StateRepository } from '../../lambdas/replicator/state-repository';
import { backfill, namedReplicaFeed } from '../../scripts/replicas/sync';
import { replicas } from '../../topology/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTodos, apiFetch, E2E_TIMEOUT_MS, eventually, hasChromium, openPage, registerInUi, startE2e, uniqueName, type E2eEnv } from './harness';

const REPLICA = 'rules-replica-for-user';

async function items(page: Page, replica: string): Promise<number> {
  const text = await page.locator(`tr[data-replica="${replica}"] .items`).textContent();
  return Number((text ?? '').replace(/,/g, ''));
}

describe.skipIf(!hasChromium)('browser: replication view', { timeout: E2E_TIMEOUT_MS }, () => {
  let env: E2eEnv;

  beforeAll(async () => {
    env = await startE2e();
  });

  afterAll(async () => {
    await env?.close();
  });

  it('shows every replica and updates live as a change travels to the replica', async () => {
    // Prepare
    const { page, context, problems } = await openPage(env);
    await registerInUi(page, uniqueName('watcher'));
    await page.getByRole('link', { name: 'Replication' }).click();
    await page.locator(`tr[data-replica="${REPLICA}"]`).waitFor();
    expect(await page.locator('tr[data-replica="users-replica-for-rule"]').count()).toBe(1);
    // Settle: this user's registration may still be on its way to users-replica-for-rule.
    await page.waitForTimeout(1500);
    const before = await items(page, REPLICA);

    // Act: a change to the owned rules table, made from this page while the view keeps polling.
    const created = await apiFetch(page, 'POST', '/api/todos', { title: 'watch me travel' });
    expect(created.status).toBe(201);

    // Assess
    await eventually(() => items(page, REPLICA)).toBe(before + 1);
    await eventually(() => page.locator('.replica-total').textContent()).toBe('1');
    expect(await page.locator(`tr[data-replica="${REPLICA}"] .applied`).textContent()).not.toBe('never');
    expect(await page.locator(`tr[data-replica="${REPLICA}"] .lag`).textContent()).toMatch(/ms|s|min/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('polls only while the view is shown', async () => {
    const { page, context } = await openPage(env);
    await registerInUi(page, uniqueName('poller'));
    const polls: number[] = [];
    page.on('request', (r) => r.url().endsWith('/api/replication') && polls.push(Date.now()));
    await page.goto('/#/replication');
    await eventually(() => polls.length).toBeGreaterThanOrEqual(3);
    await page.getByRole('link', { name: 'Todos' }).click();
    await page.locator('.new-todo').waitFor();
    const stopped = polls.length;
    await page.waitForTimeout(2500);
    expect(polls.length - stopped).toBeLessThanOrEqual(1);
    await context.close();
  });

  it('shows a replica backfilling with its progress, then in sync with its source count', async () => {
    // Prepare: todos the stream never carried (written straight into the source), and a backfill under way
    const { page, context, problems } = await openPage(env);
    await registerInUi(page, uniqueName('backfill-watcher'));
    const db = new DynamoDBClient({ endpoint: env.stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    const pair = namedReplicaFeed(replicas.find((r) => r.name === REPLICA)!, (logical) => env.stack.tableName(logical as never), env.stack.tableName('replication-state'));
    for (let i = 0; i < 20; i++) {
      await db.send(new PutItemCommand({ TableName: pair.source, Item: { userId: { S: 'seeded' }, key: { S: `k${i}` }, status: { N: '1' }, version: { N: '1' } } }));
    }
    // What a backfill writes when its copy phase is a third done (the real one below finishes too fast to watch).
    await new StateRepository(db, pair.stateTable!).recordBackfill(pair.replica, pair.source, { phase: 'copy', done: 10, total: 30, sourceItems: 20 });
    await page.getByRole('link', { name: 'Replication' }).click();
    const state = page.locator(`tr[data-replica="${REPLICA}"] .state`);
    // Act + Assess
    await eventually(() => state.textContent()).toBe('backfilling (copy) 33%');
    expect(await page.locator(`tr[data-replica="${REPLICA}"] progress`).getAttribute('value')).toBe('10');
    const done = await backfill(db, pair);
    await eventually(() => state.textContent()).toBe('in sync');
    await eventually(() => page.locator(`tr[data-replica="${REPLICA}"] .source-items`).textContent()).toBe(String(done.sourceItems));
    expect(await page.locator(`tr[data-replica="${REPLICA}"] svg.replica-chart polyline`).count()).toBe(2);
    expect(problems).toEqual([]);
    db.destroy();
    await context.close();
  });

  it('opens the trace of a recent change: a waterfall from the rule to the replica write, lag as its own segment', async () => {
    // Prepare
    const { page, context, problems } = await openPage(env);
    await registerInUi(page, uniqueName('tracer'));
    await addTodos(page, 'trace me');
    // Act
    await page.getByRole('link', { name: 'Replication' }).click();
    const change = page.locator('.recent-changes tbody tr').filter({ hasText: 'POST /api/todos' }).first();
    await change.getByRole('button', { name: 'Trace' }).click();
    // Assess
    const rows = page.locator('.trace-waterfall tr.span-row');
    const names = async () => (await rows.evaluateAll((trs) => trs.map((tr) => `${tr.querySelector('.service')?.textContent}|${tr.querySelector('.operation')?.textContent}`)));
    // The replicator's spans reach the store after its invocation ends: wait for the replica write.
    await eventually(async () => (await names()).includes('replicator|DynamoDB.PutItem')).toBe(true);
    const seen = await names();
    for (const expected of [/^gateway\|POST \/api\/todos$/, /^rule\|POST \/api\/todos$/, /^rule\|DynamoDB\.PutItem$/, /^dynamodb-streaming-destination\|publish /, /^—\|replication lag$/, /^replicator\|process /, /^replicator\|DynamoDB\.PutItem$/]) {
      expect(seen.some((n) => expected.test(n)), `${expected} in ${seen.join(', ')}`).toBe(true);
    }
    expect(await change.locator('.operation').textContent()).toBe('INSERT');
    const lag = rows.filter({ hasText: 'replication lag' }).first();
    expect(await lag.getAttribute('data-kind')).toBe('lag');
    expect(await lag.locator('.duration').textContent()).toMatch(/^\d+\.\d (ms|s)$/);
    // Bars sit on one time axis: the replica write starts after the rule's PutItem does.
    const x = (op: string, service: string) => rows.filter({ has: page.locator('.service', { hasText: service }) }).filter({ has: page.locator('.operation', { hasText: op }) }).first().locator('rect').getAttribute('x');
    expect(Number(await x('DynamoDB.PutItem', 'replicator'))).toBeGreaterThan(Number(await x('DynamoDB.PutItem', 'rule')));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says traces are shown only locally where the trace API answers 404, as a deployed stack does', async () => {
    // Prepare: the answer the static function gives on AWS for an /api/ path without a route.
    const { page, context, problems } = await openPage(env);
    await page.route('**/api/local/traces', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NotFound', message: 'No route for GET /api/local/traces' } }) }));
    await registerInUi(page, uniqueName('deployed'));
    // Act
    await page.getByRole('link', { name: 'Replication' }).click();
    // Assess
    await eventually(() => page.locator('.traces-unavailable').textContent()).toMatch(/only when the stack runs locally/);
    expect(await page.locator('.recent-changes').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
