import { CHANGE_STREAM } from '../../topology/index';
import type { APIGatewayProxyEventV2, Context, KinesisStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '../shared/clients';
import { functionConfig } from '../shared/config';
import { httpHandler, json } from '../shared/http';
import { instrument } from '../shared/instrument';
import { createLogger } from '../shared/logger';
import { createMetrics } from '../shared/metrics';
import { authenticator, parseSessionKeySet } from '../shared/session';
import { traceClient } from '../shared/tracer';
import { processChanges } from './process-changes';
import { DynamoDbReplicaStore } from './replica-store';
import { parseReplicaFeeds } from './feeds';
import { StateRepository } from './state-repository';
import { replicationStatus } from './status';

const config = functionConfig('replicator');
const logger = createLogger(config.service, config.logLevel);
const metrics = createMetrics(config.service, config.metricsNamespace);
const client = traceClient(createDocumentClient({ maxAttempts: config.number('DYNAMODB_MAX_ATTEMPTS') }));
const feeds = parseReplicaFeeds(config.replicaFeeds);
const state = new StateRepository(client, config.table('replication-state'));
const store = new DynamoDbReplicaStore(client);
const authenticate = authenticator(parseSessionKeySet(config.sessionPublicKeys), { publicBaseUrl: config.publicBaseUrl, corsOrigins: config.corsOrigins });

const http = httpHandler(logger, {
  'GET /api/replication': async (event) => {
    await authenticate(event);
    return json(200, await replicationStatus(feeds, state));
  },
}, { originSecretId: config.originSecretId, originDigest: config.originDigest });

/** One function, two triggers: the Kinesis event source mapping (`Records`) and API Gateway (`routeKey`). */
export const handler = instrument({ logger, metrics, tracing: config.tracing }, async (event: KinesisStreamEvent | APIGatewayProxyEventV2, context?: Context) => {
  if ('Records' in event) return processChanges(event, { feeds, store, state, logger, metrics, streamName: CHANGE_STREAM.name }, context);
  if ('routeKey' in event) return http(event, context);
  throw new Error('unsupported event: expected Kinesis Records or an API Gateway routeKey');
});
