import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, exportJWK } from 'jose';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { lambdaEnv } from '../../local/lambda/environment';
import { startSecretsManager } from '../../local/secrets';
import { functionDir } from '../../bundle';
import { functionSpec, replicas, tables, type FunctionName, type TableSpec } from '../../topology/index';
import { originDigest } from '../../topology/http-policy';
import { LOCAL_AWS_ENV } from '../load/run';

// dynalite ships no types; the local runtime owns the project's shim, so take it untyped here.
const dynalite = createRequire(import.meta.url)('dynalite') as (o: Record<string, number>) => Server;

const BENCH_ORIGIN_SECRET_ID = 'bench/origin-verify';
const BENCH_SIGNING_KEY_SECRET_ID = 'bench/session-signing-key';
/** Sent by `httpEvent` as the edge would. */
export const BENCH_ORIGIN_SECRET = 'bench-origin-secret';

export interface FunctionEnv {
  envFor: (name: FunctionName) => Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * The environment each function would get from the local runtime (local/lambda/environment.ts), pointed at a
 * private in-memory dynalite with every table, so a fresh process can answer a request on its own.
 */
export async function functionEnv(): Promise<FunctionEnv> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const specs: TableSpec[] = [...tables, ...replicas.map((r) => ({ ...tables.find((t) => t.name === r.source)!, name: r.name as never }))];
  for (const t of specs) {
    const attrs = [t.hashKey, ...(t.rangeKey ? [t.rangeKey] : [])];
    await client.send(
      new CreateTableCommand({
        TableName: t.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attrs.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        KeySchema: attrs.map((a, i) => ({ AttributeName: a.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  }
  client.destroy();
  // What the runtime's Secrets Manager holds: the origin secret (its digest is in each environment, as
  // on AWS) and the user function's private signing key, so a function that reads either finds it.
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'EdDSA' };
  const secrets = await startSecretsManager({ secrets: { [BENCH_ORIGIN_SECRET_ID]: BENCH_ORIGIN_SECRET, [BENCH_SIGNING_KEY_SECRET_ID]: JSON.stringify(privateJwk) } });
  const envFor = (name: FunctionName) =>
    lambdaEnv({
      spec: functionSpec(name),
      replicas,
      physicalName: (logical) => logical,
      // Nothing listens on Kinesis's discard port: no function writes to the stream here.
      endpoints: { dynamodb: endpoint, secretsManager: secrets.endpoint, kinesis: 'http://127.0.0.1:9' },
      sessionPublicKeys: [publicJwk],
      signingKeySecretId: BENCH_SIGNING_KEY_SECRET_ID,
      originSecretId: BENCH_ORIGIN_SECRET_ID,
      originDigest: originDigest(BENCH_ORIGIN_SECRET),
      publicBaseUrl: 'http://127.0.0.1',
      logLevel: 'WARN',
      taskRoot: functionDir(name),
      path: process.env.PATH ?? '',
    });
  return { envFor, stop: async () => {
    await secrets.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } };
}
