import type { APIGatewayProxyEventV2, Context, KinesisStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '../shared/clients';
import { getOptionalStringFromEnv, getStringFromEnv } from '../shared/env';
import { httpHandler, json } from '../shared/http';
import { instrument } from '../shared/instrument';
import { createLogger } from '../shared/logger';
import { createMetrics } from '../shared/metrics';
import { authenticator, parseSessionKeySet } from '../shared/session';
import { traceClient } from '../shared/tracer';
import { processChanges } from './process-changes';
import { DynamoDbReplicaStore } from './replica-store';
import { parseReplicaRoutes } from './routes';
import { StateRepository } from './state-repository';
import { replicationStatus } from './status';

const logger = createLogger('replicator');
const metrics = createMetrics('replicator');
const client = traceClient(createDocumentClient());
const routes = parseReplicaRoutes(getStringFromEnv('REPLICAS'));
const state = new StateRepository(client, getStringFromEnv('REPLICATION_STATE_TABLE'));
const store = new DynamoDbReplicaStore(client);
const streamName = getOptionalStringFromEnv('CHANGE_STREAM_NAME', 'changes');
const authenticate = authenticator(parseSessionKeySet(getStringFromEnv('SESSION_PUBLIC_KEYS')));

const http = httpHandler(logger, {
  'GET /api/replication': async (event) => {
    await authenticate(event);
    return json(200, await replicationStatus(routes, state));
  },
});

/** One function, two triggers: the Kinesis event source mapping (`Records`) and API Gateway (`routeKey`). */
export const handler = instrument({ logger, metrics }, async (event: KinesisStreamEvent | APIGatewayProxyEventV2, context?: Context) => {
  if ('Records' in event) return processChanges(event, { routes, store, state, logger, metrics, streamName }, context);
  if ('routeKey' in event) return http(event, context);
  throw new Error('unsupported event: expected Kinesis Records or an API Gateway routeKey');
});
