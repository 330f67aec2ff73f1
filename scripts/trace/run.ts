import path from 'node:path';
import { tmpdir } from 'node:os';
import { DEFAULT_DATA_DIR } from '../../local/index';
import { runningStacks } from '../../local/stack-file';
import { findTrace, readSpans, type StoredSpan } from '../../local/traces/store';
import { formatWaterfall } from './waterfall';

export interface TraceIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

const USAGE = 'usage: npm run trace -- <request-id|trace-id|invocation-id> [--data-dir <dir>] [--json] [--no-color]';

/**
 * `npm run trace -- <id>`: the waterfall of the trace(s) an id names. Spans come from the running local
 * stack's collector (in memory too), else from `<dataDir>/traces/spans.jsonl`.
 */
export async function runTrace(argv: string[], io: TraceIo): Promise<number> {
  const args = [...argv];
  const flag = (name: string) => { const i = args.indexOf(name); if (i < 0) return false; args.splice(i, 1); return true; };
  const option = (name: string) => { const i = args.indexOf(name); if (i < 0) return undefined; const [, value] = args.splice(i, 2); return value; };
  const json = flag('--json');
  const color = !flag('--no-color') && !io.env.NO_COLOR;
  const dataDir = path.resolve(option('--data-dir') ?? DEFAULT_DATA_DIR);
  const id = args[0];
  // A request id is base64url and may begin with one dash; an unknown option is `--x` or `-x`.
  const unknownOption = id !== undefined && (id.startsWith('--') || /^-[A-Za-z]$/.test(id));
  if (!id || args.length > 1 || unknownOption) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const spans = await spansFor(id, dataDir, io.env.TMPDIR || tmpdir());
  if (spans.length === 0) {
    io.stderr.write(`no trace found for "${id}" (is the request older than the stack, or not sampled?)\n`);
    return 1;
  }
  if (json) io.stdout.write(`${JSON.stringify(spans, null, 2)}\n`);
  else io.stdout.write(`${formatWaterfall(spans, { color }).join('\n')}\n`);
  return 0;
}

async function spansFor(id: string, dataDir: string, tmp: string): Promise<StoredSpan[]> {
  for (const { file } of await runningStacks(dataDir, tmp)) {
    if (!file.tracesUrl) continue;
    try {
      const res = await fetch(`${file.tracesUrl}/traces/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(5_000) });
      const { spans } = (await res.json()) as { spans: StoredSpan[] };
      if (spans.length) return spans;
    } catch {
      // a stack stopping right now: try the next source
    }
  }
  return findTrace(await readSpans(path.join(dataDir, 'traces', 'spans.jsonl')), id);
}
