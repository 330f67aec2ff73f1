import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One X-Ray tracer per function. Powertools turns itself off outside Lambda and when
 * POWERTOOLS_TRACE_ENABLED=false (the local runtime sets it: there is no X-Ray daemon to send to), so
 * handlers and clients are wrapped the same way in both runtimes.
 */
export function createTracer(serviceName: string): Tracer {
  return new Tracer({ serviceName, captureHTTPsRequests: true });
}

/**
 * Records every AWS SDK v3 call of `client` as an X-Ray subsegment. A DynamoDBDocumentClient shares
 * its middleware stack with the DynamoDBClient it wraps, so either may be passed.
 */
export function traceClient<T>(tracer: Tracer, client: T): T {
  return tracer.captureAWSv3Client(client);
}
