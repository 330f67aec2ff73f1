import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../bundle';
import { progress } from './lib/log';
import { writeCostDoc } from './cost-report';
import { writeReport } from './lib/report';
import { SCENARIO_IDS, type BenchRun, type ScenarioId } from './lib/types';
import { runBench } from './run-bench';

/**
 * `npm run bench [-- --only api,writes] [--quick] [--repeats 3]`: runs the benchmark scenarios (api, writes, cold start, start, web, replication), writes
 * bench/results/<timestamp>.json and regenerates docs/benchmarks.md. Progress goes to stderr.
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    repeats: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
  },
});
const only = (values.only ? values.only.split(',').map((s) => s.trim()) : [...SCENARIO_IDS]) as ScenarioId[];
const unknown = only.filter((id) => !SCENARIO_IDS.includes(id));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIO_IDS.join(', ')}`);
  process.exit(2);
}
const quick = values.quick ?? false;
const repeats = values.repeats ? Number(values.repeats) : quick ? 1 : 3;

const run = await runBench({ only, quick, repeats });
if (!quick && only.length < SCENARIO_IDS.length) await carryOver(run);

/** A partial run keeps the other scenarios of the latest full-size run in the report, marked as such. */
async function carryOver(current: BenchRun): Promise<void> {
  const dir = path.join(ROOT, 'bench', 'results');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.includes('quick')).sort().reverse();
  for (const file of files) {
    const previous = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as BenchRun;
    for (const s of previous.scenarios) {
      if (current.scenarios.some((c) => c.id === s.id)) continue;
      current.scenarios.push({ ...s, notes: [`Carried over from the run of ${previous.startedAt} (${file}).`, ...s.notes.filter((n) => !n.startsWith('Carried over'))] });
    }
  }
  current.scenarios.sort((a, b) => SCENARIO_IDS.indexOf(a.id) - SCENARIO_IDS.indexOf(b.id));
}
const stamp = run.startedAt.replace(/[:.]/g, '-');
const resultFile = path.join('bench', 'results', `${stamp}${quick ? '-quick' : ''}.json`);
await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
await writeFile(path.join(ROOT, resultFile), `${JSON.stringify(run, null, 2)}\n`);
progress(`results: ${resultFile}`);
if (!values['no-docs'] && !quick) {
  progress(`report: ${path.relative(ROOT, await writeReport(run, ROOT, resultFile))}`);
  progress(`cost model: ${path.relative(ROOT, await writeCostDoc(ROOT, run))}`);
}

for (const t of run.scenarios.flatMap((s) => s.targets)) {
  const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED';
  console.log(`${verdict.padEnd(12)} ${t.description}: ${t.measured} ${t.unit} (goal ${t.comparator} ${t.threshold})`);
}
for (const s of run.scenarios.filter((x) => x.skipped || x.error)) console.log(`${s.id}: ${s.skipped ?? s.error}`);
// Stacks and load children are stopped by now; an open handle must not keep the run alive.
process.exit(0);
