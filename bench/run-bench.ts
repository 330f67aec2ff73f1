import os from 'node:os';
import { bundleFunction } from '../bundle';
import { functions } from '../topology/index';
import { buildWeb, type WebBuildReport } from '../bundle/web';
import { progress } from './lib/log';
import { machineInfo } from './lib/machine';
import { emptyResult, SCENARIO_IDS, type BenchOptions, type BenchRun, type ScenarioId, type ScenarioResult } from './lib/types';
import { coldStart } from './scenarios/cold-start';
import { functionEnv } from './lib/function-env';
import { web } from './scenarios/web';
import { api } from './scenarios/api';
import { writes } from './scenarios/writes';
import { startTime } from './scenarios/start';
import { replication } from './scenarios/replication';
import { replicationScale } from './scenarios/replication-scale';
import { backfillScenario } from './scenarios/backfill';

export interface RunRequest extends BenchOptions {
  only: readonly ScenarioId[];
}

const TITLES: Record<ScenarioId, string> = {
  'cold-start': '4. Cold start proxy',
  web: '5. Web',
  api: '1. API through the local gateway',
  writes: '2. Write cost versus list size',
  start: '6. `npm start`: time to ready and memory',
  replication: '3. Replication lag and throughput',
  'replication-scale': '3b. Replication scale-out: parallelization factor',
  backfill: '7. Backfill: a new replica verified clean after the command',
};

/** Runs the selected scenarios in order; one failing scenario is recorded and does not stop the others. */
export async function runBench(request: RunRequest): Promise<BenchRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const options: BenchOptions = { quick: request.quick, repeats: request.repeats };
  progress(`building web app and function bundles`);
  const webBuild: WebBuildReport = await buildWeb();
  // Bundled one by one, so a function that does not build yet is reported instead of stopping the run.
  const buildErrors: Record<string, string> = {};
  for (const spec of functions) {
    await bundleFunction(spec).catch((err: Error) => (buildErrors[spec.name] = err.message.split('\n')[0] ?? 'failed'));
  }
  const runners: Record<ScenarioId, () => Promise<ScenarioResult>> = {
    'cold-start': async () => {
      const env = await functionEnv();
      try {
        return await coldStart({ options, envFor: env.envFor, buildErrors });
      } finally {
        await env.stop();
      }
    },
    web: () => web({ options, build: webBuild }),
    api: () => api({ options }),
    writes: () => writes({ options }),
    start: () => startTime({ options }),
    replication: () => replication({ options }),
    'replication-scale': () => replicationScale({ options }),
    backfill: () => backfillScenario({ options }),
  };
  const scenarios: ScenarioResult[] = [];
  for (const id of SCENARIO_IDS.filter((s) => request.only.includes(s))) {
    progress(`scenario ${id}: start`);
    const t0 = performance.now();
    let result: ScenarioResult;
    try {
      result = await runners[id]();
    } catch (err) {
      result = { ...emptyResult(id, TITLES[id]), error: (err as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(err) };
      progress(`scenario ${id}: failed: ${(err as Error).message}`);
    }
    result.durationMs = performance.now() - t0;
    progress(`scenario ${id}: done in ${(result.durationMs / 1000).toFixed(1)} s`);
    scenarios.push(result);
  }
  return {
    startedAt,
    durationMs: performance.now() - started,
    options,
    machine,
    loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
    scenarios,
  };
}
