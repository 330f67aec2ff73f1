import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { originDigest, parseOrigins } from '../topology/http-policy';
import { functions, physicalName, replicaFeed, tables } from '../topology/index';
import { functionDir, ROOT } from '../bundle';
import { createTables, startDynamo, tableDefinitions } from './dynamodb';
import { esmSettings, startEventSourceMapping, type EsmFaults, type EsmSettings, type EventSourceMapping } from './kinesis/event-source-mapping';
import { FunctionPool, type PoolFunction } from './lambda';
import { startGateway } from './gateway';
import { loadSessionKeys, watchSessionKeys, type SessionKeys } from './secrets/session-keys';
import { startKinesis } from './kinesis';
import { lambdaEnv } from './lambda/environment';
import { findLambdaNode, type LambdaNode } from './lambda/node';
import { attachLogStreams } from './logs/streams';
import { attachLogView, printRequest } from './logs/view';
import { MetricLog } from './cloudwatch/metrics';
import { startControl } from './control';
import { loadReplicas, ReplicaSet, type ReplicaSetOptions } from './replica-set';
import { startSecretsManager } from './secrets';
import { memoryStackDir, writeStackFile } from './stack-file';
import { startStreamingDestination, type StreamingDestination } from './dynamodb/streaming-destination';
import { localTracer, startTraceCollector, traceparentOfChange } from './traces/collector';
import { TraceStore } from './traces/store';
import { answerTraceApi } from './traces/trace-api';

export interface StackOptions {
  /** Keep everything in memory: nothing is read from or written to the data dir. */
  memory?: boolean;
  /** Gateway port; 0 picks a free one. Default: PORT or 3000. */
  port?: number;
  /** Where persisted state lives (default `.local/` in the repo). */
  dataDir?: string;
  /** Added to every function's environment (e.g. `SCRYPT_N`, `LOG_LEVEL`). */
  env?: Record<string, string>;
  maxWorkersPerFunction?: number;
  /** No log lines on stdout (tests, benchmarks). */
  quiet?: boolean;
  /** Cross-origin callers allowed; default CORS_ALLOWED_ORIGINS, else same origin only. */
  corsAllowedOrigins?: string[];
  /** Test fixtures: run another bundle, or other settings, in place of a topology function. */
  functions?: Record<string, FunctionOverride>;
  /**
   * The change stream's event source mapping (batch size, batching window, retries, idle polling …),
   * overriding topology's CHANGE_CONSUMER setting by setting. Checked against AWS's limits at start.
   */
  changeConsumer?: Partial<EsmSettings>;
  /** Test-only: duplicate/reorder deliveries and fail invocations in the change stream's event source mapping. */
  replicationFaults?: EsmFaults;
  /** Test and bench hook: sees every event the mapping sends to the replicator, as it is sent (to check per-key order). */
  observeReplication?: (event: KinesisStreamEvent) => void;
  /** Test-only: answer this share of the functions' DynamoDB calls with a throttling error, as AWS does under load. */
  dynamoFaults?: { throttleRate?: number };
}

export interface FunctionOverride {
  bundle?: string;
  timeoutSeconds?: number;
  memoryMb?: number;
}

export interface Stack {
  url: string;
  port: number;
  dynamoEndpoint: string;
  secretsManagerEndpoint: string;
  kinesisEndpoint: string;
  pool: FunctionPool;
  /** The change stream's event source mapping feeding the replicator: `status()`, `waitIdle()`. */
  replication: EventSourceMapping;
  /** The streaming-destination proxy the functions' DynamoDB calls go through (requests, captured, throttled). */
  changeCapture: Pick<StreamingDestination, 'stats'>;
  /** The spans the functions and the runtime recorded (`npm run trace`); in the data dir unless in memory. */
  traces: TraceStore;
  /** Root of persisted state; undefined in memory mode. */
  dataDir: string | undefined;
  /** Its log stream files (read by `npm run logs`): `<dataDir>/logs`, or in memory mode a temporary folder removed at stop. */
  logsDir: string;
  /** The Node the functions run on: the deployed runtime's major when installed (see local/lambda/node.ts). */
  functionsNode: LambdaNode;
  /** The control endpoint `npm run release -- --local` drives (versions, aliases, metrics); also in the stack file. */
  control: { url: string; token: string };
  /** Physical name of a table or replica (what the functions get in their environment). */
  tableName(logical: string): string;
  /**
   * The replicas it runs with now (`<dataDir>/replicas.json`, else topology's); `npm run replicas -- add|remove`
   * changes them through the control endpoint, without a restart.
   */
  replicas: Pick<ReplicaSet, 'list' | 'add' | 'remove'>;
  /** The session keys the functions run with now (`npm run session-key -- rotate` changes them). */
  sessionKeys(): SessionKeys;
  stop(): Promise<void>;
}

/** Secrets Manager id of the session signing key (its value is the private JWK). */
export const SIGNING_KEY_SECRET_ID = 'noops-todo/local/session-signing-key';
/** Secrets Manager id of the origin secret the local gateway (the edge) sends and the functions check. */
export const ORIGIN_SECRET_ID = 'noops-todo/local/origin-verify';
export const DEFAULT_DATA_DIR = path.join(ROOT, '.local');

/**
 * Starts the whole stack from topology/, one piece per line, and stops them in reverse. If a step
 * fails, what already started is stopped before the error is rethrown.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = options.memory ? undefined : path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const tableName = (logical: string) => physicalName('', logical);
  const corsAllowedOrigins = options.corsAllowedOrigins ?? parseOrigins(options.env?.CORS_ALLOWED_ORIGINS ?? process.env.CORS_ALLOWED_ORIGINS);
  // Checked before anything starts, so a bad setting fails fast.
  const changeConsumer = esmSettings(options.changeConsumer);
  const functionsNode = await findLambdaNode({ env: process.env, root: ROOT, host: { execPath: process.execPath, version: process.version } });
  const stops: Array<() => Promise<void>> = [];
  let replication: EventSourceMapping | undefined;
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch((err: Error) => console.error(`stopping: ${err.message}`));
  };
  try {
    // In memory mode the stack file and log streams go to a temporary folder, so `npm run logs` finds them.
    const memoryDir = dataDir ? undefined : await memoryStackDir();
    if (memoryDir) stops.push(memoryDir.remove);
    const runtimeDir = dataDir ?? memoryDir!.dir;
    // Fresh per start: the gateway and the functions that check it start and stop together.
    let secrets: Awaited<ReturnType<typeof startSecretsManager>> | undefined;
    const edge = { originSecret: () => secrets?.current(ORIGIN_SECRET_ID) ?? '' };
    // The OTLP receiver the functions export their spans to; the gateway and the streaming destination record directly.
    const traces = await TraceStore.open(dataDir);
    const collector = await startTraceCollector(traces);
    stops.push(collector.stop);
    const tracer = localTracer(traces);
    // What CloudWatch would get: every settled invocation and API response, for the rehearsal's alarms.
    const metrics = new MetricLog();
    const gateway = await startGateway({
      port: options.port ?? Number(process.env.PORT ?? 3000), corsAllowedOrigins, edge, tracer,
      traceApi: (method, path) => answerTraceApi(traces, method, path),
      onRequest: (info) => {
        metrics.record({ kind: 'request', at: info.at, statusCode: info.statusCode });
        if (!options.quiet) printRequest(info, { stream: process.stdout });
      },
    });
    stops.push(gateway.stop);
    let keys = await loadSessionKeys(dataDir);
    const dynamo = await startDynamo(dataDir ? { path: path.join(dataDir, 'dynamodb') } : {});
    stops.push(dynamo.stop);
    const initialReplicas = await loadReplicas(dataDir);
    await createTables(dynamo.endpoint, tableDefinitions(tables, initialReplicas, tableName));
    // Set once the pool runs: a replica added or removed recycles its reader and the replicator.
    let applyReplicas: ReplicaSetOptions['apply'] = async () => {};
    const replicaSet = new ReplicaSet({ initial: initialReplicas, dataDir, dynamoEndpoint: dynamo.endpoint, physicalName: tableName, apply: (affected) => applyReplicas(affected) });
    secrets = await startSecretsManager({ secrets: {
      [SIGNING_KEY_SECRET_ID]: JSON.stringify(keys.privateJwk),
      [ORIGIN_SECRET_ID]: randomBytes(32).toString('base64url'),
    } });
    stops.push(secrets.stop);
    const kinesis = await startKinesis({ dataDir });
    stops.push(kinesis.stop);
    // Functions reach DynamoDB through the streaming-destination proxy, which publishes owned-table changes to the stream.
    const capture = await startStreamingDestination({
      dynamoEndpoint: dynamo.endpoint,
      dynamoHandler: dynamo.handle,
      kinesisEndpoint: kinesis.endpoint,
      streamName: kinesis.streamName,
      streamedTables: tables.filter((t) => t.streamed).map((t) => tableName(t.name)),
      ...(options.dynamoFaults ? { faults: options.dynamoFaults } : {}),
      // A record on the stream wakes the mapping's idle poller of that shard (set once the mapping runs).
      onPublished: (shardId) => replication?.wake(shardId),
      tracer,
    });
    stops.push(capture.stop);
    const endpoints = { dynamodb: capture.endpoint, secretsManager: secrets.endpoint, kinesis: kinesis.endpoint };
    const envOf = (spec: (typeof functions)[number], bundle: string, memoryMb: number) => lambdaEnv({
      spec: { ...spec, memoryMb },
      replicas: replicaSet.list(),
      physicalName: tableName,
      endpoints,
      sessionPublicKeys: keys.publicJwks,
      signingKeySecretId: SIGNING_KEY_SECRET_ID,
      originSecretId: ORIGIN_SECRET_ID,
      originDigest: originDigest(secrets!.current(ORIGIN_SECRET_ID)),
      publicBaseUrl: gateway.url,
      corsOrigins: corsAllowedOrigins,
      logLevel: process.env.LOG_LEVEL ?? 'INFO',
      taskRoot: path.dirname(bundle),
      path: process.env.PATH ?? '/usr/bin:/bin',
      tracesEndpoint: collector.endpoint,
      extra: options.env,
    });
    const settings = functions.map((spec) => {
      const override = options.functions?.[spec.name] ?? {};
      return { spec, override, bundle: override.bundle ?? path.join(functionDir(spec.name), 'index.mjs'), memoryMb: override.memoryMb ?? spec.memoryMb };
    });
    const pool = new FunctionPool({
      functions: settings.map(({ spec, override, bundle, memoryMb }): PoolFunction => ({
        name: spec.name, bundle, env: envOf(spec, bundle, memoryMb), timeoutMs: (override.timeoutSeconds ?? spec.timeoutSeconds) * 1000, memoryMb,
      })),
      ...(options.maxWorkersPerFunction ? { maxWorkersPerFunction: options.maxWorkersPerFunction } : {}),
      execPath: functionsNode.execPath,
    });
    if (dataDir) {
      // A rotation as on AWS: the new private key becomes the secret's AWSCURRENT version, then the
      // functions that hold keys get the new configuration, which starts new instances.
      const watcher = watchSessionKeys(dataDir, keys.generation, (rotated) => {
        keys = rotated;
        secrets.put(SIGNING_KEY_SECRET_ID, JSON.stringify(keys.privateJwk));
        for (const { spec, bundle, memoryMb } of settings) if (spec.sessionKey) pool.reconfigure(spec.name, envOf(spec, bundle, memoryMb));
      });
      stops.push(async () => watcher.close());
    }
    // CloudWatch-like log stream files (read by `npm run logs`), closed after the pool's last lines.
    const logStreams = attachLogStreams(pool, { dataDir: runtimeDir });
    stops.push(async () => {
      await pool.stop();
      await logStreams.close();
    });
    if (!options.quiet) attachLogView(pool, { stream: process.stdout });
    pool.on('result', (r) => metrics.record({ kind: 'invocation', ...r }));
    pool.on('spans', (s) => collector.receive(s.upstream, s.body));
    const control = await startControl(pool, metrics, replicaSet);
    stops.push(control.stop);
    replication = await startEventSourceMapping({
      kinesisEndpoint: kinesis.endpoint,
      streamName: kinesis.streamName,
      invoke: (event) => {
        options.observeReplication?.(event);
        return pool.invoke('replicator', event);
      },
      settings: changeConsumer,
      dataDir,
      faults: options.replicationFaults,
      // A record given up on says so on its own trace (AWS's event source mapping makes no span for it).
      onDiscard: (records, failure) => {
        for (const record of records) {
          tracer({
            name: 'send to on-failure destination', service: 'lambda-event-source-mapping', kind: 'producer', parent: traceparentOfChange(record.Data),
            attributes: { 'messaging.system': 'aws_kinesis', 'messaging.message.id': record.SequenceNumber, 'aws.lambda.esm.condition': failure.requestContext.condition, 'aws.lambda.esm.invoke_count': failure.requestContext.approximateInvokeCount },
          }).end({ error: `sent to the on-failure destination (${failure.requestContext.condition})` });
        }
      },
    });
    stops.push(replication.stop);
    // Routing starts last. The gateway itself started first (to claim the port before anything else) and
    // so stops last, answering 503 while the pieces behind it stop.
    gateway.serve(pool);
    const logsDir = path.join(runtimeDir, 'logs');
    const startedAt = new Date().toISOString();
    const writeStack = () => {
      const current = replicaSet.list();
      const names = Object.fromEntries([...tables, ...current].map((t) => [t.name, tableName(t.name)]));
      const feeds = current.map((r) => ({ name: r.name, ...replicaFeed(r, tableName) }));
      return writeStackFile(runtimeDir, { url: gateway.url, dynamoEndpoint: dynamo.endpoint, kinesisEndpoint: kinesis.endpoint, streamName: kinesis.streamName, tables: names, replicas: feeds, memory: !dataDir, logsDir, tracesUrl: collector.url, functionsNode, control: { url: control.url, token: control.token }, pid: process.pid, startedAt });
    };
    // As a Lambda configuration change: new instances of the reader and the replicator get the new
    // environment, in-flight invocations end on the old one; then the CLIs see the new list.
    applyReplicas = async (affected) => {
      for (const { spec, bundle, memoryMb } of settings) if (affected.includes(spec.name)) pool.reconfigure(spec.name, envOf(spec, bundle, memoryMb));
      await Promise.all(affected.map((name) => pool.reconfigured(name)));
      await writeStack();
    };
    stops.push(await writeStack());
    return { url: gateway.url, port: gateway.port, dynamoEndpoint: dynamo.endpoint, secretsManagerEndpoint: secrets.endpoint, kinesisEndpoint: kinesis.endpoint, pool, replication, changeCapture: { stats: capture.stats }, traces, dataDir, logsDir, functionsNode, control: { url: control.url, token: control.token }, tableName, replicas: replicaSet, sessionKeys: () => keys, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
