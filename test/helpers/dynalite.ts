import { CreateTableCommand, DynamoDBClient, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { replicas, tableSpec, tables, type KeyAttribute, type TableSpec } from '../../topology/index';

export interface TestDynamo {
  endpoint: string;
  /** Physical table names by logical table or replica name (`rules`, `users-replica-for-rule`, …). */
  tableNames: Record<string, string>;
  /** A document client for arranging and inspecting table contents. */
  documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * A real in-memory dynalite on a random loopback port, with every owned table and replica of the
 * topology created under a unique prefix. Also points the AWS SDK at it through the environment, so
 * import handler modules only after this resolves.
 */
export async function startDynalite(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DYNAMODB_MAX_ATTEMPTS: '2',
  });
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const specs: Array<[string, TableSpec]> = [
    ...tables.map((t): [string, TableSpec] => [t.name, t]),
    ...replicas.map((r): [string, TableSpec] => [r.name, tableSpec(r.source)]),
  ];
  const tableNames: Record<string, string> = {};
  for (const [name, spec] of specs) {
    tableNames[name] = `test-${name}`;
    await client.send(createTable(tableNames[name], spec));
  }
  return {
    endpoint,
    tableNames,
    documentClient: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

function createTable(name: string, spec: TableSpec): CreateTableCommand {
  const keys: KeyAttribute[] = [spec.hashKey, ...(spec.rangeKey ? [spec.rangeKey] : [])];
  return new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((k): AttributeDefinition => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: keys.map((k, i): KeySchemaElement => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
  });
}
