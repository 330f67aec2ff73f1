import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

export interface Observability {
  logger: Logger;
  /** Optional so a function without AWS calls (static) need not bundle the X-Ray SDK. */
  tracer?: Tracer;
  metrics?: Metrics;
}

/**
 * Wraps a handler the way Powertools' middy middlewares would, without middy: Lambda context on every
 * log line (function name, cold start, request id), a fresh debug-sampling decision, an X-Ray
 * subsegment around the invocation, and the invocation's metrics flushed as one EMF line at the end.
 * The only place that calls `logger.addContext`: a second call would report every cold start as warm.
 */
export function instrument<E, R>(tools: Observability, handler: (event: E, context?: Context) => Promise<R>) {
  const { logger, tracer, metrics } = tools;
  const name = `## ${process.env._HANDLER ?? 'index.handler'}`;
  return async (event: E, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    logger.refreshSampleRateCalculation();
    const parent = tracer?.getSegment();
    const segment = parent?.addNewSubsegment(name);
    if (segment) tracer?.setSegment(segment);
    tracer?.annotateColdStart();
    tracer?.addServiceNameAnnotation();
    try {
      return await handler(event, context);
    } catch (err) {
      tracer?.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      segment?.close();
      if (parent) tracer?.setSegment(parent);
      // An invocation that counted nothing writes no EMF line (Powertools would warn about it).
      if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
