import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { configuredOriginGuard, type OriginGuard } from './edge';
import {
  BadRequest,
  HttpError,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  UnsupportedMediaType,
} from './errors';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type RouteHandler = (event: HttpEvent) => Promise<HttpResult>;

export const MAX_BODY_BYTES = 64 * 1024;

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown, extra: Partial<HttpResult> = {}): HttpResult {
  return {
    statusCode,
    ...extra,
    headers: { ...JSON_HEADERS, ...extra.headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function noContent(extra: Partial<HttpResult> = {}): HttpResult {
  return { statusCode: 204, ...extra, headers: { 'cache-control': 'no-store', ...extra.headers }, body: '' };
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** Maps any thrown value to the error contract; unknown errors are logged and answered without internals. */
export function toResponse(err: unknown, logger: Logger): HttpResult {
  if (err instanceof HttpError) {
    return json(err.statusCode, errorBody(err.code, err.message), { headers: err.headers });
  }
  logger.error('unexpected error', { error: err as Error });
  return json(500, errorBody('InternalError', 'Internal server error'));
}

/**
 * The HTTP adapter every API function shares. It first refuses requests that did not come through
 * CloudFront (403 `DirectAccessForbidden`, see edge.ts). API Gateway has already matched the route, so
 * dispatch is a lookup on `routeKey`; the adapter adds logging keys, the `x-request-id` header and
 * error mapping.
 */
export function httpHandler(logger: Logger, routes: Record<string, RouteHandler>, options: { edge?: OriginGuard; originSecretId?: string; originDigest?: string } = {}) {
  const throughEdge = options.edge ?? configuredOriginGuard(options.originSecretId, options.originDigest);
  return async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    logger.appendKeys({ requestId, routeKey: event.routeKey });
    let result: HttpResult;
    try {
      const checked = await throughEdge(event);
      const route = routes[checked.routeKey];
      if (!route) throw routeError(checked, Object.keys(routes));
      result = await route(checked);
    } catch (err) {
      result = toResponse(err, logger);
    }
    try {
      logger.info('request handled', { statusCode: result.statusCode, method: event.requestContext?.http?.method, path: event.rawPath });
    } finally {
      // Warm instances are reused: keys of this request must not leak into the next one's lines.
      logger.removeKeys(['requestId', 'routeKey', 'userId']);
    }
    return { ...result, headers: { ...result.headers, 'x-request-id': requestId } };
  };
}

function routeError(event: HttpEvent, known: string[]): HttpError {
  const path = event.rawPath ?? '';
  const samePath = known.some((key) => matchesPath(key.split(' ')[1] ?? '', path));
  return samePath ? new MethodNotAllowed() : new NotFound(`No route for ${event.requestContext?.http?.method} ${path}`);
}

function matchesPath(template: string, path: string): boolean {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => part.startsWith('{') || part === b[i]);
}

/** Decodes the body as strict UTF-8 with a size limit; invalid bytes are a client error, not a crash. */
export function bodyText(event: HttpEvent): string {
  if (!event.body) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequest('Request body is not valid UTF-8', 'InvalidEncoding');
  }
}

/** Parses a JSON body and validates it; the error names the first offending fields. */
export function parseBody<S extends z.core.$ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  const text = bodyText(event);
  const contentType = header(event, 'content-type') ?? '';
  if (text !== '' && !/^application\/(.+\+)?json\b/i.test(contentType)) throw new UnsupportedMediaType();
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new BadRequest('Request body is not valid JSON', 'InvalidJson');
  }
  return validate(schema, value);
}

export function parseQuery<S extends z.core.$ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return validate(schema, event.queryStringParameters ?? {});
}

/** Takes any zod 4 schema (mini or classic): both share the core `safeParse` and issue shapes. */
export function validate<S extends z.core.$ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const details = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
  throw new BadRequest(`Invalid request: ${details}`, 'ValidationError');
}

export function header(event: HttpEvent, name: string): string | undefined {
  // Payload format 2.0 lower-cases header names.
  return event.headers?.[name.toLowerCase()];
}

/** The absolute base URL the caller used, for Todo-Backend's absolute `url` fields. */
export function baseUrl(event: HttpEvent): string {
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  const host = header(event, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  return `${proto}://${host}`;
}

/**
 * The site's public base URL: the configured one (PUBLIC_BASE_URL) when set, because on AWS CloudFront
 * does not forward the viewer's Host header and API Gateway would otherwise see its own domain.
 */
export function publicBaseUrl(event: HttpEvent, configured: string | undefined): string {
  return configured ? configured.replace(/\/+$/, '') : baseUrl(event);
}
