import { startLocalStack } from '../helpers/local-stack';
import { watchPool } from '../helpers/probes';
import { formatFigures, runSoak } from '../helpers/soak-workload';

/**
 * `npm run soak`: the full soak, a mixed workload at concurrency 32 for 3 minutes on an in-memory local
 * stack (loopback only), then every acknowledged write checked in its table and every replica compared
 * with its source. Exit code 1 on any 5xx, unexpected answer, lost write or replica difference.
 * SOAK_SECONDS and SOAK_CONCURRENCY override the defaults.
 */
const durationMs = Number(process.env.SOAK_SECONDS ?? 180) * 1000;
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 32);

const stack = await startLocalStack({ load: true });
const pool = watchPool(stack);
let failed = true;
try {
  console.log(`soak: ${concurrency} virtual users for ${durationMs / 1000} s against ${stack.url}`);
  const figures = await runSoak(stack, {
    durationMs,
    concurrency,
    onProgress: (f) => console.log(`  ${(f.durationMs / 1000).toFixed(0)} s: ${f.requests} requests, ${f.errors} errors, ${f.unexpected} unexpected, ${f.acknowledgedWrites} acknowledged writes`),
  });
  const replication = stack.replication.status();
  console.log(formatFigures(figures));
  console.log(`replicator: ${replication.invocations} invocations, ${replication.recordsDelivered} records delivered, ${replication.retries} retries, ${replication.onFailureRecords} records to on-failure`);
  console.log(`function failures (crash, timeout, unhandled): ${pool.failures.length}`);
  for (const sample of figures.samples) console.log(`  ${sample}`);
  failed = figures.errors > 0 || figures.unexpected > 0 || figures.missingWrites > 0 || figures.replicaDifferences > 0 || pool.failures.length > 0 || replication.onFailureRecords > 0;
  console.log(failed ? 'soak FAILED' : 'soak passed');
} finally {
  pool.stop();
  await stack.stop();
}
process.exit(failed ? 1 : 0);
