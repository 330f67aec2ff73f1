import type { AliasState } from './plan';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** CodeDeploy's deployment statuses (GetDeployment `status`). */
export type DeploymentStatus = 'Created' | 'Queued' | 'InProgress' | 'Baking' | 'Ready' | 'Succeeded' | 'Failed' | 'Stopped';

export interface Progress {
  function: string;
  currentVersion: string;
  targetVersion: string;
  status: DeploymentStatus | 'Baking locally' | 'RolledBack';
  /** 0–100: share of the alias's invocations the target version gets now. */
  percent: number;
  alarms: Record<string, AlarmState>;
  message?: string;
}

/** Share (0–100) of the alias's invocations that `version` receives. */
export function trafficShare(alias: AliasState, version: string): number {
  const others = Object.entries(alias.weights).filter(([v]) => v !== version).reduce((sum, [, w]) => sum + w, 0);
  const share = alias.version === version ? 1 - others : (alias.weights[version] ?? 0);
  return Math.round(Math.max(0, Math.min(1, share)) * 1000) / 10;
}

export function isFinished(status: Progress['status']): boolean {
  return status === 'Succeeded' || status === 'Failed' || status === 'Stopped' || status === 'RolledBack';
}

const BAR_WIDTH = 20;

/** `rule        [██████░░░░░░░░░░░░░░]  30% on v5 (from v4)  InProgress  alarms ok` */
export function renderProgress(p: Progress, color = false): string {
  const filled = Math.round((p.percent / 100) * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const firing = Object.entries(p.alarms).filter(([, s]) => s === 'ALARM').map(([name]) => name);
  const alarms = firing.length ? `ALARM ${firing.join(', ')}` : 'alarms ok';
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const status = p.status === 'Succeeded' ? paint(32, p.status) : p.status === 'Failed' || p.status === 'Stopped' || p.status === 'RolledBack' ? paint(31, p.status) : p.status;
  const line = `${p.function.padEnd(11)} [${bar}] ${`${p.percent}%`.padStart(6)} on v${p.targetVersion} (from v${p.currentVersion})  ${status}  ${firing.length ? paint(31, alarms) : alarms}`;
  return p.message ? `${line}  ${p.message}` : line;
}

/** 0 all promoted, 3 any rolled back or failed, 1 any still running when the watch gave up. */
export function exitCodeOf(progress: Progress[]): 0 | 1 | 3 {
  if (progress.some((p) => p.status === 'Failed' || p.status === 'Stopped' || p.status === 'RolledBack')) return 3;
  return progress.every((p) => p.status === 'Succeeded') ? 0 : 1;
}
