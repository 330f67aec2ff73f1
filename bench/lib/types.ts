import type { Stat } from './stats';

export type ScenarioId = 'api' | 'writes' | 'replication' | 'replication-scale' | 'cold-start' | 'web' | 'start' | 'backfill';
export const SCENARIO_IDS: readonly ScenarioId[] = ['cold-start', 'web', 'api', 'writes', 'start', 'replication', 'replication-scale', 'backfill'];

export interface BenchOptions {
  /** A smoke run: tiny durations and one repeat, for `npm test`. */
  quick: boolean;
  repeats: number;
}

/** A target (docs/benchmarks.md), evaluated against this run's figures. */
export interface TargetResult {
  id: string;
  description: string;
  comparator: '<=' | '>=';
  threshold: number;
  unit: string;
  measured: number;
  /** null when the figure could not be measured (scenario skipped or failed). */
  met: boolean | null;
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/** A grouped bar chart: one group per x label, one bar per series, whiskers for the spread. */
export interface Chart {
  id: string;
  title: string;
  unit: string;
  groups: Array<{ label: string; bars: Array<{ series: string; value: Stat }> }>;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  durationMs: number;
  /** Why the scenario did not run, when it did not. */
  skipped?: string;
  error?: string;
  tables: Table[];
  charts: Chart[];
  targets: TargetResult[];
  notes: string[];
  /** Raw figures for the JSON file (medians, spreads, per-repeat samples). */
  data: Record<string, unknown>;
}

export interface MachineInfo {
  os: string;
  kernel: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  node: string;
  loadAverage: number[];
  gitCommit: string;
  gitDirty: boolean;
}

export interface BenchRun {
  startedAt: string;
  durationMs: number;
  options: BenchOptions;
  machine: MachineInfo;
  /** Load average when the run ended: a busy neighbour shows up here. */
  loadAverageAfter: number[];
  scenarios: ScenarioResult[];
}

export function emptyResult(id: ScenarioId, title: string): ScenarioResult {
  return { id, title, durationMs: 0, tables: [], charts: [], targets: [], notes: [], data: {} };
}

export function target(
  id: string,
  description: string,
  comparator: '<=' | '>=',
  threshold: number,
  unit: string,
  measured: number,
): TargetResult {
  const met = Number.isFinite(measured) ? (comparator === '<=' ? measured <= threshold : measured >= threshold) : null;
  return { id, description, comparator, threshold, unit, measured, met };
}
