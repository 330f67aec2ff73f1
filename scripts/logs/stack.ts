import { execFile } from 'node:child_process';
import { EXIT, LogsError } from './errors';
import type { LogGroupRef } from './sources/cloudwatch';

export interface StackLogGroups {
  groups: LogGroupRef[];
  region?: string;
}

/**
 * Log group names of a deployed stack, from `pulumi stack output --json --stack <name>`: the infra
 * program exports `logGroupNames` (function → `/aws/lambda/<physical name>`) and `region`.
 */
export async function stackLogGroups(stack: string, env: NodeJS.ProcessEnv = process.env): Promise<StackLogGroups> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('pulumi', ['stack', 'output', '--json', '--stack', stack], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new LogsError(EXIT.noSource, 'the pulumi CLI is not on PATH: install it, or pass --log-group <name> --region <region>'));
      }
      const reason = String(errOut || err.message).trim().split('\n')[0];
      reject(new LogsError(EXIT.noSource, `cannot read outputs of stack "${stack}": ${reason}`));
    });
  });
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    throw new LogsError(EXIT.noSource, `pulumi stack output for "${stack}" is not JSON`);
  }
  const groups = toGroups(outputs.logGroupNames);
  if (!groups.length) throw new LogsError(EXIT.noSource, `stack "${stack}" has no logGroupNames output: deploy it with this version (pulumi up)`);
  const region = typeof outputs.region === 'string' ? outputs.region : undefined;
  return { groups, region };
}

function toGroups(value: unknown): LogGroupRef[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string').map(groupFromName);
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([fn, logGroup]) => ({ function: fn, logGroup }));
  }
  return [];
}

/** `--log-group /aws/lambda/noops-todo-dev-rule-fn-1234` → function "noops-todo-dev-rule-fn-1234". */
export function groupFromName(logGroup: string): LogGroupRef {
  const name = logGroup.replace(/:\*$/, '').split(/[/:]/).filter(Boolean).pop() ?? logGroup;
  return { function: name, logGroup };
}
