import { spawn } from 'node:child_process';
import path from 'node:path';
import { httpEvent } from './lib/events';
import { stat } from './lib/stats';
import { functionEnv } from './lib/function-env';

/**
 * Interleaved cold-start comparison of two builds of the same functions (e.g. main's dist and this
 * branch's), so the machine's drifting load hits both alike: `tsx bench/cold-start-compare.ts <dirA> <dirB> [repeats]`.
 */
const [dirA, dirB, repeatsArg] = process.argv.slice(2);
const repeats = Number(repeatsArg ?? 9);
const RUNNER = path.join(import.meta.dirname, 'load/cold-start.mjs');
const FIRST: Record<string, unknown> = { rule: httpEvent('GET', '/api/todos'), user: httpEvent('GET', '/api/currentUser'), replicator: httpEvent('GET', '/api/replication') };

function time(bundle: string, event: unknown, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [RUNNER, bundle, JSON.stringify(event)], { cwd: path.dirname(bundle), env: { PATH: process.env.PATH ?? '', ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let at = Number.NaN;
    child.stdout.on('data', () => { if (Number.isNaN(at)) at = performance.now() - t0; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && !Number.isNaN(at) ? resolve(at) : reject(new Error(`${bundle} exited ${code}`))));
  });
}

const env = await functionEnv();
try {
  for (const fn of Object.keys(FIRST)) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < repeats; i++) {
      a.push(await time(path.join(dirA!, fn, 'index.mjs'), FIRST[fn], env.envFor(fn as never)));
      b.push(await time(path.join(dirB!, fn, 'index.mjs'), FIRST[fn], env.envFor(fn as never)));
    }
    const [sa, sb] = [stat(a), stat(b)];
    console.log(`${fn}: A ${sa.median.toFixed(1)} ms (min ${sa.min.toFixed(1)})  B ${sb.median.toFixed(1)} ms (min ${sb.min.toFixed(1)})  B−A ${(sb.median - sa.median).toFixed(1)} ms (min-to-min ${(sb.min - sa.min).toFixed(1)})`);
  }
} finally {
  await env.stop();
}
