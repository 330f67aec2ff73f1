import { runLoad } from './load/run';
import { startBenchStack } from './lib/stack';

/**
 * `node --cpu-prof --import tsx bench/profile-hop.ts`: sequential GET / through the gateway while this
 * process (gateway, pool, dynalite) is profiled; open the .cpuprofile in Chrome DevTools or summarise it
 * with bench/profile-summary.ts.
 */
const stack = await startBenchStack({ quick: true });
const count = Number(process.argv[2] ?? 2000);
const result = await runLoad({ kind: 'http-seq', url: stack.url, target: { method: 'GET', paths: ['/'] }, count, warmup: 50 });
console.log(JSON.stringify(result));
await stack.stop();
process.exit(0);
