import type { BurstOptions, LagOptions } from './replication';

/** What the parent asks a load child to do; passed as JSON on stdin, answered as JSON on stdout. */
export interface HttpTarget {
  method: string;
  /** One path, or several picked round-robin (e.g. PATCH across many todos to avoid version conflicts). */
  paths: string[];
  headers?: Record<string, string>;
  /** A body per request; `{{seq}}` is replaced by a unique counter. */
  body?: string;
}

export interface DynamoOp {
  command: 'Query' | 'Get' | 'Put' | 'Update' | 'Delete';
  /** lib-dynamodb input; string values containing `{{seq}}` get a unique counter, `{{pick}}` the next of `picks`. */
  input: Record<string, unknown>;
}

export type LoadSpec =
  | { kind: 'autocannon'; url: string; target: HttpTarget; connections: number; durationSec: number }
  | { kind: 'sdk'; endpoint: string; ops: DynamoOp[]; picks?: string[]; connections: number; durationSec: number }
  | { kind: 'http-seq'; url: string; target: HttpTarget; count: number; warmup: number }
  | { kind: 'handler'; bundle: string; env: Record<string, string>; event: Record<string, unknown>; count: number; warmup: number }
  | { kind: 'http-baseline'; count: number; warmup: number }
  | ({ kind: 'replication-lag'; endpoint: string } & LagOptions)
  | ({ kind: 'replication-burst'; endpoint: string } & BurstOptions);

export interface LoadResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}
