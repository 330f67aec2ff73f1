import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../../bundle';
import { progress } from '../lib/log';
import { processTree, treeMemory } from '../lib/process-tree';
import { createTodos, signIn } from '../lib/stack';
import { formatStat, round, stat } from '../lib/stats';
import { emptyResult, type BenchOptions, type ScenarioResult } from '../lib/types';
import { runLoad } from '../load/run';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls GET / until the gateway answers (bounded); answers ms since spawn, or NaN. */
async function waitReady(url: string, t0: number, child: ChildProcess, timeoutMs: number): Promise<number> {
  while (performance.now() - t0 < timeoutMs && child.exitCode === null) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.status < 500, () => false);
    if (ok) return performance.now() - t0;
    await sleep(20);
  }
  return Number.NaN;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // npm start runs in its own process group: signal the group so tsx and the workers go too.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  signal('SIGINT');
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null) signal('SIGKILL');
}

/** `npm start` exactly as a developer types it, in a throwaway data directory and on a free port. */
async function startOnce(dataDir: string): Promise<{ child: ChildProcess; url: string; readyMs: number; output: () => string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), NOOPS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const readyMs = await waitReady(url, t0, child, 60_000);
  return { child, url, readyMs, output: () => out };
}

export async function startTime({ options }: { options: BenchOptions }): Promise<ScenarioResult> {
  const result = emptyResult('start', '6. `npm start`: time to ready and memory of the process tree');
  const repeats = options.quick ? 1 : Math.max(3, options.repeats);
  const readies: number[] = [];
  const rest: Array<{ rssMb: number; pssMb: number; processes: number }> = [];
  const loaded: Array<{ rssMb: number; pssMb: number; processes: number }> = [];
  let breakdown: Array<{ command: string; rssMb: number }> = [];
  for (let r = 0; r < repeats; r++) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-start-'));
    const run = await startOnce(dataDir);
    try {
      if (!Number.isFinite(run.readyMs)) throw new Error(`npm start never answered GET /: ${run.output().slice(-600)}`);
      readies.push(run.readyMs);
      progress(`start: ready in ${round(run.readyMs, 0)} ms (repeat ${r + 1}/${repeats})`);
      // Memory of the last repeat only: by then the page cache is warm, as on a developer's machine.
      if (r !== repeats - 1) continue;
      const session = await signIn(run.url, `bench-start-${Date.now()}`);
      await createTodos(run.url, session, 50);
      await sleep(options.quick ? 200 : 2_000);
      rest.push(treeMemory(run.child.pid!));
      breakdown = processTree(run.child.pid!).map(({ command, rssMb }) => ({ command: command.slice(0, 90), rssMb: round(rssMb, 1) }));
      // Scenario 1's heaviest call at its highest concurrency, sampling the tree's memory meanwhile.
      const load = runLoad({ kind: 'autocannon', url: run.url, target: { method: 'GET', paths: ['/api/todos'], headers: session.headers }, connections: 32, durationSec: options.quick ? 0.5 : 5 });
      let done = false;
      void load.finally(() => (done = true));
      while (!done) {
        loaded.push(treeMemory(run.child.pid!));
        await sleep(200);
      }
      await load;
    } finally {
      await stop(run.child);
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  const peak = loaded.reduce((a, b) => (b.rssMb > a.rssMb ? b : a), loaded[0] ?? { rssMb: Number.NaN, pssMb: Number.NaN, processes: 0 });
  result.tables.push({
    title: '`npm start`',
    columns: ['figure', 'value'],
    rows: [
      ['time to ready (spawn → GET / answers), ms', formatStat(stat(readies), 0)],
      ['processes at rest', rest[0]?.processes ?? 'n/a'],
      ['RSS of the tree at rest (MB, sum)', round(rest[0]?.rssMb ?? Number.NaN, 1)],
      ['PSS of the tree at rest (MB, shared pages split)', round(rest[0]?.pssMb ?? Number.NaN, 1)],
      ['processes under load', peak.processes],
      ['peak RSS of the tree under GET /api/todos at c=32 (MB)', round(peak.rssMb, 1)],
      ['PSS at that peak (MB)', round(peak.pssMb, 1)],
    ],
  });
  result.tables.push({ title: 'Process tree at rest', columns: ['command', 'RSS MB'], rows: breakdown.map((p) => [`\`${p.command}\``, p.rssMb]) });
  result.charts.push({ id: 'start-memory', title: 'Memory of the npm start process tree', unit: 'MB', groups: [
    { label: 'at rest', bars: [{ series: 'RSS sum', value: stat(rest.map((m) => m.rssMb)) }, { series: 'PSS sum', value: stat(rest.map((m) => m.pssMb)) }] },
    { label: 'under load (peak)', bars: [{ series: 'RSS sum', value: stat([peak.rssMb]) }, { series: 'PSS sum', value: stat([peak.pssMb]) }] },
  ] });
  result.notes.push('RSS sums count shared pages (the node binary, mapped by every worker) once per process; PSS splits them, so it is the fairer total.');
  result.data = { readyMs: readies, rest, loaded, breakdown };
  return result;
}
