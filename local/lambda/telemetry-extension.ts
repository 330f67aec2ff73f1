import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long spans wait in the extension at most: one upstream request per window, not per invocation. */
const BATCH_MS = 50;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface TelemetryExtension {
  /** The OTLP/HTTP endpoint the function exports to, in its own execution environment. */
  endpoint: string;
  /** Sends what is buffered upstream now (the instance is stopping). */
  flush(): Promise<void>;
  /**
   * Hands over what is buffered, as one OTLP/HTTP JSON body, instead of forwarding it later (undefined:
   * nothing buffered). The worker sends it with the invocation's result: no message of its own.
   */
  take(): string | undefined;
}

/**
 * The local stand-in for the ADOT collector Lambda layer: an OTLP/HTTP receiver inside the function's
 * execution environment (here, its worker process) that answers the function at once and forwards the
 * spans after the invocation: the worker takes them with the invocation's result (`take`), and what
 * arrives outside an invocation goes after a batch window with `forward` (over the worker's IPC channel:
 * a second HTTP request per batch cost the instance ~1 ms of CPU, and a message of their own per
 * invocation cost the runtime's busy process a wake-up). A Lambda extension runs in
 * the same sandbox as the function and may keep working after the function has returned, while the
 * environment is not frozen ("Lambda Extensions API", AWS Lambda Developer Guide). So, like on AWS with
 * the layer, the function's export before returning is a loopback call, and the slow hop is off the
 * response path.
 */
export async function startTelemetryExtension(forward: (body: string) => Promise<void>, batchMs = BATCH_MS): Promise<TelemetryExtension> {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending = Promise.resolve();

  const take = (): string | undefined => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const resourceSpans = pending;
    pending = [];
    return resourceSpans.length > 0 ? `{"resourceSpans":[${resourceSpans.join(',')}]}` : undefined;
  };
  const flush = (): Promise<void> => {
    const body = take();
    if (body) sending = sending.then(() => forward(body)).catch((err: Error) => {
      // As a collector would: a failed export is dropped and said once, never retried into the next invocation.
      process.stderr.write(`${JSON.stringify({ level: 'WARN', message: 'telemetry extension: spans not forwarded', error: err.message })}\n`);
    });
    return sending;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        pending.push(...resourceSpansOf(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        timer ??= setTimeout(() => void flush(), batchMs);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BadRequest', message: (err as Error).message } }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // The worker exits when its pool goes; the extension must not hold it open.
  server.unref();
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, flush, take };
}

const PREFIX = '{"resourceSpans":[';
const SUFFIX = ']}';

/**
 * The `resourceSpans` entries of an OTLP/HTTP JSON body, each as JSON text. The exporter's own bodies
 * (lambdas/shared/otlp.ts) are cut without parsing, which is most of this hop's cost; any other body is parsed.
 */
export function resourceSpansOf(body: string): string[] {
  if (body.startsWith(PREFIX) && body.endsWith(SUFFIX)) {
    const inner = body.slice(PREFIX.length, -SUFFIX.length);
    return inner ? [inner] : [];
  }
  const parsed = JSON.parse(body) as { resourceSpans?: unknown[] };
  return (parsed.resourceSpans ?? []).map((r) => JSON.stringify(r));
}
