import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  type AttributeDefinition,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { mkdir } from 'node:fs/promises';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyAttributesOf, replicaKeySchema, type KeyAttribute, type ReplicaSpec, type TableSpec } from '../../topology';
import { trackRequests } from '../shared/drain';

export interface Dynamo {
  endpoint: string;
  /** dynalite's own request listener, for an in-process caller that already holds the request. */
  handle: http.RequestListener;
  stop(): Promise<void>;
}

/** dynalite in-process: LevelDB under `path` (data survives restarts), or in memory without it. */
export async function startDynamo(options: { path?: string }): Promise<Dynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  // Table lifecycle delays default to 500 ms in dynalite; tables should be usable immediately.
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const requests = trackRequests(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    handle: requests.listener,
    stop: async () => {
      await requests.drain();
      server.closeAllConnections();
      // dynalite's close also closes LevelDB, releasing its lock for the next start on the same path.
      await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
    },
  };
}

export interface TableDefinition {
  name: string;
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
}

/** Owned tables as specified, and each replica with its source's key schema (topology's `replicaKeySchema`). */
export function tableDefinitions(
  tables: readonly TableSpec[],
  replicas: readonly { name: string; source: ReplicaSpec['source'] }[],
  physicalName: (logical: string) => string,
): TableDefinition[] {
  const owned = tables.map((t) => ({ name: physicalName(t.name), hashKey: t.hashKey, ...(t.rangeKey ? { rangeKey: t.rangeKey } : {}) }));
  const copies = replicas.map((r) => ({ name: physicalName(r.name), ...replicaKeySchema(r, tables) }));
  return [...owned, ...copies];
}

/** Creates the tables that do not exist yet (a persisted data dir keeps the others) and waits for them. */
export async function createTables(endpoint: string, definitions: TableDefinition[]): Promise<{ created: string[] }> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const existing = new Set<string>();
    let start: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      for (const name of out.TableNames ?? []) existing.add(name);
      start = out.LastEvaluatedTableName;
      if (!start) break;
    }
    const missing = definitions.filter((d) => !existing.has(d.name));
    await Promise.all(missing.map((d) => client.send(new CreateTableCommand(createTableInput(d)))));
    await Promise.all(missing.map((d) => waitUntilActive(client, d.name)));
    return { created: missing.map((d) => d.name) };
  } finally {
    client.destroy();
  }
}

function createTableInput(d: TableDefinition) {
  const keys = keyAttributesOf(d);
  const KeySchema: KeySchemaElement[] = keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' }));
  const AttributeDefinitions: AttributeDefinition[] = keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type }));
  return { TableName: d.name, KeySchema, AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' as const };
}

async function waitUntilActive(client: DynamoDBClient, name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Table ${name} did not become ACTIVE`);
}
