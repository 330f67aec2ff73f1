import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  command: string;
  rssMb: number;
  /** Proportional set size: shared pages (the node binary, every worker maps it) split among their users. */
  pssMb: number;
}

/** The fields of /proc/<pid>/stat after the parenthesised command (which may hold spaces): field 3 first. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function parentOf(pid: number): number {
  // Field 4.
  return Number(statFields(pid)[1]);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

function pssMb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** RSS of a process and all its descendants (Linux /proc), e.g. npm → tsx → stack → function workers. */
export function processTree(root: number): ProcessMemory[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const parent = parentOf(pid);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: ProcessMemory[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({ pid, command, rssMb: rssMb(pid), pssMb: pssMb(pid) });
    } catch {
      continue;
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function treeMemory(root: number): { rssMb: number; pssMb: number; processes: number } {
  const tree = processTree(root);
  return { rssMb: tree.reduce((sum, p) => sum + p.rssMb, 0), pssMb: tree.reduce((sum, p) => sum + p.pssMb, 0), processes: tree.length };
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (fields 14 and 15,
 * in clock ticks of 1/100 s: USER_HZ is 100 on Linux's common architectures); 0 once it has exited.
 */
export function cpuTimeMs(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
