import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Stack } from '../../local/index';
import { replicas } from '../../topology/index';
import { compare, recheck, namedReplicaFeed, type Difference, type NamedReplicaFeed } from '../../scripts/replicas/sync';
import { Client, dynamoClient, scanTable, signedIn } from './probes';

/**
 * A mixed workload of virtual users, each a sequential loop of one signed-in user against the stack,
 * keeping its own record of every acknowledged write. Afterwards every acknowledged write must be in
 * the rules table (read straight from dynalite) and, once the replicator is idle, every replica must
 * equal its source (`replicas verify`'s comparison). Shared by `npm test` (short) and `npm run soak`.
 */
export interface SoakOptions {
  /** The longest the workload runs. */
  durationMs: number;
  /**
   * Stops once this many requests were sent (in-flight ones finish): a size, so a fast machine does not
   * run more of the same for the same checks, and a slow one does not check less.
   */
  requests?: number;
  concurrency: number;
  /** Prefix of the virtual users' names (several runs may share a stack). */
  prefix?: string;
  /** Called about every 10 s with the figures so far. */
  onProgress?: (figures: SoakFigures) => void;
  /** Stops early (e.g. restart tests); in-flight requests finish first. */
  signal?: AbortSignal;
}

export interface SoakFigures {
  durationMs: number;
  requests: number;
  /** 5xx answers and failed connections. */
  errors: number;
  /** Answers other than the one the operation expects (a 409 on a single writer's update, a lost todo…). */
  unexpected: number;
  byStatus: Record<string, number>;
  acknowledgedWrites: number;
  /** Items compared against the table: every todo a virtual user ever created, live or deleted. */
  writesChecked: number;
  missingWrites: number;
  replicaDifferences: number;
  p50Ms: number;
  p99Ms: number;
  samples: string[];
}

interface Known {
  title: string;
  version: number;
  deleted: boolean;
  /** A write to it got no answer (the stack went down): it may or may not have happened. */
  attempted?: Omit<Known, 'attempted'>;
}

type Operation = 'create' | 'patch' | 'delete' | 'list' | 'get' | 'rule' | 'me' | 'static';
const MIX: Array<[Operation, number]> = [['create', 28], ['patch', 20], ['delete', 8], ['list', 15], ['get', 12], ['rule', 7], ['me', 5], ['static', 5]];
const TOTAL_WEIGHT = MIX.reduce((sum, [, w]) => sum + w, 0);

/** No answer, or the gateway's own failure: the operation may or may not have happened. */
const unanswered = (status: number) => status === 0 || status >= 500;

function pick(): Operation {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [op, weight] of MIX) if ((r -= weight) < 0) return op;
  return 'list';
}

export class SoakRun {
  readonly figures: SoakFigures = {
    durationMs: 0, requests: 0, errors: 0, unexpected: 0, byStatus: {}, acknowledgedWrites: 0, writesChecked: 0,
    missingWrites: 0, replicaDifferences: 0, p50Ms: 0, p99Ms: 0, samples: [],
  };
  private readonly latencies: number[] = [];
  private readonly users: Array<{ client: Client; userId: string; todos: Map<string, Known> }> = [];

  constructor(private base: string) {}

  /** Points the virtual users at another gateway (a restarted stack); their sessions stay valid. */
  retarget(base: string): void {
    this.base = base;
    for (const user of this.users) user.client = Object.assign(new Client(base), { cookie: user.client.cookie });
  }

  async signUp(concurrency: number, prefix: string): Promise<void> {
    const created = await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const client = await signedIn(this.base, `${prefix}-${i}`);
        const userId = (await client.get('/api/currentUser')).json.userid as string;
        return { client, userId, todos: new Map<string, Known>() };
      }),
    );
    this.users.push(...created);
  }

  async run(options: Pick<SoakOptions, 'durationMs' | 'requests' | 'onProgress' | 'signal'>): Promise<void> {
    const started = Date.now();
    const deadline = started + options.durationMs;
    let sent = 0;
    let nextReport = started + 10_000;
    const stopped = () => Date.now() >= deadline || options.signal?.aborted === true || sent >= (options.requests ?? Infinity);
    await Promise.all(
      this.users.map(async (user) => {
        while (!stopped()) {
          sent++;
          await this.step(user);
          if (options.onProgress && Date.now() >= nextReport) {
            nextReport += 10_000;
            options.onProgress(this.summary(Date.now() - started));
          }
        }
      }),
    );
    this.figures.durationMs += Date.now() - started;
  }

  /** Resolves once `count` writes in all were acknowledged; false after `timeoutMs` without. */
  async acknowledged(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.figures.acknowledgedWrites < count) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private record(status: number, ms: number, ok: boolean, what: string): void {
    this.figures.requests++;
    this.figures.byStatus[status] = (this.figures.byStatus[status] ?? 0) + 1;
    this.latencies.push(ms);
    if (status >= 500 || status === 0) this.figures.errors++;
    else if (!ok) this.figures.unexpected++;
    if ((status >= 500 || status === 0 || !ok) && this.figures.samples.length < 20) this.figures.samples.push(what);
  }

  private async step(user: SoakRun['users'][number]): Promise<void> {
    // Todos in an unknown state are left alone; the lists then cannot be checked exactly either.
    const live = [...user.todos.entries()].filter(([, t]) => !t.deleted && !t.attempted);
    const uncertain = [...user.todos.values()].some((t) => t.attempted);
    let op = pick();
    if ((op === 'patch' || op === 'delete' || op === 'get') && live.length === 0) op = 'create';
    const target = live[Math.floor(Math.random() * live.length)];
    const started = performance.now();
    let status = 0;
    let ok = false;
    let detail = '';
    try {
      switch (op) {
        case 'create': {
          const title = `t-${Math.random().toString(36).slice(2, 10)}`;
          const res = await user.client.send('POST', '/api/todos', { json: { title } });
          status = res.status;
          ok = status === 201 && res.json?.title === title;
          if (ok) {
            user.todos.set(res.json.id, { title, version: 1, deleted: false });
            this.figures.acknowledgedWrites++;
          }
          detail = res.text.slice(0, 200);
          break;
        }
        case 'patch': {
          const [id, known] = target!;
          const title = `p-${Math.random().toString(36).slice(2, 10)}`;
          const res = await user.client.send('PATCH', `/api/todos/${id}`, { json: { title }, headers: { 'if-match': `"${known.version}"` } });
          status = res.status;
          ok = status === 200 && res.json?.version === known.version + 1;
          if (ok) {
            user.todos.set(id, { title, version: known.version + 1, deleted: false });
            this.figures.acknowledgedWrites++;
          } else if (unanswered(status)) user.todos.set(id, { ...known, attempted: { title, version: known.version + 1, deleted: false } });
          detail = res.text.slice(0, 200);
          break;
        }
        case 'delete': {
          const [id, known] = target!;
          const res = await user.client.send('DELETE', `/api/todos/${id}`);
          status = res.status;
          ok = status === 204;
          if (ok) {
            user.todos.set(id, { ...known, deleted: true });
            this.figures.acknowledgedWrites++;
          } else if (unanswered(status)) user.todos.set(id, { ...known, attempted: { ...known, deleted: true } });
          detail = res.text.slice(0, 200);
          break;
        }
        case 'list': {
          const res = await user.client.get('/api/todos');
          status = res.status;
          // The owner's reads are consistent: the list is exactly what this user has been told.
          ok = status === 200 && Array.isArray(res.json) && (uncertain || res.json.length === live.length);
          detail = `listed ${Array.isArray(res.json) ? res.json.length : res.text.slice(0, 100)}, expected ${live.length}`;
          break;
        }
        case 'get': {
          const [id, known] = target!;
          const res = await user.client.get(`/api/todos/${id}`);
          status = res.status;
          ok = status === 200 && res.json?.version === known.version && res.json?.title === known.title;
          detail = res.text.slice(0, 200);
          break;
        }
        case 'rule': {
          const res = await user.client.get('/api/rule?current=1&pageSize=20&sorter=updatedAt_descend');
          status = res.status;
          ok = status === 200 && (uncertain || res.json?.total === live.length);
          detail = res.text.slice(0, 200);
          break;
        }
        case 'me': {
          const res = await user.client.get('/api/currentUser');
          status = res.status;
          ok = status === 200 && res.json?.userid === user.userId;
          detail = res.text.slice(0, 200);
          break;
        }
        case 'static': {
          const res = await fetch(`${this.base}/`, { signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
          status = res.status;
          ok = status === 200;
          break;
        }
      }
    } catch (err) {
      detail = (err as Error).message;
    }
    this.record(status, performance.now() - started, ok, `${op} → ${status}: ${detail}`);
    // A stack that is down refuses at once: do not spin on it.
    if (status === 0 || status === 503) await new Promise((r) => setTimeout(r, 100));
  }

  /** Every todo a virtual user was told about, compared with the rules table read straight from dynalite. */
  async checkWrites(db: DynamoDBClient, rulesTable: string): Promise<void> {
    const items = new Map((await scanTable(db, rulesTable)).map((item) => [`${item.userId?.S}\n${item.key?.S}`, item]));
    for (const user of this.users) {
      for (const [id, known] of user.todos) {
        this.figures.writesChecked++;
        const item = items.get(`${user.userId}\n${id}`);
        const matches = (state: Omit<Known, 'attempted'>) => (state.deleted ? item === undefined : item?.name?.S === state.title && item?.version?.N === String(state.version));
        const intact = matches(known) || (known.attempted !== undefined && matches(known.attempted));
        if (!intact) {
          this.figures.missingWrites++;
          if (this.figures.samples.length < 20) this.figures.samples.push(`write lost: ${id} expected ${JSON.stringify(known)}, table has ${JSON.stringify(item ?? null)}`);
        }
      }
    }
  }

  /** After the replicator is idle: every replica equals its source, item by item (as `npm run replicas -- verify`). */
  async checkReplicas(stack: Pick<Stack, 'replication' | 'tableName' | 'dynamoEndpoint'>, db: DynamoDBClient): Promise<Difference[]> {
    await stack.replication.waitIdle(60_000);
    const feeds: NamedReplicaFeed[] = replicas.map((r) => namedReplicaFeed(r, stack.tableName));
    let differences = (await Promise.all(feeds.map((feed) => compare(db, feed)))).flat();
    // Changes still in flight settle within moments; persisting differences are real.
    for (let i = 0; i < 20 && differences.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      differences = await recheck(db, feeds, differences);
    }
    this.figures.replicaDifferences = differences.length;
    for (const diff of differences.slice(0, 5)) this.figures.samples.push(`replica ${diff.replica} ${diff.kind} ${JSON.stringify(diff.key)}`);
    return differences;
  }

  summary(durationMs = this.figures.durationMs): SoakFigures {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { ...this.figures, durationMs, p50Ms: Math.round(at(0.5)), p99Ms: Math.round(at(0.99)) };
  }
}

/** Sign up, run, then check writes and replicas: the whole soak on one stack. */
export async function runSoak(stack: Stack, options: SoakOptions): Promise<SoakFigures> {
  const soak = new SoakRun(stack.url);
  await soak.signUp(options.concurrency, options.prefix ?? 'soak');
  await soak.run(options);
  const db = dynamoClient(stack);
  try {
    await soak.checkWrites(db, stack.tableName('rules'));
    await soak.checkReplicas(stack, db);
  } finally {
    db.destroy();
  }
  return soak.summary();
}

export function formatFigures(f: SoakFigures): string {
  const rps = f.durationMs > 0 ? (f.requests / (f.durationMs / 1000)).toFixed(0) : '0';
  return [
    `duration ${(f.durationMs / 1000).toFixed(1)} s, ${f.requests} requests (${rps}/s), p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms`,
    `errors (5xx or no answer) ${f.errors}, unexpected answers ${f.unexpected}, by status ${JSON.stringify(f.byStatus)}`,
    `acknowledged writes ${f.acknowledgedWrites}, todos checked in the table ${f.writesChecked}, missing ${f.missingWrites}, replica differences ${f.replicaDifferences}`,
  ].join('\n');
}
