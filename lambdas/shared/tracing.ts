import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context as OtelContext,
  type ContextManager,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { exportSpans, type FinishedSpan } from './otlp';

export { context, SpanKind, SpanStatusCode, trace };
export type { Span };

/**
 * OpenTelemetry tracing on the OTel API alone: a tracer, an AsyncLocalStorage context manager, the W3C
 * `traceparent` format and an OTLP/HTTP JSON exporter (otlp.ts). The SDK packages were measured and left
 * out: @opentelemetry/sdk-trace-base with its core and context manager adds ~137 KB minified to a bundle
 * and the OTLP transformer ~300 KB more, against ~9 KB for the API (docs/observability.md).
 *
 * Settings are OTel's own variables, read once at cold start by the function's configuration
 * (lambdas/shared/config.ts) and handed over with configureTracing(): the OTLP endpoint (none: spans are
 * still made, so trace ids reach logs and items, but nothing is sent) and the share of new traces
 * recorded (parent-based: a request that arrives sampled stays sampled).
 */
export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: where spans go over OTLP/HTTP. */
  endpoint: string | undefined;
  /** OTEL_TRACES_SAMPLER_ARG, 0 to 1. */
  sampleRatio: number;
  /** The OTel resource of every exported span (service.name, cloud.*, faas.name). */
  resource: Attributes;
}

const finished: FinishedSpan[] = [];
let settings: TracingSettings = { endpoint: undefined, sampleRatio: 1, resource: { 'service.name': 'unknown' } };

/** Called once per instance, at init, with the settings the function's configuration read. */
export function configureTracing(next: TracingSettings): void {
  settings = next;
}

/** The item attribute carrying the W3C traceparent of the request that wrote it (never in a read model). */
export const TRACE_ATTRIBUTE = '_trace';

const nowMs = () => performance.timeOrigin + performance.now();
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

class RecordingSpan implements Span {
  readonly attributes: Attributes = {};
  readonly events: FinishedSpan['events'] = [];
  readonly links: Link[];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endMs?: number;
  readonly startMs: number;

  constructor(
    private readonly ctx: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanId: string | undefined,
    options: SpanOptions,
  ) {
    this.startMs = toMs(options.startTime) ?? nowMs();
    this.links = [...(options.links ?? [])];
    if (options.attributes) this.setAttributes(options.attributes);
  }

  spanContext(): SpanContext { return this.ctx; }
  setAttribute(key: string, value: AttributeValue): this {
    if (value !== undefined && !this.endMs) this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.setAttribute(key, value);
    return this;
  }
  addEvent(name: string, attributes?: Attributes | TimeInput, time?: TimeInput): this {
    const attrs = attributes && typeof attributes === 'object' && !(attributes instanceof Date) && !Array.isArray(attributes) ? (attributes as Attributes) : {};
    this.events.push({ name, timeMs: toMs(time) ?? nowMs(), attributes: attrs });
    return this;
  }
  addLink(link: Link): this { this.links.push(link); return this; }
  addLinks(links: Link[]): this { this.links.push(...links); return this; }
  setStatus(status: SpanStatus): this { if (!this.endMs) this.status = status; return this; }
  updateName(name: string): this { this.name = name; return this; }
  isRecording(): boolean { return this.endMs === undefined; }
  recordException(exception: Exception, time?: TimeInput): void {
    const err = typeof exception === 'string' ? { name: 'Error', message: exception } : exception;
    this.addEvent('exception', {
      'exception.type': err.name ?? 'Error',
      'exception.message': err.message ?? '',
      ...(err.stack ? { 'exception.stacktrace': err.stack } : {}),
    }, time);
  }
  end(endTime?: TimeInput): void {
    if (this.endMs !== undefined) return;
    this.endMs = toMs(endTime) ?? nowMs();
    finished.push({
      traceId: this.ctx.traceId, spanId: this.ctx.spanId, parentSpanId: this.parentSpanId, name: this.name, kind: this.kind,
      startMs: this.startMs, endMs: this.endMs, attributes: this.attributes, events: this.events, links: this.links, status: this.status,
    });
  }
}

function toMs(time: TimeInput | undefined): number | undefined {
  if (time === undefined) return undefined;
  if (typeof time === 'number') return time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1000 + time[1] / 1e6;
}

/** Parent-based ratio sampling; the ratio compares the trace id's low 52 bits, so every service decides alike. */
function sampled(parent: SpanContext | undefined, traceId: string): boolean {
  if (parent) return (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  if (settings.sampleRatio >= 1) return true;
  return parseInt(traceId.slice(-13), 16) / 2 ** 52 < settings.sampleRatio;
}

const tracer: Tracer = {
  startSpan(name: string, options: SpanOptions = {}, ctx: OtelContext = context.active()): Span {
    const parent = options.root ? undefined : trace.getSpanContext(ctx);
    const valid = parent && trace.isSpanContextValid(parent) ? parent : undefined;
    const traceId = valid?.traceId ?? hex(16);
    const spanContext: SpanContext = { traceId, spanId: hex(8), traceFlags: sampled(valid, traceId) ? TraceFlags.SAMPLED : TraceFlags.NONE };
    if (spanContext.traceFlags === TraceFlags.NONE) return trace.wrapSpanContext(spanContext);
    return new RecordingSpan(spanContext, name, options.kind ?? SpanKind.INTERNAL, valid?.spanId, options);
  },
  startActiveSpan(name: string, ...args: unknown[]): any {
    const fn = args.pop() as (span: Span) => unknown;
    const [options, ctx] = args as [SpanOptions | undefined, OtelContext | undefined];
    const span = tracer.startSpan(name, options, ctx ?? context.active());
    return context.with(trace.setSpan(ctx ?? context.active(), span), fn, undefined, span);
  },
};

class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<OtelContext>();
  active(): OtelContext { return this.storage.getStore() ?? ROOT_CONTEXT; }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: OtelContext, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: OtelContext, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) { return manager.with(ctx, () => target.apply(this, args)); } as T;
  }
  enable(): this { return this; }
  disable(): this { this.storage.disable(); return this; }
}

const provider: TracerProvider = { getTracer: () => tracer };
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager());

export function getTracer(): Tracer {
  return tracer;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** W3C Trace Context `traceparent` (version 00) of a span, e.g. for an item attribute or a header. */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-0${ctx.traceFlags & TraceFlags.SAMPLED}`;
}

/** The span context a `traceparent` names, or undefined when it is missing or malformed (then a new trace starts). */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  const match = typeof value === 'string' ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!match) return undefined;
  const ctx: SpanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return trace.isSpanContextValid(ctx) ? ctx : undefined;
}

/** A context whose parent is the remote span a `traceparent` names (or the root context). */
export function contextFrom(traceparent: unknown): OtelContext {
  const parent = parseTraceparent(traceparent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

/** The active span's `traceparent`, written into each item a repository writes (TRACE_ATTRIBUTE). */
export function currentTraceparent(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? formatTraceparent(ctx) : undefined;
}

/**
 * An item to write with the writer's trace context in TRACE_ATTRIBUTE. A DynamoDB streaming destination
 * record carries only keys and images, so the context rides in the image to the replicator; replicas
 * never copy it (they hold only their read model). A delete's record carries the OLD image, so its
 * context is the last write's: the replicator links that trace instead of continuing it (writing the
 * delete's context first would cost a second write and a second stream record per delete).
 */
export function traced<T extends object>(item: T): T {
  const traceparent = currentTraceparent();
  return traceparent ? { ...item, [TRACE_ATTRIBUTE]: traceparent } : item;
}

/** Marks a span failed with the exception as an event (OTel's exception semantic convention). */
export function recordError(span: Span | undefined, err: unknown, message?: string): void {
  if (!span) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? (err instanceof Error ? err.message : String(err)) });
}

/** Runs `fn` in a new active span that ends when `fn` settles; a throw marks it failed and is rethrown. */
export async function inSpan<T>(name: string, options: SpanOptions & { parent?: OtelContext }, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, options.parent ?? context.active(), async (span: Span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Sends the spans finished so far (once per invocation, before Lambda freezes the instance). Never throws. */
export async function flushSpans(): Promise<void> {
  const spans = finished.splice(0);
  const { endpoint, resource } = settings;
  if (spans.length === 0 || !endpoint) return;
  try {
    await exportSpans(endpoint, spans, resource);
  } catch (err) {
    // Telemetry must never fail a request: the spans are dropped, once, with a line saying so.
    console.warn(JSON.stringify({ level: 'WARN', message: 'spans not exported', count: spans.length, error: (err as Error).message }));
  }
}
