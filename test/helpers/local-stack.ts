import { startStack, type FunctionOverride, type Stack } from '../../local/index';

export type LocalStack = Stack;

export interface LocalStackOptions {
  env?: Record<string, string>;
  maxWorkersPerFunction?: number;
  corsAllowedOrigins?: string[];
  /** Fixture bundles or settings in place of topology functions (runtime tests). */
  functions?: Record<string, FunctionOverride>;
  /** Persist under this directory instead of running in memory (restart tests). */
  dataDir?: string;
  port?: number;
}

/**
 * The local stack as every integration and e2e test uses it: in memory, on a free port, quiet.
 * The bundles come from the vitest global setup, which builds once per run.
 */
export function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const { dataDir, port, ...rest } = options;
  return startStack({ ...rest, memory: dataDir === undefined, ...(dataDir ? { dataDir } : {}), port: port ?? 0, quiet: true });
}
