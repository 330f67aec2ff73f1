import { createReadStream } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** One span as the local runtime keeps it: OTLP flattened, times in epoch milliseconds. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  service: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; timeMs: number; attributes: Record<string, unknown> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
}

/** Spans kept, in memory and in the file (a busy day of local use; ~1 KB each). */
const MAX_SPANS = 100_000;

/**
 * The local runtime's span store: in memory, and with a data dir also appended to
 * `<dataDir>/traces/spans.jsonl` (read back at the next start), so `npm run trace` works after a restart.
 * Both keep the newest `maxSpans`: memory is trimmed by a tenth at a time (one copy per many spans,
 * not per span), and a file that outgrew the limit is cut to it when the next start reads it.
 */
export class TraceStore {
  private spans: StoredSpan[] = [];
  private writing = Promise.resolve();

  private constructor(private readonly file: string | undefined, private readonly maxSpans: number) {}

  static async open(dataDir: string | undefined, { maxSpans = MAX_SPANS }: { maxSpans?: number } = {}): Promise<TraceStore> {
    const file = dataDir ? path.join(dataDir, 'traces', 'spans.jsonl') : undefined;
    const store = new TraceStore(file, maxSpans);
    if (file) {
      await mkdir(path.dirname(file), { recursive: true });
      const stored = await readSpans(file);
      store.spans = stored.slice(-maxSpans);
      if (stored.length > maxSpans) {
        // Rewritten whole and renamed into place, so a crash leaves the old file or the new one.
        await writeFile(`${file}.tmp`, store.spans.map((s) => `${JSON.stringify(s)}\n`).join(''));
        await rename(`${file}.tmp`, file);
      }
    }
    return store;
  }

  add(spans: readonly StoredSpan[]): void {
    if (spans.length === 0) return;
    for (const span of spans) this.spans.push(span);
    if (this.spans.length > this.maxSpans + Math.ceil(this.maxSpans / 10)) this.spans.splice(0, this.spans.length - this.maxSpans);
    const file = this.file;
    if (file) this.writing = this.writing.then(() => appendFile(file, spans.map((s) => `${JSON.stringify(s)}\n`).join(''))).catch(() => undefined);
  }

  /** How many spans it holds (at most maxSpans plus a tenth). */
  get size(): number {
    return this.spans.length;
  }

  /** Every span of a trace, ordered by start. */
  trace(traceId: string): StoredSpan[] {
    return this.spans.filter((s) => s.traceId === traceId).sort((a, b) => a.startMs - b.startMs);
  }

  /** The spans of the trace(s) `id` names: a trace id, an API request id or a Lambda invocation id. */
  find(id: string): StoredSpan[] {
    return findTrace(this.spans, id);
  }

  /** Traces of the most recent spans matching `filter` (newest first), e.g. the replicator's record spans. */
  recent(filter: (span: StoredSpan) => boolean, limit = 20): StoredSpan[] {
    const out: StoredSpan[] = [];
    for (let i = this.spans.length - 1; i >= 0 && out.length < limit; i--) if (filter(this.spans[i]!)) out.push(this.spans[i]!);
    return out;
  }

  async flush(): Promise<void> {
    await this.writing;
  }
}

export function findTrace(spans: readonly StoredSpan[], id: string): StoredSpan[] {
  const ids = new Set(spans.filter((s) => s.traceId === id || s.attributes['aws.request_id'] === id || s.attributes['faas.invocation_id'] === id).map((s) => s.traceId));
  return spans.filter((s) => ids.has(s.traceId)).sort((a, b) => a.startMs - b.startMs);
}

export async function readSpans(file: string): Promise<StoredSpan[]> {
  const spans: StoredSpan[] = [];
  try {
    for await (const line of createInterface({ input: createReadStream(file) })) {
      if (!line.trim()) continue;
      try {
        spans.push(JSON.parse(line) as StoredSpan);
      } catch {
        // a line cut by a crash
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return spans;
}
