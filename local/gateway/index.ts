import { randomFillSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routes as topologyRoutes } from '../../topology';
import { toApiGatewayEvent } from './api-gateway-v2-event';
import { fromApiGatewayResult, type GatewayResponse } from './api-gateway-v2-result';
import { corsConfig, corsHeaders, isPreflight, preflightHeaders } from './cors';
import { errorJson, gatewayError, type GatewayError } from './errors';
import { matchRoute, type RouteEntry } from './routes';
import type { LocalTracer } from '../traces/collector';
import type { TraceApiAnswer } from '../traces/trace-api';

/**
 * What the gateway calls to run a function (the function pool): the integration invokes the function's
 * `live` alias, and the answer says which version ran (Invoke's `ExecutedVersion`).
 */
export interface Invoker {
  invokeVersioned(functionName: string, event: unknown, options?: { traceId?: string }): Promise<{ payload: unknown; executedVersion: string }>;
}

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number;
  /** Cross-origin callers allowed (HTTP API's CORS allowOrigins); empty: same origin only. */
  corsAllowedOrigins?: string[];
  routes?: readonly RouteEntry[];
  onRequest?: (info: RequestInfo) => void;
  /**
   * The gateway plays CloudFront: it adds the origin secret (read per request, so a rotation applies at
   * once) and `CloudFront-Viewer-Address` from the socket, and drops any copy a caller sent.
   */
  edge?: { originSecret: () => string };
  /** Records a SERVER span per routed request and hands its `traceparent` to the function. */
  tracer?: LocalTracer;
  /** Answers the local-only trace API (local/traces/trace-api.ts) before any route; undefined: not its path. */
  traceApi?: (method: string, path: string) => TraceApiAnswer | undefined;
}

export interface RequestInfo {
  requestId: string; method: string; path: string; function?: string;
  /** The function version that answered (or failed). */
  version?: string;
  statusCode: number; durationMs: number;
  /** Epoch ms when the answer was sent. */
  at: number;
}

export interface Gateway {
  url: string;
  port: number;
  /** Starts routing requests to `target`; until then every request answers 503. */
  serve(target: Invoker): void;
  stop(): Promise<void>;
}

/** HTTP API's payload size limit; the functions enforce their own, smaller one. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP API's maximum integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * A local HTTP API: binds 127.0.0.1 first (so a taken port fails before anything else starts), routes
 * like the topology's routes, and speaks payload format 2.0 to the functions.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const cors = corsConfig(options.corsAllowedOrigins ?? []);
  const routes = options.routes ?? topologyRoutes;
  let target: Invoker | undefined;
  const server = createServer((req, res) => {
    const started = performance.now();
    const requestId = newRequestId();
    const report = (statusCode: number, fn?: string, version?: string) =>
      options.onRequest?.({ requestId, method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', ...(fn ? { function: fn } : {}), ...(version ? { version } : {}), statusCode, durationMs: performance.now() - started, at: Date.now() });
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const common = { 'apigw-requestid': requestId, ...corsHeaders(cors, origin) };
    const fail = (error: Pick<GatewayError, 'statusCode' | 'code' | 'message'>, fn?: string, version?: string) => {
      send(res, { statusCode: error.statusCode, headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...common }, cookies: [], body: Buffer.from(errorJson(error)) });
      report(error.statusCode, fn, version);
    };
    if (isPreflight(req.method ?? '', req.headers) && origin) {
      // With CORS configured, HTTP API answers every preflight itself; the functions never see it.
      const headers = preflightHeaders(cors, origin, header(req, 'access-control-request-headers'));
      send(res, { statusCode: 204, headers: { 'apigw-requestid': requestId, ...headers }, cookies: [], body: Buffer.alloc(0) });
      return report(204);
    }
    readBody(req, MAX_REQUEST_BYTES).then(async (body) => {
      if (body === undefined) {
        res.setHeader('connection', 'close');
        return fail({ statusCode: 413, code: 'PayloadTooLarge', message: `Request body exceeds ${MAX_REQUEST_BYTES} bytes` });
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const local = options.traceApi?.(req.method ?? 'GET', path);
      if (local) {
        send(res, { statusCode: local.statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId, ...common }, cookies: [], body: Buffer.from(JSON.stringify(local.body)) });
        return report(local.statusCode);
      }
      if (!target) return fail({ statusCode: 503, code: 'ServiceUnavailable', message: 'The local runtime is still starting' });
      const route = matchRoute(req.method ?? 'GET', path, routes);
      if (!route) return fail({ statusCode: 404, code: 'NotFound', message: `No route for ${req.method} ${path}` });
      const { localPort, remoteAddress, remotePort } = req.socket;
      const sourceIp = (remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const edge = options.edge ? { originSecret: options.edge.originSecret(), viewerAddress: `${sourceIp}:${remotePort ?? 0}` } : undefined;
      const now = new Date();
      const event = toApiGatewayEvent(
        { method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, body, sourceIp, protocol: `HTTP/${req.httpVersion}`, port: localPort ?? 0, requestId, traceId: newTraceId(now), time: now, ...(edge ? { edge } : {}) },
        route,
      );
      // A caller's W3C traceparent is continued, as the function itself would on AWS.
      const span = options.tracer?.({
        name: route.routeKey, service: 'gateway', kind: 'server', parent: header(req, 'traceparent'),
        attributes: { 'http.request.method': req.method, 'http.route': route.routeKey.split(' ')[1], 'url.path': path, 'aws.request_id': requestId },
      });
      if (span) event.headers.traceparent = span.traceparent;
      try {
        const { payload, executedVersion } = await withTimeout(target.invokeVersioned(route.function, event, { traceId: event.headers['x-amzn-trace-id'] ?? '' }), INTEGRATION_TIMEOUT_MS);
        const response = fromApiGatewayResult(payload);
        // The request id flows back so a user can quote it; the function's own header wins.
        response.headers = { 'x-request-id': requestId, ...response.headers, ...common };
        send(res, response);
        report(response.statusCode, route.function, executedVersion);
        span?.end({ attributes: { 'http.response.status_code': response.statusCode }, ...(response.statusCode >= 400 ? { error: `HTTP ${response.statusCode}` } : {}) });
      } catch (err) {
        const error = gatewayError(err, route.function, requestId);
        fail(error, route.function, (err as { executedVersion?: string }).executedVersion);
        span?.end({ error: error.code, attributes: { 'http.response.status_code': error.statusCode } });
      }
    }).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  // Requests node's parser refuses (invalid header bytes, oversized headers, smuggling-shaped framing)
  // never reach the handler; answer them in the API's error contract too instead of node's bare 400.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = errorJson({ code: tooLarge ? 'RequestHeaderFieldsTooLarge' : 'BadRequest', message: tooLarge ? 'Request headers are too large' : 'Malformed HTTP request' });
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    serve: (invoker) => {
      target = invoker;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a moment to finish before their connections are cut.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}

function send(res: ServerResponse, response: GatewayResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') res.setHeader(name, value);
  }
  if (response.cookies.length) res.setHeader('set-cookie', response.cookies);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
}

/** The body, or undefined once it exceeds `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * HTTP API request ids are always 16 characters: 11 bytes in the URL-safe base64 alphabet with its `=`
 * padding, e.g. `LV7fzho-PHcEJPw=` (captured events in aws-lambda-go's and Powertools' test data).
 */
export function newRequestId(): string {
  return `${pooledRandomBytes(11).toString('base64url')}=`;
}

/** X-Ray's `Root=1-<epoch seconds hex>-<96-bit random hex>`; HTTP API events carry no `Sampled` flag. */
export function newTraceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16).padStart(8, '0')}-${pooledRandomBytes(12).toString('hex')}`;
}

// Ids are drawn from a pooled buffer: one getrandom call per 341 ids instead of one per id, which on a
// VM costs several microseconds each.
const entropy = Buffer.alloc(4096);
let entropyUsed = entropy.length;
function pooledRandomBytes(size: number): Buffer {
  if (entropyUsed + size > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  return entropy.subarray(entropyUsed, (entropyUsed += size));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within the ${ms / 1000} s integration timeout`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
