import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoredSpan, TraceStore } from './store';

const KINDS: StoredSpan['kind'][] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS: StoredSpan['status']['code'][] = ['unset', 'ok', 'error'];
const MAX_BODY_BYTES = 5 * 1024 * 1024;

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}
const attributes = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
const ms = (nanos: string | number | undefined) => Number(BigInt(nanos ?? 0) / 1000n) / 1000;

/** Flattens an OTLP/HTTP JSON `ExportTraceServiceRequest` into stored spans. */
export function fromOtlp(body: any): StoredSpan[] {
  const spans: StoredSpan[] = [];
  for (const rs of body?.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name, kind: KINDS[s.kind ?? 1] ?? 'internal', service: String(resource['service.name'] ?? 'unknown'),
          startMs: ms(s.startTimeUnixNano), endMs: ms(s.endTimeUnixNano), attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e: any) => ({ name: e.name, timeMs: ms(e.timeUnixNano), attributes: attributes(e.attributes) })),
          links: (s.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attributes(l.attributes) })),
          status: { code: STATUS[s.status?.code ?? 0] ?? 'unset', ...(s.status?.message ? { message: s.status.message } : {}) },
        });
      }
    }
  }
  return spans;
}

export interface TraceCollector {
  /** The OTLP/HTTP traces endpoint the functions export to (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  endpoint: string;
  /** The collector's base URL: `GET /traces/<id>` answers the spans of the trace(s) that id names. */
  url: string;
  /**
   * An OTLP/HTTP JSON body a function instance's telemetry extension forwarded over IPC, meant for
   * `upstream`: stored at once when that is this collector, else posted on to it (say, a Jaeger or an
   * OpenTelemetry Collector on the laptop named in the functions' environment). Never throws.
   */
  receive(upstream: string, body: string): void;
  stop(): Promise<void>;
}

/**
 * An in-process OTLP/HTTP receiver on 127.0.0.1 (`POST /v1/traces`, JSON encoding, as the OTLP
 * specification's OTLP/HTTP section defines it), feeding the store; `GET /traces/<id>` serves the CLI.
 */
export async function startTraceCollector(store: TraceStore): Promise<TraceCollector> {
  const ingest = (body: string) => store.add(fromOtlp(JSON.parse(body)));
  const agent = new http.Agent({ keepAlive: true });
  const warned = new Set<string>();
  const warnOnce = (upstream: string, message: string) => {
    if (warned.has(upstream)) return;
    warned.add(upstream);
    process.stderr.write(`${JSON.stringify({ level: 'WARN', message: 'trace collector: spans dropped', upstream, error: message })}\n`);
  };
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname.startsWith('/traces/')) {
      return answer(200, { spans: store.find(decodeURIComponent(url.pathname.slice('/traces/'.length))) });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/traces') return answer(404, { error: { code: 'NotFound', message: 'POST /v1/traces or GET /traces/<id>' } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return req.destroy();
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        ingest(Buffer.concat(chunks).toString('utf8'));
        answer(200, {});
      } catch (err) {
        answer(400, { error: { code: 'BadRequest', message: (err as Error).message } });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoint = `${url}/v1/traces`;
  return {
    endpoint,
    url,
    receive: (upstream, body) => {
      if (upstream !== endpoint) return void post(upstream, body, agent).catch((err: Error) => warnOnce(upstream, err.message));
      try {
        ingest(body);
      } catch (err) {
        warnOnce(upstream, (err as Error).message);
      }
    },
    stop: async () => {
      agent.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
      await closed;
      await store.flush();
    },
  };
}

function post(url: string, body: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer in 2 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** A span the local runtime itself records (the gateway, the streaming destination): straight into the store. */
export interface LocalSpan {
  /** Its W3C traceparent, for the next hop. */
  traceparent: string;
  end(result?: { error?: string; attributes?: Record<string, unknown> }): void;
}

export type LocalTracer = (span: { name: string; service: string; kind: StoredSpan['kind']; parent?: string; attributes?: Record<string, unknown> }) => LocalSpan;

export function localTracer(store: TraceStore): LocalTracer {
  return ({ name, service, kind, parent, attributes: attrs = {} }) => {
    const match = parent ? TRACEPARENT.exec(parent) : null;
    const traceId = match?.[1] ?? randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    const startMs = performance.timeOrigin + performance.now();
    return {
      traceparent: `00-${traceId}-${spanId}-01`,
      end: ({ error, attributes: more = {} } = {}) => {
        store.add([{
          traceId, spanId, ...(match ? { parentSpanId: match[2]! } : {}), name, kind, service, startMs, endMs: performance.timeOrigin + performance.now(),
          attributes: { ...attrs, ...more }, events: error ? [{ name: 'exception', timeMs: performance.timeOrigin + performance.now(), attributes: { 'exception.message': error } }] : [], links: [],
          status: error ? { code: 'error', message: error } : { code: 'unset' },
        }]);
      },
    };
  };
}

/**
 * The W3C traceparent a DynamoDB change record carries in its image (`_trace`), if any: the trace the
 * change belongs to, for spans the runtime adds about the record (its trip to the on-failure destination).
 */
export function traceparentOfChange(data: Uint8Array | undefined): string | undefined {
  try {
    const change = JSON.parse(Buffer.from(data ?? []).toString('utf8'));
    const image = change?.dynamodb?.NewImage ?? change?.dynamodb?.OldImage;
    const value = image?._trace?.S;
    return typeof value === 'string' && TRACEPARENT.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
