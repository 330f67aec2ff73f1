import { emptyResult, type BenchOptions, type ScenarioResult } from '../lib/types';

export async function replication({ options: _options }: { options: BenchOptions }): Promise<ScenarioResult> {
  const result = emptyResult('replication', '3. Replication lag and throughput');
  result.skipped = 'not implemented yet';
  return result;
}
