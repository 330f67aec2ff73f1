import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { functionDir, functionModules, moduleBytes, ROOT } from '../../bundle';
import { findLambdaNode, majorOf } from '../../local/lambda/node';
import { functions, type FunctionName } from '../../topology/index';
import { httpEvent } from '../lib/events';
import { progress } from '../lib/log';
import { round, stat, formatStat } from '../lib/stats';
import { emptyResult, target, type BenchOptions, type ScenarioResult } from '../lib/types';

const RUNNER = path.join(path.dirname(new URL(import.meta.url).pathname), '../load/cold-start.mjs');

/** One request each function can answer at cold start; the answer's status does not matter, only that it answers. */
const FIRST_REQUEST: Record<FunctionName, unknown> = {
  static: httpEvent('GET', '/', { routeKey: '$default' }),
  rule: httpEvent('GET', '/api/todos'),
  user: httpEvent('GET', '/api/currentUser'),
  replicator: httpEvent('GET', '/api/replication'),
};

/** Wall time from spawn to the first answer line, as the parent sees it (includes node's own boot). */
function timeFreshProcess(node: string, bundle: string, event: unknown, env: Record<string, string>, cwd: string): Promise<{ wallMs: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(node, [RUNNER, bundle, JSON.stringify(event)], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let wallMs = Number.NaN;
    child.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(wallMs)) wallMs = performance.now() - t0;
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"status"'));
      if (code !== 0 || !line) return reject(new Error(`fresh process for ${bundle || 'bare node'} exited ${code}: ${err.slice(-600)}`));
      resolve({ wallMs, status: (JSON.parse(line) as { status: number }).status });
    });
  });
}

export interface ColdStartInput {
  options: BenchOptions;
  /** The environment a function gets from the runtime (table names, endpoints, keys). */
  envFor: (name: FunctionName) => Record<string, string>;
  /** Functions whose bundle did not build in this run. */
  buildErrors: Record<string, string>;
}

export async function coldStart({ options, envFor, buildErrors }: ColdStartInput): Promise<ScenarioResult> {
  const result = emptyResult('cold-start', '4. Cold start proxy: bundle size and load-and-first-answer');
  const tmp = await mkdtemp(path.join(tmpdir(), 'bench-cold-'));
  const empty = path.join(tmp, 'empty.mjs');
  await writeFile(empty, "export const handler = async () => ({ statusCode: 200, body: '' });\n");
  const sizes: Array<{ name: FunctionName; minified: number; gzipped: number; file: string }> = [];
  for (const spec of functions) {
    try {
      if (buildErrors[spec.name]) throw new Error(buildErrors[spec.name]);
      const dir = functionDir(spec.name);
      const file = path.join(dir, 'index.mjs');
      // Every module the function ships (index.mjs and its chunks), each gzipped as a zip stores it.
      let gzipped = 0;
      for (const m of await functionModules(dir)) gzipped += gzipSync(await readFile(m)).length;
      sizes.push({ name: spec.name, minified: await moduleBytes(dir), gzipped, file });
    } catch (err) {
      result.notes.push(`${spec.name}: bundle failed (${(err as Error).message.split('\n')[0]}); not measured.`);
    }
  }
  // The machine's Node and the deployed runtime's major, found as the local runtime finds it.
  const deployed = await findLambdaNode({ env: process.env, root: ROOT, host: { execPath: process.execPath, version: process.version } });
  const nodes = [{ label: `Node ${majorOf(process.version)}`, execPath: process.execPath }];
  if (deployed.execPath !== process.execPath && !deployed.warning) nodes.push({ label: `Node ${majorOf(deployed.version)}`, execPath: deployed.execPath });
  else if (deployed.warning) result.notes.push(`Only this host's Node measured: ${deployed.warning}`);
  const repeats = options.quick ? 1 : options.repeats + 2;
  const data: Record<string, { samples: Record<string, number[]>; statuses: Record<string, number> }> = {};
  for (const node of nodes) {
    const samples: Record<string, number[]> = { bare: [], empty: [] };
    const statuses: Record<string, number> = {};
    data[node.label] = { samples, statuses };
    for (let r = 0; r < repeats; r++) {
      progress(`cold start ${node.label} repeat ${r + 1}/${repeats}`);
      // Interleaved, so drift in the machine's load hits every variant alike.
      samples.bare!.push((await timeFreshProcess(node.execPath, '', {}, {}, tmp)).wallMs);
      samples.empty!.push((await timeFreshProcess(node.execPath, empty, {}, {}, tmp)).wallMs);
      for (const fn of sizes) {
        try {
          const answer = await timeFreshProcess(node.execPath, fn.file, FIRST_REQUEST[fn.name], envFor(fn.name), functionDir(fn.name));
          (samples[fn.name] ??= []).push(answer.wallMs);
          statuses[fn.name] = answer.status;
        } catch (err) {
          if (r === 0) result.notes.push(`${node.label} ${fn.name}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  await rm(tmp, { recursive: true, force: true });

  const overEmpty = (samples: Record<string, number[]>, name: string) => stat((samples[name] ?? []).map((v, i) => v - (samples.empty![i] ?? Number.NaN)));
  for (const node of nodes) {
    const { samples, statuses } = data[node.label]!;
    result.tables.push({
      title: `${node.label}: fresh process, spawn to first answer (ms), median (min–max)`,
      columns: ['variant', 'minified KB', 'gzipped KB', 'spawn → answer ms', 'over empty handler ms', 'first answer status'],
      rows: [
        ['bare node', '', '', formatStat(stat(samples.bare!)), '', ''],
        ['empty handler', '', '', formatStat(stat(samples.empty!)), '0', '200'],
        ...sizes.map((fn) => [fn.name, round(fn.minified / 1024, 1), round(fn.gzipped / 1024, 1), formatStat(stat(samples[fn.name] ?? [])), formatStat(overEmpty(samples, fn.name)), statuses[fn.name] ?? 'failed']),
      ],
    });
  }
  result.charts.push({
    id: 'cold-start',
    title: 'Spawn to first answer in a fresh node process',
    unit: 'ms',
    groups: ['bare', 'empty', ...sizes.map((s) => s.name)].map((name) => ({ label: name, bars: nodes.map((node) => ({ series: `${node.label} spawn → answer`, value: stat(data[node.label]!.samples[name] ?? []) })) })),
  });
  for (const fn of sizes) {
    result.targets.push(target(`bundle-size-${fn.name}`, `${fn.name} bundle minified`, '<=', 400, 'KB', round(fn.minified / 1024, 1)));
  }
  for (const [i, node] of nodes.entries()) {
    // The first Node keeps the ids earlier runs used; the deployed major's targets carry its number.
    const suffix = i === 0 ? '' : `-node${majorOf(deployed.version)}`;
    for (const fn of sizes) {
      result.targets.push(target(`cold-start-${fn.name}${suffix}`, `${fn.name} load + first answer over empty handler (${node.label})`, '<=', 25, 'ms', round(overEmpty(data[node.label]!.samples, fn.name).median, 1)));
    }
  }
  result.data = { sizes: sizes.map(({ file: _f, ...s }) => s), nodes: Object.fromEntries(nodes.map((n) => [n.label, { execPath: n.execPath, ...data[n.label] }])) };
  result.notes.push('Bundles include the AWS SDK they use (tree-shaken ES builds, see bundle/index.ts), so each fresh process loads one file and nothing from node_modules, as on Lambda.');
  return result;
}
