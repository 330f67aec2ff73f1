import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { answersRoutes, environmentOf } from '../topology/environment';
import { CHANGE_STREAM, functions, physicalName, replicaFeed, type FunctionName, type FunctionSpec, type TableName } from '../topology/index';
import { functionCode } from './bundle';
import { Alarms } from './components/alarms';
import { ChangeStream } from './components/change-stream';
import { HttpApi } from './components/http-api';
import { OriginSecret } from './components/origin-secret';
import { Replica } from './components/replica';
import { Rollout } from './components/rollout';
import { Service } from './components/service';
import { SessionKey } from './components/session-key';
import { Site } from './components/site';
import { loadConfig } from './config';
import type { Link } from './link';

/**
 * noops-todo on AWS, from topology/: CloudFront → HTTP API → one Lambda per service, each owning its
 * DynamoDB tables; every owned change flows into one Kinesis stream that the replicator applies to
 * the replica tables. See docs/deploy.md.
 */
const config = loadConfig();
const named = (logical: string) => physicalName(config.prefix, logical);

const api = new HttpApi('api', {
  physicalName: config.prefix,
  throttleRateLimit: config.api.throttleRateLimit,
  throttleBurstLimit: config.api.throttleBurstLimit,
  corsOrigins: config.api.corsOrigins,
  logRetentionDays: config.logRetentionDays,
});

const originSecret = new OriginSecret('origin-secret', { prefix: config.prefix, production: config.production, rotationDays: config.site.originSecretRotationDays });

const site = new Site('site', {
  physicalName: config.prefix,
  api,
  originSecret,
  priceClass: config.site.priceClass,
  customDomain: config.site.customDomain ? { domainName: config.site.customDomain, hostedZoneId: config.site.hostedZoneId! } : undefined,
});

const sessionKey = new SessionKey('session-key', { prefix: config.prefix, production: config.production, generation: config.sessionKeyGeneration });

const changeStream = new ChangeStream(CHANGE_STREAM.name, {
  physicalName: named(CHANGE_STREAM.name),
  mode: config.kinesis.mode,
  shardCount: config.kinesis.shardCount,
  retentionHours: config.kinesis.retentionHours,
});

const replicas = config.replicas.map((replica) => new Replica(replica.name, {
  replica,
  physicalName: named(replica.name),
  sourcePhysicalName: named(replica.source),
}));

const services = Object.fromEntries(functions.map((spec) => [spec.name, new Service(spec.name, {
  spec,
  prefix: config.prefix,
  production: config.production,
  code: functionCode(spec),
  settings: config.functions[spec.name],
  logRetentionDays: config.logRetentionDays,
  environment: environmentOf(spec, config.replicas),
  values: {
    replica: (name) => replicas.find((r) => r.args.replica.name === name)!.table.name,
    replicaFeeds: JSON.stringify(config.replicas.map((r) => replicaFeed(r, named))),
    sessionPublicKeys: sessionKey.publicJwks,
    sessionSigningKey: sessionKey.secret.arn,
    originSecret: originSecret.secret.arn,
    originDigest: originSecret.digest,
    publicUrl: site.url,
    corsOrigins: config.api.corsOrigins,
    logLevel: config.logLevel,
    // Spans go straight to X-Ray's OTLP endpoint (docs/observability.md says why no collector layer).
    tracesEndpoint: pulumi.interpolate`https://xray.${aws.getRegionOutput().region}.amazonaws.com/v1/traces`,
    traceSampleRatio: config.traceSampleRatio,
  },
  links: linksOf(spec),
  api,
  changeStream,
})])) as Record<FunctionName, Service>;

const alarms = new Alarms('alarms', {
  physicalName: config.prefix,
  region: aws.getRegionOutput().region,
  functionNames: Object.fromEntries(functions.map((spec) => [spec.name, services[spec.name].fn.function.name])),
  replicatorFunctionName: services.replicator.fn.function.name,
  failureQueueName: changeStream.failureQueue.name,
  apiId: api.api.id,
  email: config.alarmEmail,
});

const rollout = new Rollout('rollout', {
  physicalName: config.prefix,
  deploymentConfig: config.deploymentConfig,
  topicArn: alarms.topic.arn,
  functions: Object.fromEntries(functions.map((spec) => [spec.name, {
    spec,
    fn: services[spec.name].fn,
    timeoutSeconds: config.functions[spec.name].timeoutSeconds,
    // Every function answers routes, so the API's 5xx judges each; the stream consumer is also judged
    // by replication falling behind or giving batches up.
    guardAlarmNames: [alarms.byId['api-5xx']!, ...(spec.consumesChangeStream ? [alarms.byId['replication-lag']!, alarms.byId['replication-failures']!] : [])].map((a) => a.name),
  }])),
});

/** The IAM side of everything a function may touch besides its own tables (docs/security.md). */
function linksOf(spec: FunctionSpec): Link[] {
  const links = replicas.filter((r) => r.args.replica.reader === spec.name).map((r) => r.link('read'));
  if (spec.sessionKey) links.push(sessionKey.link(spec.sessionKey));
  if (answersRoutes(spec.name)) links.push(originSecret.link());
  if (spec.consumesChangeStream) links.push(changeStream.link(), ...replicas.map((r) => r.link('write')));
  return links;
}

const ownedTables = Object.values(services).flatMap((service) => Object.entries(service.tables));

export const siteUrl = site.url;
export const apiUrl = api.api.apiEndpoint;
export const tableNames = Object.fromEntries(ownedTables.map(([table, t]) => [table, t.table.name])) as Record<TableName, pulumi.Output<string>>;
export const replicaTableNames = Object.fromEntries(replicas.map((r) => [r.args.replica.name, r.table.name]));
export const streamName = changeStream.stream.name;
export const failureQueueUrl = changeStream.failureQueue.url;
export const logGroupNames = Object.fromEntries(functions.map((spec) => [spec.name, services[spec.name].fn.logGroup.name])) as Record<FunctionName, pulumi.Output<string>>;
export const accessLogGroupName = api.accessLogGroup.name;
export const alarmTopicArn = alarms.topic.arn;
export const dashboardName = alarms.dashboard.dashboardName;
/** What `npm run release` reads: per function its CodeDeploy group, alias and the version to release. */
export const release = {
  region: aws.getRegionOutput().region,
  functions: Object.fromEntries(functions.map((spec) => [spec.name, rollout.target(spec.name)])),
};
