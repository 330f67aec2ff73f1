import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { formatTraceparent, getTracer, recordError, SpanKind } from './tracing';

type Client = DynamoDBClient | DynamoDBDocumentClient;

/**
 * A CLIENT span around every DynamoDB call of `client` (retries included), named `DynamoDB.<Operation>`
 * with the aws.dynamodb / rpc semantic conventions, and a `traceparent` header on the request, which
 * DynamoDB ignores and the local streaming destination uses as the parent of the change's publication.
 * A DynamoDBDocumentClient shares its middleware stack with the DynamoDBClient it wraps, so either may
 * be passed. A failed condition is an answer, not a fault (replicas skip old versions by it): it is
 * recorded as an event and leaves the span's status unset.
 */
export function traceClient<T extends Client>(client: T): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
      const tables = input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {});
      const span = getTracer().startSpan(`DynamoDB.${operation}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'aws-api', 'rpc.service': 'DynamoDB', 'rpc.method': operation,
          'db.system': 'dynamodb', 'db.operation': operation, 'aws.dynamodb.table_names': tables,
        },
      });
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) request.headers.traceparent = formatTraceparent(span.spanContext());
      try {
        const out = await next(args);
        const meta = (out.output as { $metadata?: { requestId?: string; attempts?: number } }).$metadata;
        if (meta?.requestId) span.setAttribute('aws.request_id', meta.requestId);
        if (meta?.attempts) span.setAttribute('aws.attempts', meta.attempts);
        return out;
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') {
          span.recordException(err as Error);
          span.setAttribute('aws.dynamodb.condition_failed', true);
        } else {
          recordError(span, err);
        }
        throw err;
      } finally {
        span.end();
      }
    },
    { step: 'build', name: 'openTelemetrySpan', priority: 'low' },
  );
  return client;
}
