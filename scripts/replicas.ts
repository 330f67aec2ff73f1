import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startDynamo } from '../local/dynamodb';
import { canonical } from '../local/dynamodb/streaming-record';
import { kinesisClient, startKinesis } from '../local/kinesis';
import { readStackFile } from '../local/stack-file';
import { physicalName, replicas as defaultReplicas, type AttributeType, type ReadModel } from '../topology/index';
import { ROOT } from '../bundle';
import { backfill, compare, recheck, namedReplicaFeed, type BackfillProgress, type Difference, type NamedReplicaFeed } from './replicas/sync';
import { pendingIndex, undeliveredChanges } from './replicas/undelivered';
import { loadReplicas } from '../local/replica-set';
import type { ReplicaEntry } from '../topology/replica-config';

const USAGE = `usage:
  npm run replicas -- backfill <replica> [target] [--json]   seed a replica from a scan of its source
  npm run replicas -- verify [replica] [target] [--json]     compare sources and replicas item by item
  npm run replicas -- add <replica> [--source <table> --reader <function> --env-var <NAME> --attributes <a,b,...>] [--json]
                            running local stack: create the replica, recycle its reader and the replicator, backfill it
                            (a replica of topology/index.ts needs only its name; --attributes: names, types come from the source)
  npm run replicas -- remove <replica>                      running local stack: the reverse; the table is deleted
Each replica holds only its read model (topology/index.ts) besides key, version and tombstone: backfill
writes only those attributes (and strips any others), verify compares only those.
target (default: the local stack, from <data-dir>/stack.json, or its data opened directly when it is not running):
  --data-dir <dir>          local data dir (default .local)
  --stack <stack>           AWS: the Pulumi stack; table names from \`pulumi stack output\` (needs the Pulumi CLI)
  --prefix <prefix>         AWS without the Pulumi CLI: physical table names are <prefix>-<logical name>
  --region <region>         AWS region (credentials from the usual AWS environment)
  --source-table <name> --replica-table <name> --attributes <name:S|N|BOOL,...>
                            one explicit feed and its read model (with --region: on AWS)
  --state-table <name>      with an explicit feed: the replication-state table whose counts backfill corrects
  --endpoint <url>          DynamoDB endpoint override
  --settle-ms <ms>          verify: how long differences may take to converge before they count (default 3000)
  --json                    machine-readable output on stdout (backfill: one progress object per line, then the summary)
exit codes: 0 done / no differences; 1 differences; 2 usage mistake (unknown command, option or replica);
  3 target unreachable (stack not running, no Pulumi CLI, AWS error; add/remove: no running local stack);
  4 verify: the only differences are changes still in the stream, not yet applied (start the stack to drain them)`;

/** A mistake the user can fix: one line on stderr, no stack trace. */
class CliError extends Error {
  constructor(message: string, readonly code: 2 | 3) {
    super(message);
  }
}

interface Target {
  client: DynamoDBClient;
  feeds: NamedReplicaFeed[];
  /** Changes still in the stream (local stacks only), `table\nkey` → newest version. */
  pending?: () => Promise<Map<string, number>>;
  close: () => Promise<void>;
}

/** Set when the target is a running local stack: `replicas add` is how a replica it lacks gets in. */
let runningLocal = false;

try {
  process.exitCode = await main();
} catch (err) {
  const code = err instanceof CliError ? err.code : 3;
  const message = err instanceof Error ? err.message : String(err);
  console.error(`replicas: ${message.split('\n')[0]}`);
  process.exitCode = code;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        stack: { type: 'string' },
        prefix: { type: 'string' },
        region: { type: 'string' },
        'source-table': { type: 'string' },
        'replica-table': { type: 'string' },
        attributes: { type: 'string' },
        'state-table': { type: 'string' },
        endpoint: { type: 'string' },
        'settle-ms': { type: 'string' },
        source: { type: 'string' },
        reader: { type: 'string' },
        'env-var': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\. To specify.*$/, '')} (npm run replicas -- --help)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, replicaArg, extra] = positionals;
  if (command !== 'backfill' && command !== 'verify' && command !== 'add' && command !== 'remove') throw new CliError(command ? `unknown command "${command}": use backfill, verify, add or remove (npm run replicas -- --help)` : 'no command: use backfill, verify, add or remove (npm run replicas -- --help)', 2);
  if (extra !== undefined) throw new CliError(`unexpected argument "${extra}"`, 2);
  if (command === 'add' || command === 'remove') return changeReplicas(command, replicaArg, values);
  for (const option of ['source', 'reader', 'env-var'] as const) if (values[option] !== undefined) throw new CliError(`--${option} is for add only`, 2);
  if (command === 'backfill' && !replicaArg && !values['replica-table']) throw new CliError(`backfill needs a replica: one of ${defaultReplicas.map((r) => r.name).join(', ')}`, 2);
  const settleMs = Number(values['settle-ms'] ?? 3000);
  if (!Number.isFinite(settleMs) || settleMs < 0) throw new CliError(`--settle-ms "${values['settle-ms']}" is not a number of milliseconds`, 2);
  if (values.stack !== undefined && values.prefix !== undefined) throw new CliError('--stack and --prefix are two ways to name the AWS tables: give one', 2);

  const target = await connect(values);
  try {
    const feeds = selectFeeds(target.feeds, replicaArg);
    return command === 'backfill' ? await runBackfill(target.client, feeds, values.json) : await runVerify(target, feeds, settleMs, values.json);
  } catch (err) {
    if (err instanceof CliError) throw err;
    // The SDK's errors carry a name (ResourceNotFoundException …) that says more than their message.
    const name = (err as Error).name && (err as Error).name !== 'Error' ? `${(err as Error).name}: ` : '';
    throw new CliError(`${name}${(err as Error).message}`, 3);
  } finally {
    target.client.destroy();
    await target.close();
  }
}

type Values = Record<string, string | boolean | undefined>;

async function connect(values: Values): Promise<Target> {
  const str = (name: string) => values[name] as string | undefined;
  const explicit = str('source-table') && str('replica-table') ? [explicitFeed(str('source-table')!, str('replica-table')!, str('attributes'), str('state-table'))] : undefined;
  if (!explicit && (str('source-table') || str('replica-table'))) throw new CliError('an explicit feed needs both --source-table and --replica-table', 2);
  const topologyPairs = (physical: (logical: string) => string) => defaultReplicas.map((r) => namedReplicaFeed(r, physical, physical('replication-state')));
  const aws = () => new DynamoDBClient({ ...(str('region') ? { region: str('region') } : {}), ...(str('endpoint') ? { endpoint: str('endpoint') } : {}) });
  if (str('stack') !== undefined) {
    const names = await stackTableNames(str('stack')!);
    return { client: aws(), feeds: explicit ?? topologyPairs((logical) => names[logical] ?? physicalName(`noops-todo-${str('stack')}`, logical)), close: async () => {} };
  }
  if (str('prefix') !== undefined || (explicit && str('region'))) {
    return { client: aws(), feeds: explicit ?? topologyPairs((logical) => physicalName(str('prefix') ?? '', logical)), close: async () => {} };
  }
  const dataDir = path.resolve(str('data-dir') ?? path.join(ROOT, '.local'));
  const stack = await readStackFile(dataDir);
  const localFeeds = explicit ?? (await loadReplicas(dataDir).catch((err: Error) => { throw new CliError(err.message, 3); })).map((r) => namedReplicaFeed(r, (logical) => logical, 'replication-state'));
  const local = (endpoint: string) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }), maxAttempts: 2 });
  if (str('endpoint')) return { client: local(str('endpoint')!), feeds: localFeeds, close: async () => {} };
  const checkpoints = path.join(dataDir, 'esm-checkpoints.json');
  if (stack && (await reachable(stack.dynamoEndpoint))) {
    // The replicas the stack runs with now, read models included (`replicas add` may have added some).
    const running = stack.replicas.flatMap((r) => {
      const name = r.name ?? logicalName(stack.tables, r.replica);
      const attributes = r.attributes ?? defaultReplicas.find((d) => d.name === name)?.readModel;
      return attributes ? [{ name, replica: r.replica, source: r.source, attributes, stateTable: stack.tables['replication-state'] }] : [];
    });
    const pending = async () => {
      const kinesis = kinesisClient(stack.kinesisEndpoint);
      try {
        return pendingIndex(await undeliveredChanges(kinesis, stack.streamName, checkpoints));
      } finally {
        kinesis.destroy();
      }
    };
    const target: Target = { client: local(stack.dynamoEndpoint), feeds: explicit ?? running, pending, close: async () => {} };
    runningLocal = true;
    return target;
  }
  if (!existsSync(path.join(dataDir, 'dynamodb'))) throw new CliError(`no local stack is running (no ${path.join(dataDir, 'stack.json')}) and there is no data under ${dataDir}: start it with npm start`, 3);
  // The stack is down: open its persisted tables directly (LevelDB allows one process at a time).
  console.error(`local stack not running; opening ${dataDir} directly`);
  const dynamo = await startDynamo({ path: path.join(dataDir, 'dynamodb') });
  const pending = async () => {
    const kinesis = await startKinesis({ dataDir });
    const client = kinesisClient(kinesis.endpoint);
    try {
      return pendingIndex(await undeliveredChanges(client, kinesis.streamName, checkpoints));
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  };
  return { client: local(dynamo.endpoint), feeds: localFeeds, pending, close: dynamo.stop };
}

/**
 * The physical table names of a Pulumi stack, from its outputs `tableNames` and `replicaTableNames`
 * (infra/index.ts), through the Pulumi CLI (`pulumi stack output --json --stack <s>`), which reads the
 * state backend the user is logged into.
 */
async function stackTableNames(stack: string): Promise<Record<string, string>> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('pulumi', ['stack', 'output', '--json', '--stack', stack], { cwd: ROOT, timeout: 60_000 }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError('--stack needs the Pulumi CLI (pulumi stack output) to read the table names; install it, or pass --prefix <prefix>', 3);
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
    throw new CliError(`pulumi stack output --stack ${stack} failed: ${detail}`, 3);
  }
  const outputs = JSON.parse(stdout) as { tableNames?: Record<string, string>; replicaTableNames?: Record<string, string> };
  if (!outputs.tableNames || !outputs.replicaTableNames) throw new CliError(`stack ${stack} has no tableNames/replicaTableNames outputs: run pulumi up first`, 3);
  return { ...outputs.tableNames, ...outputs.replicaTableNames };
}

/** `--attributes status:N,name:S`: the read model of an explicit feed (config replicas are not in topology). */
function explicitFeed(source: string, replica: string, list: string | undefined, stateTable: string | undefined): NamedReplicaFeed {
  const attributes: Record<string, AttributeType> = {};
  for (const entry of (list ?? '').split(',').filter(Boolean)) {
    const [name, type] = entry.split(':');
    if (!name || (type !== 'S' && type !== 'N' && type !== 'BOOL')) throw new CliError(`--attributes: "${entry}" is not <name>:S|N|BOOL`, 2);
    attributes[name] = type;
  }
  if (Object.keys(attributes).length === 0) throw new CliError("an explicit feed needs --attributes <name:S|N|BOOL,...>: the replica's read model", 2);
  return { name: replica, replica, source, attributes: attributes as ReadModel, ...(stateTable ? { stateTable } : {}) };
}

function selectFeeds(feeds: NamedReplicaFeed[], name: string | undefined): NamedReplicaFeed[] {
  if (!name) return feeds;
  const selected = feeds.filter((p) => p.name === name || p.replica === name);
  if (selected.length > 0) return selected;
  throw new CliError(`unknown replica "${name}"; known: ${feeds.map((p) => p.name).join(', ')}${runningLocal ? ` (to add one: npm run replicas -- add ${name} …)` : ''}`, 2);
}

/**
 * `add` and `remove` change a running local stack through its control endpoint (local/control), as
 * `pulumi up` does after a change of the stack config; `add` then backfills the new replica.
 */
async function changeReplicas(command: 'add' | 'remove', name: string | undefined, values: Values): Promise<number> {
  if (!name) throw new CliError(`${command} needs a replica name`, 2);
  if (['stack', 'prefix', 'region', 'endpoint', 'source-table', 'replica-table'].some((o) => values[o] !== undefined)) {
    throw new CliError(`${command} changes a running local stack; on AWS, change the stack config noops-todo:replicas and run pulumi up (docs/replication.md)`, 2);
  }
  const entryOptions = ['source', 'reader', 'env-var', 'attributes'].filter((o) => values[o] !== undefined);
  if (command === 'remove' && entryOptions.length > 0) throw new CliError(`remove takes only the replica name, not --${entryOptions[0]}`, 2);
  const dataDir = path.resolve((values['data-dir'] as string | undefined) ?? path.join(ROOT, '.local'));
  const stack = await readStackFile(dataDir);
  if (!stack?.control || !(await reachable(stack.control.url))) throw new CliError(`no local stack is running in ${dataDir}: start it with npm start, then ${command} the replica`, 3);
  const body = command === 'add' ? replicaEntryOf(name, values) : undefined;
  let response: Response;
  try {
    response = await fetch(`${stack.control.url}/replicas${command === 'remove' ? `/${encodeURIComponent(name)}` : ''}`, {
      method: command === 'add' ? 'POST' : 'DELETE',
      headers: { authorization: `Bearer ${stack.control.token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (err) {
    throw new CliError(`the local stack's control endpoint did not answer: ${(err as Error).message}`, 3);
  }
  const answer = (await response.json().catch(() => ({}))) as { replica?: ReplicaEntry; error?: { message?: string } };
  if (!response.ok || !answer.replica) throw new CliError(answer.error?.message ?? `the control endpoint answered ${response.status}`, response.status >= 500 ? 3 : 2);
  const { replica } = answer;
  const log = (line: string) => (values.json ? console.error : console.log)(line);
  if (command === 'remove') {
    log(`${name}: removed; the ${replica.reader} function no longer gets ${replica.envVar}, the replicator no longer feeds it, its table is deleted`);
    return 0;
  }
  log(`${name}: added, a copy of ${replica.source} (${(replica.attributes ?? []).join(', ')}); the ${replica.reader} function gets ${replica.envVar} and the replicator feeds it from now on; backfilling what exists`);
  const feed = namedReplicaFeed({ name: replica.name, source: replica.source, readModel: (await readStackFile(dataDir))?.replicas.find((r) => r.name === name)?.attributes ?? {} }, (logical) => stack.tables[logical] ?? logical, stack.tables['replication-state']);
  const client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }), maxAttempts: 2 });
  try {
    return await runBackfill(client, [feed], Boolean(values.json));
  } catch (err) {
    throw new CliError(`${name} was added, but its backfill failed (run npm run replicas -- backfill ${name} again): ${(err as Error).message}`, 3);
  } finally {
    client.destroy();
  }
}

/** `add <name>`: a replica of topology by its name alone, any other from the options. */
function replicaEntryOf(name: string, values: Values): ReplicaEntry {
  const compiled = defaultReplicas.find((r) => r.name === name);
  const str = (option: string) => values[option] as string | undefined;
  const attributes = str('attributes')?.split(',').map((a) => a.trim()).filter(Boolean);
  if (attributes?.some((a) => a.includes(':'))) throw new CliError('add --attributes takes attribute names (a,b,...): their types come from the source table', 2);
  const source = str('source') ?? compiled?.source;
  const reader = str('reader') ?? compiled?.reader;
  const envVar = str('env-var') ?? compiled?.envVar;
  const missing = [!source && '--source <table>', !reader && '--reader <function>', !envVar && '--env-var <NAME>', !attributes && !compiled && '--attributes <a,b,...>'].filter(Boolean);
  if (missing.length > 0) throw new CliError(`replica "${name}" is not in topology/index.ts: add it with ${missing.join(' ')}`, 2);
  return { name, source: source!, reader: reader!, envVar: envVar!, ...(attributes ? { attributes } : {}) };
}

async function runBackfill(client: DynamoDBClient, feeds: NamedReplicaFeed[], json: boolean): Promise<number> {
  for (const feed of feeds) {
    const bar = json ? { update: (p: BackfillProgress) => console.log(JSON.stringify({ replica: feed.name, ...p })), done: () => {} } : progressBar(feed.name);
    const result = await backfill(client, feed, bar.update);
    bar.done();
    const summary = { replica: feed.name, source: feed.source, summary: true, ...result, countsCorrected: Boolean(feed.stateTable) };
    if (json) console.log(JSON.stringify(summary));
    else {
      console.log(`${feed.name}: ${result.sourceItems} items in ${feed.source}, scanned ${result.scanned} in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.itemsPerSec} items/s); wrote ${result.written}, already current ${result.skipped}, tombstoned ${result.tombstoned}, stripped of attributes outside the read model ${result.scrubbed}, without a version ${result.invalid}`);
      if (!feed.stateTable) console.log(`${feed.name}: no --state-table, so the counts GET /api/replication reports were not corrected`);
    }
  }
  return 0;
}

async function runVerify(target: Target, feeds: NamedReplicaFeed[], settleMs: number, json: boolean): Promise<number> {
  const { client } = target;
  let differences: Difference[] = (await Promise.all(feeds.map((feed) => compare(client, feed)))).flat();
  // Changes still in flight show up as differences for a moment: re-read those items until they settle.
  const deadline = Date.now() + settleMs;
  while (differences.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(500, settleMs)));
    differences = await recheck(client, feeds, differences);
  }
  // What remains may still be waiting in the stream: a change there at least as new as the source's item explains it.
  const pending = differences.length > 0 && target.pending ? await target.pending() : new Map<string, number>();
  const classified = differences.map((diff) => {
    const feed = feeds.find((p) => p.name === diff.replica)!;
    const inStream = pending.get(`${feed.source}\n${canonical(diff.key)}`);
    const undelivered = inStream !== undefined && inStream >= (diff.sourceVersion ?? diff.replicaVersion ?? 0);
    return { ...diff, kind: undelivered ? ('undelivered' as const) : diff.kind, ...(undelivered ? { was: diff.kind } : {}) };
  });
  const real = classified.filter((d) => d.kind !== 'undelivered');
  const waiting = classified.length - real.length;
  if (json) {
    console.log(JSON.stringify({ replicas: feeds.map((p) => p.name), differences: classified.map((d) => ({ ...d, key: plainKey(d.key) })), undelivered: waiting }));
  } else {
    for (const diff of classified) console.log(`${diff.replica}\t${diff.kind}\t${JSON.stringify(plainKey(diff.key))}\tsource v${diff.sourceVersion ?? '-'}\treplica v${diff.replicaVersion ?? '-'}`);
    if (classified.length === 0) console.log(`${feeds.map((p) => p.name).join(', ')}: no differences`);
    else console.log(`${real.length} difference(s)${waiting ? `; ${waiting} change(s) in the stream, not yet applied: start the stack (npm start) to drain them, then verify again` : ''}`);
  }
  return real.length > 0 ? 1 : waiting > 0 ? 4 : 0;
}

function plainKey(key: Difference['key']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(key).map(([k, v]) => [k, Object.values(v)[0]]));
}

/** One bar through every phase: done/total item reads, items/s and the time left at that rate. */
function progressBar(label: string) {
  const render = (p: BackfillProgress) => {
    const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : p.phase === 'done' ? 1 : 0;
    const filled = Math.round(ratio * 30);
    const eta = p.phase === 'done' ? `${(p.elapsedMs / 1000).toFixed(1)} s` : p.etaMs === null ? 'eta …' : `eta ${(p.etaMs / 1000).toFixed(1)} s`;
    return `${label} ${p.phase.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${p.done}/${p.total} ${p.itemsPerSec} items/s ${eta}`;
  };
  let last = '';
  return {
    update: (p: BackfillProgress) => {
      const line = render(p);
      if (line === last) return;
      last = line;
      process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
    },
    done: () => process.stderr.isTTY && process.stderr.write('\n'),
  };
}

function logicalName(tables: Record<string, string>, physical: string): string {
  return Object.entries(tables).find(([, name]) => name === physical)?.[0] ?? physical;
}

async function reachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
