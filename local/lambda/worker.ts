/**
 * The entry point of one function instance (a child process forked by the function pool): imports the
 * bundle once (the cold start), then runs one invocation at a time with a Lambda-like context, like the
 * Lambda Node.js runtime does inside one execution environment. It follows the nodejs24.x runtime
 * interface client (aws/aws-lambda-nodejs-runtime-interface-client, src/function/callback-deprecation.ts
 * and src/context/context-builder.ts): a handler declaring a third (callback) parameter fails the init
 * with Runtime.CallbackHandlerDeprecated, a handler is awaited, and the context has no callback methods.
 */
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { startTelemetryExtension } from './telemetry-extension';
import { SYNC_MARK, toErrorPayload, type InvokeMessage, type OutputMarks, type SpansMessage, type WorkerMessage } from './worker-protocol';

type Handler = (event: unknown, context: object) => unknown;
type Outgoing = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'marks'> : never) : never;
type OutputStream = keyof OutputMarks;

const bundle = process.argv[2] ?? '';
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
let currentRequestId: string | undefined;
let sync = 0;
const marks: OutputMarks = { stdout: 0, stderr: 0 };
const written = { stdout: false, stderr: false };
const rawWrite = { stdout: watchWrites('stdout'), stderr: watchWrites('stderr') };

patchConsole();
// Lambda's init duration covers the extensions' init too.
const initStarted = performance.now();
// Extensions initialise before the function (Lambda's init phase): the function exports to this one,
// which hands the spans to the runtime over the IPC channel (cheaper than a second HTTP request).
const upstream = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
const forward = (body: string) => new Promise<void>((resolve) => {
  const message: SpansMessage = { type: 'spans', upstream: upstream!, body };
  if (!process.send?.(message, undefined, {}, () => resolve())) resolve();
});
const extension = upstream ? await startTelemetryExtension(forward) : undefined;
if (extension) process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = extension.endpoint;
let handler: Handler;
try {
  const mod = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw Object.assign(new Error(`${bundle} does not export a handler function`), { name: 'Runtime.HandlerNotFound' });
  if (mod.handler.length >= 3) {
    throw Object.assign(new Error(`${bundle} exports a callback-style handler (event, context, callback): Lambda runs only async handlers from Node.js 24 on`), { name: 'Runtime.CallbackHandlerDeprecated' });
  }
  handler = mod.handler as Handler;
  send({ type: 'ready', initDurationMs: performance.now() - initStarted });
} catch (err) {
  const error = toErrorPayload(err);
  console.error(`${error.errorType}: ${error.errorMessage}`);
  // Exit only once the pool has the reason; a bare exit would read as a crash.
  send({ type: 'init-error', error }, () => process.exit(1));
}

process.on('message', (message: InvokeMessage) => {
  if (message.type === 'invoke') void invoke(message);
});
// The pool closes the channel when it stops; a worker must not outlive it.
// Buffered spans go upstream first, as Lambda's Shutdown event gives extensions time to.
process.on('disconnect', () => void (extension?.flush() ?? Promise.resolve()).finally(() => process.exit(0)));

async function invoke(message: InvokeMessage): Promise<void> {
  currentRequestId = message.id;
  if (message.traceId) process.env._X_AMZN_TRACE_ID = message.traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  try {
    const result = await callHandler(message);
    send({ type: 'result', id: message.id, result, maxMemoryUsedMb: maxMemoryUsedMb(), ...spansOf() });
  } catch (err) {
    const error = toErrorPayload(err);
    // Lambda logs a function error with the request id before reporting it.
    console.error(`Invoke Error \t${JSON.stringify(error)}`);
    send({ type: 'error', id: message.id, error, maxMemoryUsedMb: maxMemoryUsedMb(), ...spansOf() });
  } finally {
    currentRequestId = undefined;
  }
}

/** The spans the function exported during this invocation, to ride on its result message. */
function spansOf(): { spans?: { upstream: string; body: string } } {
  const body = extension?.take();
  return body && upstream ? { spans: { upstream, body } } : {};
}

async function callHandler(message: InvokeMessage): Promise<unknown> {
  const context = {
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: message.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    ...(message.traceId ? { xRayTraceId: message.traceId } : {}),
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
  return await handler(message.event, context);
}

/** High-water resident set size of this process, like Lambda's "Max Memory Used" (one getrusage call). */
function maxMemoryUsedMb(): number {
  return Math.ceil(process.resourceUsage().maxRSS / 1024);
}

/**
 * Sends a message, then marks each stream written to since its last mark (see OutputMarks): the
 * message leaves first, so a result never waits on a pipe write that wakes the pool.
 */
function send(message: Outgoing, sent?: () => void): void {
  sync += 1;
  const marked = (['stdout', 'stderr'] as const).filter((name) => written[name]);
  for (const name of marked) marks[name] = sync;
  process.send?.({ ...message, marks: { ...marks } }, undefined, {}, () => sent?.());
  for (const name of marked) {
    written[name] = false;
    rawWrite[name](`${SYNC_MARK}${sync}\n`);
  }
}

/** Notes every write to a stream (console, Powertools' own Console, direct writes); returns the unwatched write. */
function watchWrites(name: OutputStream): (text: string) => void {
  const stream = process[name];
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]) => {
    written[name] = true;
    return write(...args);
  }) as typeof stream.write;
  return (text) => void write(text);
}

/**
 * The Lambda runtime's text log format: `time \t requestId \t LEVEL \t message`, with newlines turned
 * into carriage returns so a multi-line message stays one log event. Powertools Logger writes JSON
 * through its own Console and is not affected.
 */
function patchConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;
  for (const [method, level] of Object.entries(levels) as Array<[keyof typeof levels, string]>) {
    const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
    console[method] = (...args: unknown[]) => {
      const text = format(...args).replace(/\n/g, '\r');
      stream.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${text}\n`);
    };
  }
}
