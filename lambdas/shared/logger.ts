import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { trace } from '@opentelemetry/api';

/**
 * Powertools' own line (level, message, timestamp, service, the Lambda context, sampling rate) with the
 * active OpenTelemetry span's W3C ids as `traceId` and `spanId` instead of `xray_trace_id`. Powertools
 * takes that one from `_X_AMZN_TRACE_ID`, which Lambda sets on every invocation even with PassThrough
 * tracing ("Defined runtime environment variables", AWS Lambda Developer Guide): an X-Ray id of a trace
 * nobody records, next to ours. Read per line, so records the replicator processes in parallel each
 * carry their own trace.
 */
export class TraceLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const lambda = attributes.lambdaContext;
    const span = trace.getActiveSpan()?.spanContext();
    const ids = span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: lambda?.coldStart,
        function_arn: lambda?.invokedFunctionArn,
        function_memory_size: lambda?.memoryLimitInMB,
        function_name: lambda?.functionName,
        function_request_id: lambda?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        ...ids,
      },
    }).addAttributes(additional);
  }
}

/**
 * One JSON logger per function, at the level of its configuration (lambdas/shared/config.ts); debug
 * sampling from POWERTOOLS_LOGGER_SAMPLE_RATE, which Powertools reads itself. Never log whole events,
 * bodies, passwords, hashes or tokens.
 */
export function createLogger(serviceName: string, logLevel = 'INFO'): Logger {
  return new Logger({ serviceName, logLevel: logLevel.toUpperCase() as 'INFO', logFormatter: new TraceLogFormatter() });
}
