import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
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

/** Kept in memory per run; older spans stay in the file. */
const MAX_SPANS = 100_000;

/**
 * The local runtime's span store: in memory, and with a data dir also appended to
 * `<dataDir>/traces/spans.jsonl` (read back at the next start), so `npm run trace` works after a restart.
 */
export class TraceStore {
  private readonly spans: StoredSpan[] = [];
  private writing = Promise.resolve();

  private constructor(private readonly file: string | undefined) {}

  static async open(dataDir: string | undefined): Promise<TraceStore> {
    const file = dataDir ? path.join(dataDir, 'traces', 'spans.jsonl') : undefined;
    const store = new TraceStore(file);
    if (file) {
      await mkdir(path.dirname(file), { recursive: true });
      store.spans.push(...(await readSpans(file)).slice(-MAX_SPANS));
    }
    return store;
  }

  add(spans: readonly StoredSpan[]): void {
    if (spans.length === 0) return;
    this.spans.push(...spans);
    if (this.spans.length > MAX_SPANS) this.spans.splice(0, this.spans.length - MAX_SPANS);
    const file = this.file;
    if (file) this.writing = this.writing.then(() => appendFile(file, spans.map((s) => `${JSON.stringify(s)}\n`).join(''))).catch(() => undefined);
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
