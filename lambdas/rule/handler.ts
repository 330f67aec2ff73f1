import { v7 as uuidv7 } from 'uuid';
import { createDocumentClient } from '../shared/clients';
import { functionConfig } from '../shared/config';
import { assertSessionCurrent, DONE } from '../shared/domain-rules';
import { header, httpHandler, json, noContent, parseBody, parseQuery, publicBaseUrl, type HttpEvent } from '../shared/http';
import { instrument } from '../shared/instrument';
import { createLogger } from '../shared/logger';
import { countMetric, createMetrics } from '../shared/metrics';
import { authenticator, parseSessionKeySet } from '../shared/session';
import { traceClient } from '../shared/tracer';
import { decodeCursor, encodeCursor, parseIfMatch } from './cursor';
import { createTodoService, type Caller } from './domain';
import { DynamoTodoRepository, ReplicaUserDirectory } from './repository';
import { ruleCreate, ruleDelete, ruleQuery, ruleUpdate, todoCreate, todoListQuery, todoPatch } from './schemas';
import { queryRules, toRule, toTodo, todoUrl } from './views';

const config = functionConfig('rule');
const logger = createLogger(config.service, config.logLevel);
const metrics = createMetrics(config.service, config.metricsNamespace);
const db = traceClient(createDocumentClient({ maxAttempts: config.number('DYNAMODB_MAX_ATTEMPTS') }));
const todos = createTodoService({ repository: new DynamoTodoRepository(db, config.table('rules')), newId: uuidv7 });
const users = new ReplicaUserDirectory(db, config.replica('users-replica-for-rule'));
const authenticate = authenticator(parseSessionKeySet(config.sessionPublicKeys), { publicBaseUrl: config.publicBaseUrl, corsOrigins: config.corsOrigins });
const siteUrl = (event: HttpEvent) => publicBaseUrl(event, config.publicBaseUrl);

/**
 * One replica read per request gives both the owner's display name and the session version; a user the
 * replica has not caught up with yet (just registered) is let through with the token's own name.
 */
async function caller(event: HttpEvent): Promise<Caller> {
  const session = await authenticate(event);
  logger.appendKeys({ userId: session.userId });
  const user = await users.lookup(session.userName);
  if (user && user.userId === session.userId) assertSessionCurrent(user.sessionVersion, session.sessionVersion);
  return { userId: session.userId, owner: user?.displayName ?? session.userName };
}

function todoId(event: HttpEvent): string {
  return event.pathParameters?.id ?? '';
}

function etag(version: number) {
  return { etag: `"${version}"` };
}

export const handler = instrument({ logger, metrics, tracing: config.tracing }, httpHandler(logger, {
  'GET /api/rule': async (event) => {
    const who = await caller(event);
    const query = parseQuery(event, ruleQuery);
    return json(200, queryRules(await todos.list(who), query, who.owner));
  },

  'POST /api/rule': async (event) => {
    const who = await caller(event);
    const todo = await todos.create(who, parseBody(event, ruleCreate));
    logger.info('todo created', { key: todo.key });
    countMetric(metrics, 'TodosCreated');
    return json(200, toRule(todo, who.owner));
  },

  'PUT /api/rule': async (event) => {
    const who = await caller(event);
    const { key, version, ...patch } = parseBody(event, ruleUpdate);
    const todo = await todos.update(who, key, patch, version);
    logger.info('todo updated', { key, version: todo.version });
    return json(200, toRule(todo, who.owner));
  },

  'DELETE /api/rule': async (event) => {
    const who = await caller(event);
    const removed = await todos.removeMany(who, parseBody(event, ruleDelete).key);
    logger.info('todos deleted', { count: removed });
    const list = (await todos.list(who)).map((t) => toRule(t, who.owner));
    return json(200, { list, pagination: { total: list.length } });
  },

  'GET /api/todos': async (event) => {
    const who = await caller(event);
    const { completed, limit, cursor } = parseQuery(event, todoListQuery);
    const base = siteUrl(event);
    const afterKey = cursor === undefined ? undefined : decodeCursor(cursor, who.userId);
    if (limit === undefined && afterKey === undefined) {
      const all = await todos.list(who);
      const kept = completed === undefined ? all : all.filter((t) => (t.status === DONE) === completed);
      return json(200, kept.map((t) => toTodo(t, who.owner, base)));
    }
    const pageSize = limit ?? 100;
    const page = await todos.page(who, { limit: pageSize, afterKey, completed });
    const headers: Record<string, string> = {};
    if (page.nextKey) {
      const next = new URLSearchParams({ limit: String(pageSize), cursor: encodeCursor(who.userId, page.nextKey) });
      if (completed !== undefined) next.set('completed', String(completed));
      headers.link = `<${base}/api/todos?${next}>; rel="next"`;
    }
    return json(200, page.items.map((t) => toTodo(t, who.owner, base)), { headers });
  },

  'POST /api/todos': async (event) => {
    const who = await caller(event);
    const { title, description, completed, order, status } = parseBody(event, todoCreate);
    const todo = await todos.create(who, { name: title, desc: description, order, status: status ?? (completed ? DONE : undefined) });
    logger.info('todo created', { key: todo.key });
    countMetric(metrics, 'TodosCreated');
    const view = toTodo(todo, who.owner, siteUrl(event));
    return json(201, view, { headers: { location: todoUrl(siteUrl(event), todo.key), ...etag(todo.version) } });
  },

  'DELETE /api/todos': async (event) => {
    const who = await caller(event);
    logger.info('todos deleted', { count: await todos.removeAll(who) });
    return noContent();
  },

  'GET /api/todos/{id}': async (event) => {
    const who = await caller(event);
    const todo = await todos.get(who, todoId(event));
    return json(200, toTodo(todo, who.owner, siteUrl(event)), { headers: etag(todo.version) });
  },

  'PATCH /api/todos/{id}': async (event) => {
    const who = await caller(event);
    const { title, description, version, ...rest } = parseBody(event, todoPatch);
    const expected = parseIfMatch(header(event, 'if-match')) ?? version;
    const todo = await todos.update(who, todoId(event), { ...rest, name: title, desc: description }, expected);
    logger.info('todo updated', { key: todo.key, version: todo.version });
    return json(200, toTodo(todo, who.owner, siteUrl(event)), { headers: etag(todo.version) });
  },

  'DELETE /api/todos/{id}': async (event) => {
    const who = await caller(event);
    await todos.remove(who, todoId(event), parseIfMatch(header(event, 'if-match')));
    logger.info('todo deleted', { key: todoId(event) });
    return noContent();
  },
}, { originSecretId: config.originSecretId, originDigest: config.originDigest }));
