import type { Attributes, AttributeValue, Link, SpanKind, SpanStatus } from '@opentelemetry/api';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** A span as the exporter sends it. */
export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  events: Array<{ name: string; timeMs: number; attributes: Attributes }>;
  links: Link[];
  status: SpanStatus;
}

type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number } | { arrayValue: { values: AnyValue[] } };

function anyValue(value: AttributeValue | string): AnyValue {
  if (Array.isArray(value)) return { arrayValue: { values: value.filter((v) => v !== null && v !== undefined).map((v) => anyValue(v as string)) } };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: String(value) };
}

const keyValues = (attributes: Attributes) =>
  Object.entries(attributes).filter(([, v]) => v !== undefined).map(([key, value]) => ({ key, value: anyValue(value as AttributeValue) }));
const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/**
 * The OTLP/HTTP JSON body (`ExportTraceServiceRequest`): ids in hex, times as nanosecond strings, and
 * span kinds and status codes as OTLP numbers (the API's SpanKind counts from 0, OTLP's from 1).
 * Source: OpenTelemetry Protocol Specification, "OTLP/HTTP" and "JSON Protobuf Encoding".
 */
export function otlpBody(spans: readonly FinishedSpan[], resource: Attributes): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: keyValues(resource) },
      scopeSpans: [{
        scope: { name: 'noops-todo' },
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: s.kind + 1,
          startTimeUnixNano: nanos(s.startMs),
          endTimeUnixNano: nanos(s.endMs),
          attributes: keyValues(s.attributes),
          events: s.events.map((e) => ({ name: e.name, timeUnixNano: nanos(e.timeMs), attributes: keyValues(e.attributes) })),
          links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: keyValues(l.attributes ?? {}) })),
          status: { code: s.status.code, ...(s.status.message ? { message: s.status.message } : {}) },
        })),
      }],
    }],
  });
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** node:crypto as the signer's hash (the SDK's own hash package is not a dependency of ours). */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void { this.hash.update(bytes(data)); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.hash.digest()); }
  reset(): void { this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256'); }
}

/**
 * X-Ray's OTLP endpoint, `https://xray.<region>.amazonaws.com/v1/traces`, takes OTLP/HTTP signed with
 * SigV4 for the service `xray` (AWS X-Ray Developer Guide, "OTLP endpoint"; it needs CloudWatch
 * Transaction Search enabled; CloudWatch User Guide, "OTLP Endpoints" and "Exporting collector-less traces
 * using ADOT SDKs", which grants AWSXrayWriteOnlyPolicy). Lambda gives the role's credentials in
 * the environment.
 */
const XRAY_HOST = /^xray\.([a-z0-9-]+)\.amazonaws\.com$/;

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

export interface ExportOptions {
  timeoutMs?: number;
  /** Sign for X-Ray in this region; by default taken from an `xray.<region>.amazonaws.com` endpoint. */
  sigv4Region?: string;
}

export async function exportSpans(endpoint: string, spans: readonly FinishedSpan[], resource: Attributes, options: ExportOptions = {}): Promise<void> {
  const url = new URL(endpoint);
  const body = otlpBody(spans, resource);
  const timeoutMs = options.timeoutMs ?? 2_000;
  let headers: Record<string, string> = { 'content-type': 'application/json', host: url.host };
  const region = options.sigv4Region ?? XRAY_HOST.exec(url.hostname)?.[1];
  if (region) headers = await signForXray(url, headers, body, region);
  await new Promise<void>((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, { method: 'POST', headers, agent: agents[url.protocol as 'http:'], timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`OTLP endpoint answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`OTLP export timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function signForXray(url: URL, headers: Record<string, string>, body: string, region: string): Promise<Record<string, string>> {
  // Loaded on the first export to X-Ray, not at init: locally (and in tests) no span is ever signed.
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const signer = new SignatureV4({
    service: 'xray',
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    },
  });
  const signed = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: url.hostname, path: url.pathname, headers, body, query: {} });
  return signed.headers as Record<string, string>;
}
