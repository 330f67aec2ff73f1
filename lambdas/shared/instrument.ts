import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { TracingConfig } from './config';
import { configureTracing, contextFrom, flushSpans, inSpan, SpanKind, SpanStatusCode, type Span } from './tracing';

export interface Observability {
  logger: Logger;
  metrics?: Metrics;
  /** The function's tracing settings (config.tracing), applied once when the handler is wrapped. */
  tracing?: TracingConfig;
}

let coldStart = true;

/**
 * Wraps a handler the way Powertools' middy middlewares would, without middy: Lambda context on every
 * log line (function name, cold start, request id; the trace id comes from the logger's formatter), a fresh debug-sampling decision,
 * an OpenTelemetry span around the invocation (faas semantic conventions; an HTTP call continues the
 * caller's W3C `traceparent`), and at the end the invocation's metrics as one EMF line and its spans
 * exported. The only place that calls `logger.addContext`: a second call would report every cold start
 * as warm.
 */
export function instrument<E, R>(tools: Observability, handler: (event: E, context?: Context) => Promise<R>) {
  const { logger, metrics } = tools;
  if (tools.tracing) configureTracing(tools.tracing);
  const invocationName = tools.tracing?.resource['faas.name'] ?? 'invocation';
  return async (event: E, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    logger.refreshSampleRateCalculation();
    const http = isHttp(event) ? event : undefined;
    const attributes = {
      'faas.trigger': http ? 'http' : 'pubsub',
      'faas.coldstart': coldStart,
      ...(context ? { 'faas.invocation_id': context.awsRequestId } : {}),
      ...(http ? httpAttributes(http) : {}),
    };
    coldStart = false;
    const name = http ? (http.routeKey ?? 'HTTP') : invocationName;
    const kind = http ? SpanKind.SERVER : SpanKind.CONSUMER;
    try {
      return await inSpan(name, { kind, attributes, parent: contextFrom(http?.headers?.traceparent) }, async (span) => {
        const result = await handler(event, context);
        if (http) endHttp(span, result as APIGatewayProxyStructuredResultV2);
        return result;
      });
    } finally {
      // An invocation that counted nothing writes no EMF line (Powertools would warn about it).
      if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
      await flushSpans();
    }
  };
}

function isHttp(event: unknown): event is APIGatewayProxyEventV2 {
  return typeof event === 'object' && event !== null && 'routeKey' in event;
}

function httpAttributes(event: APIGatewayProxyEventV2) {
  return {
    'http.request.method': event.requestContext?.http?.method,
    'http.route': event.routeKey?.split(' ')[1],
    'url.path': event.rawPath,
    // The id a user quotes (`x-request-id`): `npm run trace -- <id>` finds the trace by it.
    'aws.request_id': event.requestContext?.requestId,
  };
}

/**
 * A request answered with an error is an error span, 4xx included (OTel's HTTP convention leaves 4xx of
 * a server span unset; here a rejected request is what one looks for), with the error code as message.
 */
function endHttp(span: Span, result: APIGatewayProxyStructuredResultV2 | undefined): void {
  const status = result?.statusCode ?? 200;
  span.setAttribute('http.response.status_code', status);
  if (status < 400) return;
  let code = `HTTP ${status}`;
  try {
    code = (JSON.parse(String(result?.body)) as { error?: { code?: string } }).error?.code ?? code;
  } catch {
    // not a JSON error body
  }
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}
