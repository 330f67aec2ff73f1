import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER } from '../../lambdas/shared/edge';
import type { RouteMatch } from './routes';

/** What the gateway knows about one HTTP request, in plain data, so the event builder stays pure. */
export interface GatewayRequest {
  method: string;
  /** Path and query string exactly as sent, e.g. `/api/rule?current=1`. */
  url: string;
  /** Header name/value pairs as received (node's `req.rawHeaders`), duplicates included. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** `HTTP/1.1` */
  protocol: string;
  /** The local port the request came in on, for `x-forwarded-port`. */
  port: number;
  requestId: string;
  /** X-Ray trace header value API Gateway adds (`Root=1-…`). */
  traceId: string;
  time: Date;
  /** What CloudFront would add in front of the API; the local gateway plays the edge. */
  edge?: EdgeHeaders;
}

export interface EdgeHeaders {
  /** The origin secret's current value. */
  originSecret: string;
  /** `CloudFront-Viewer-Address`: the caller's `ip:port` (IPv6 unbracketed, as CloudFront writes it). */
  viewerAddress: string;
}

export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_API_ID = 'local';

// Hop-by-hop headers API Gateway drops before they reach the integration, and the headers the edge
// sets: CloudFront overwrites a viewer's copy of a custom origin header or of its own headers.
const DROPPED_HEADERS = new Set([
  'connection', 'expect', 'proxy-authenticate', 'te', 'transfer-encoding', 'upgrade', 'keep-alive',
  ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER,
]);

/** Builds the exact HTTP API payload format 2.0 event, field by field, in AWS's field order. */
export function toApiGatewayEvent(req: GatewayRequest, route: RouteMatch): APIGatewayProxyEventV2 {
  const queryIndex = req.url.indexOf('?');
  const rawPath = queryIndex === -1 ? req.url : req.url.slice(0, queryIndex);
  const rawQueryString = queryIndex === -1 ? '' : req.url.slice(queryIndex + 1);
  const { headers, cookies } = formatHeaders(req);
  const domainName = headers.host ?? `127.0.0.1:${req.port}`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: parseQuery(rawQueryString) } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method.toUpperCase(),
        path: rawPath,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: formatRequestTime(req.time),
      timeEpoch: req.time.getTime(),
    },
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
    isBase64Encoded: false,
  };
  if (req.body.length > 0) {
    const text = isTextContentType(headers['content-type']);
    event.body = text ? req.body.toString('utf8') : req.body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

/**
 * Payload 2.0 lower-cases names, joins duplicates with commas and lifts the Cookie header out into
 * `cookies[]`; API Gateway also adds the forwarding headers, an X-Ray trace header and always a
 * `content-length` (`0` without a body), as captured HTTP API events show (aws-lambda-go
 * events/testdata/apigw-v2-request-no-authorizer.json, Powertools parser tests/events/apigw-http).
 */
function formatHeaders(req: GatewayRequest): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    } else if (!DROPPED_HEADERS.has(name)) {
      headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
  }
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-port'] = String(req.port);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] = req.traceId;
  headers['content-length'] ??= String(req.body.length);
  if (req.edge) {
    headers[ORIGIN_VERIFY_HEADER] = req.edge.originSecret;
    headers[VIEWER_ADDRESS_HEADER] = req.edge.viewerAddress;
  }
  return { headers, cookies };
}

/** Percent-decodes names and values (`+` is a space in a query string); duplicates are comma-joined. */
export function parseQuery(rawQueryString: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryPart(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeQueryPart(pair.slice(eq + 1));
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return params;
}

function decodeQueryPart(part: string): string {
  const spaced = part.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Bodies of these types reach the function as text; everything else (and no type) as base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/graphql'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` uses the CLF format, always in UTC: `12/Mar/2020:19:03:58 +0000`. */
export function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
