import { parseArgs } from 'node:util';
import { EXIT, ReleaseError } from './errors';

export interface ReleaseOptions {
  command: 'release' | 'rollback';
  stack: string;
  /** Only these functions (default: every function of the stack). */
  functions: string[];
  pollSeconds: number;
  /** Give up watching (CodeDeploy carries on) after this long. */
  timeoutMinutes: number;
  color?: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run release -- [rollback] --stack <name> [options]

  (no command)          release: shift each function's live alias to the version the last
                        \`pulumi up\` published, with the stack's CodeDeploy configuration
  rollback              stop running deployments (CodeDeploy rolls them back) and point every
                        released alias back at the version it replaced, at once
  --stack <name>        the Pulumi stack (reads \`pulumi stack output release\`)
  --function <name>     only this function (repeatable)
  --poll <seconds>      how often to read progress (default 5)
  --timeout <minutes>   stop watching after this long (default 60); CodeDeploy carries on
  --no-color            plain output (also NO_COLOR=1 or a non-terminal stdout)`;

export function parseReleaseArgs(argv: string[]): ReleaseOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: 'string' },
        function: { type: 'string', multiple: true },
        poll: { type: 'string' },
        timeout: { type: 'string' },
        local: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw usage((err as Error).message.replace(/\. To specify .*$/s, ''));
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'rollback')) {
    throw usage(`unknown command "${positionals.join(' ')}": use no command to release, or "rollback"`);
  }
  if (values.local) throw usage('--local (a rehearsal on the local stack) is not available yet; use --stack <name>');
  if (!help && !values.stack?.trim()) throw usage('--stack <name> is required (the Pulumi stack to release)');
  return {
    command: positionals[0] === 'rollback' ? 'rollback' : 'release',
    stack: values.stack?.trim() ?? '',
    functions: values.function ?? [],
    pollSeconds: positive('poll', values.poll, 5),
    timeoutMinutes: positive('timeout', values.timeout, 60),
    color: values['no-color'] ? false : values.color,
    help,
  };
}

function positive(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usage(`--${flag} must be a positive number, got "${value}"`);
  return n;
}

function usage(message: string): ReleaseError {
  return new ReleaseError(EXIT.usage, message);
}
