import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamo } from '../local/dynamodb';
import { readStackFile } from '../local/stack-file';
import { physicalName, replicas as defaultReplicas, type AttributeType, type ReadModel } from '../topology/index';
import { ROOT } from '../bundle';
import { backfill, compare, recheck, namedReplicaFeed, type BackfillProgress, type Difference, type NamedReplicaFeed } from './replicas/sync';

const USAGE = `usage:
  npm run replicas -- backfill <replica> [target]   seed a replica from a scan of its source
  npm run replicas -- verify [replica] [target]     compare sources and replicas item by item (exit 1 on differences)
Each replica holds only its read model (topology/index.ts) besides key, version and tombstone: backfill
writes only those attributes (and strips any others), verify compares only those.
target (default: the local stack, from <data-dir>/stack.json, or its data opened directly when it is not running):
  --data-dir <dir>          local data dir (default .local)
  --stack <prefix>          AWS: physical table names are <prefix>-<logical name>; credentials/region from the usual AWS env
  --region <region>         AWS region
  --source-table <name> --replica-table <name> --attributes <name:S|N|BOOL,...>
                            one explicit feed and its read model (with --region: on AWS)
  --state-table <name>      with an explicit feed: the replication-state table whose counts backfill corrects
  --endpoint <url>          DynamoDB endpoint override
  --settle-ms <ms>          verify: how long differences may take to converge before they count (default 3000)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    stack: { type: 'string' },
    region: { type: 'string' },
    'source-table': { type: 'string' },
    'replica-table': { type: 'string' },
    attributes: { type: 'string' },
    'state-table': { type: 'string' },
    endpoint: { type: 'string' },
    'settle-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, replicaArg] = positionals;
if (values.help || (command !== 'backfill' && command !== 'verify') || (command === 'backfill' && !replicaArg && !values['replica-table'])) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
}

const target = await connect();
try {
  const feeds = selectFeeds(target.feeds, replicaArg);
  process.exitCode = command === 'backfill' ? await runBackfill(target.client, feeds) : await runVerify(target.client, feeds, Number(values['settle-ms'] ?? 3000));
} finally {
  target.client.destroy();
  await target.close();
}

async function connect(): Promise<{ client: DynamoDBClient; feeds: NamedReplicaFeed[]; close: () => Promise<void> }> {
  const explicit = values['source-table'] && values['replica-table'] ? [explicitFeed(values['source-table'], values['replica-table'])] : undefined;
  const topologyFeeds = (prefix: string) => defaultReplicas.map((r) => namedReplicaFeed(r, (logical) => physicalName(prefix, logical), physicalName(prefix, 'replication-state')));
  if (values.stack !== undefined || (explicit && values.region)) {
    const feeds = explicit ?? topologyFeeds(values.stack ?? '');
    return { client: new DynamoDBClient({ ...(values.region ? { region: values.region } : {}), ...(values.endpoint ? { endpoint: values.endpoint } : {}) }), feeds, close: async () => {} };
  }
  const dataDir = path.resolve(values['data-dir'] ?? path.join(ROOT, '.local'));
  const stack = await readStackFile(dataDir);
  const localFeeds = explicit ?? topologyFeeds('');
  const local = (endpoint: string) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }) });
  if (values.endpoint) return { client: local(values.endpoint), feeds: localFeeds, close: async () => {} };
  if (stack && (await reachable(stack.dynamoEndpoint))) {
    const running = stack.replicas.map((r) => {
      const spec = defaultReplicas.find((d) => d.name === logicalName(stack.tables, r.replica));
      if (!spec) throw new Error(`replica ${r.replica} of the running stack is not in topology/index.ts: restart npm start`);
      return { name: spec.name, ...r, attributes: spec.readModel, stateTable: stack.tables['replication-state'] };
    });
    return { client: local(stack.dynamoEndpoint), feeds: explicit ?? running, close: async () => {} };
  }
  if (!existsSync(path.join(dataDir, 'dynamodb'))) throw new Error(`no running local stack (${path.join(dataDir, 'stack.json')}) and no data under ${dataDir}: start it with npm start`);
  // The stack is down: open its persisted tables directly (LevelDB allows one process at a time).
  console.error(`local stack not running; opening ${path.join(dataDir, 'dynamodb')} directly`);
  const dynamo = await startDynamo({ path: path.join(dataDir, 'dynamodb') });
  return { client: local(dynamo.endpoint), feeds: localFeeds, close: dynamo.stop };
}

/** `--attributes status:N,name:S`: the read model of an explicit feed (config replicas are not in topology). */
function explicitFeed(source: string, replica: string): NamedReplicaFeed {
  const attributes: Record<string, AttributeType> = {};
  for (const entry of (values.attributes ?? '').split(',').filter(Boolean)) {
    const [name, type] = entry.split(':');
    if (!name || (type !== 'S' && type !== 'N' && type !== 'BOOL')) throw new Error(`--attributes: "${entry}" is not <name>:S|N|BOOL`);
    attributes[name] = type;
  }
  if (Object.keys(attributes).length === 0) throw new Error('an explicit feed needs --attributes <name:S|N|BOOL,...>: the replica\'s read model');
  return { name: replica, replica, source, attributes: attributes as ReadModel, ...(values['state-table'] ? { stateTable: values['state-table'] } : {}) };
}

function selectFeeds(feeds: NamedReplicaFeed[], name: string | undefined): NamedReplicaFeed[] {
  if (!name) return feeds;
  const selected = feeds.filter((p) => p.name === name || p.replica === name);
  if (selected.length === 0) throw new Error(`unknown replica "${name}"; known: ${feeds.map((p) => p.name).join(', ')}`);
  return selected;
}

async function runBackfill(client: DynamoDBClient, feeds: NamedReplicaFeed[]): Promise<number> {
  for (const feed of feeds) {
    const bar = progressBar(feed.name);
    const result = await backfill(client, feed, bar.update);
    bar.done();
    console.log(`${feed.name}: scanned ${result.scanned} items of ${feed.source}; wrote ${result.written}, already current ${result.skipped}, tombstoned ${result.tombstoned}, stripped of attributes outside the read model ${result.scrubbed}, without a version ${result.invalid}`);
    if (!feed.stateTable) console.log(`${feed.name}: no --state-table, so the counts GET /api/replication reports were not corrected`);
  }
  return 0;
}

async function runVerify(client: DynamoDBClient, feeds: NamedReplicaFeed[], settleMs: number): Promise<number> {
  let differences: Difference[] = (await Promise.all(feeds.map((feed) => compare(client, feed)))).flat();
  // Changes still in flight show up as differences for a moment: re-read those items until they settle.
  const deadline = Date.now() + settleMs;
  while (differences.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(500, settleMs)));
    differences = await recheck(client, feeds, differences);
  }
  for (const diff of differences) {
    const key = JSON.stringify(Object.fromEntries(Object.entries(diff.key).map(([k, v]) => [k, Object.values(v)[0]])));
    console.log(`${diff.replica}\t${diff.kind}\t${key}\tsource v${diff.sourceVersion ?? '-'}\treplica v${diff.replicaVersion ?? '-'}`);
  }
  console.log(differences.length === 0 ? `${feeds.map((p) => p.name).join(', ')}: no differences` : `${differences.length} difference(s)`);
  return differences.length === 0 ? 0 : 1;
}

function progressBar(label: string) {
  let last = 0;
  const render = (p: BackfillProgress) => {
    const ratio = p.total > 0 ? Math.min(1, p.scanned / p.total) : 1;
    const filled = Math.round(ratio * 30);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${Math.round(ratio * 100)}% ${p.scanned}/${p.total}`;
  };
  return {
    update: (p: BackfillProgress) => {
      if (Date.now() - last < 100 && p.scanned < p.total) return;
      last = Date.now();
      process.stderr.write(process.stderr.isTTY ? `\r${render(p)}` : `${render(p)}\n`);
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
