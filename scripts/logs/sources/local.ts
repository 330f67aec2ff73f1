import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { functions as topologyFunctions } from '../../../topology/index';
import { byTime, type LogEvent } from '../../../local/logs/log-event';
import { sleep, type LogQuery, type LogSource } from './source';

const POLL_MS = 200;

/**
 * Reads the files local/logs/streams.ts writes: `<dataDir>/logs/<function>/<date>-[$LATEST]<worker>.jsonl`,
 * one CloudWatch-like event per line. Follow mode polls, remembering each file's read offset.
 */
export function localSource(dataDir: string, pollMs = POLL_MS): LogSource {
  const root = path.join(dataDir, 'logs');
  return {
    description: `local files in ${displayPath(root)}`,
    async functions() {
      const dirs = await readdir(root, { withFileTypes: true }).catch(() => []);
      const names = new Set<string>(topologyFunctions.map((f) => f.name));
      for (const dir of dirs) if (dir.isDirectory()) names.add(dir.name);
      return [...names].sort();
    },
    async history(query) {
      const tail = new Tail(root, query);
      return (await tail.read()).filter((e) => query.until === undefined || e.timestamp <= query.until);
    },
    async follow(query, onEvents, signal) {
      const tail = new Tail(root, query);
      while (!signal.aborted) {
        const events = await tail.read();
        if (events.length) onEvents(events);
        await sleep(pollMs, signal);
      }
    },
  };
}

/** Incremental reader over every stream file of the chosen functions. */
class Tail {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly query: LogQuery,
  ) {}

  async read(): Promise<LogEvent[]> {
    const out: LogEvent[] = [];
    for (const fn of this.query.functions) {
      const dir = path.join(this.root, fn);
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const name of files) {
        if (!name.endsWith('.jsonl')) continue;
        await this.readFile(path.join(dir, name), fn, out);
      }
    }
    return out.sort(byTime);
  }

  private async readFile(file: string, fn: string, out: LogEvent[]): Promise<void> {
    const info = await stat(file).catch(() => undefined);
    if (!info) return;
    const known = this.offsets.get(file);
    // A stream last written before the window cannot hold events in it.
    if (known === undefined && info.mtimeMs < this.query.since) {
      this.offsets.set(file, info.size);
      return;
    }
    const from = known ?? 0;
    if (info.size <= from) return;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(info.size - from);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
      this.offsets.set(file, from + bytesRead);
      const text = (this.partial.get(file) ?? '') + buffer.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      // The writer may be mid-line: keep the unterminated tail for the next read.
      this.partial.set(file, lines.pop() ?? '');
      for (const line of lines) {
        const event = toEvent(line, fn);
        if (event && event.timestamp >= this.query.since) out.push(event);
      }
    } finally {
      await handle.close();
    }
  }
}

function toEvent(line: string, fn: string): LogEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const raw = JSON.parse(line) as Partial<LogEvent>;
    if (typeof raw.timestamp !== 'number' || typeof raw.message !== 'string') return undefined;
    return { timestamp: raw.timestamp, message: raw.message, function: raw.function ?? fn, logStream: raw.logStream ?? '' };
  } catch {
    return undefined;
  }
}

/** `.local/logs` inside the working directory, the absolute path elsewhere. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}
