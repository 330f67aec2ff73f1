import { parseArgs } from 'node:util';
import { DEFAULT_DEPLOYMENT_CONFIG, DEPLOYMENT_CONFIGS, isDeploymentConfigName, type DeploymentConfigName } from '../../topology/release';
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
  /** Rehearse on the running local stack instead of a Pulumi stack. */
  local: boolean;
  /** Local only: simulated minutes per real minute (60: a 5-minute canary takes 5 s). */
  speed: number;
  /** Local only: the schedule to follow (default: what a production stack gets). */
  deploymentConfig: DeploymentConfigName;
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
  --no-color            plain output (also NO_COLOR=1 or a non-terminal stdout)
  --local               rehearse on the running local stack (npm start): build the working tree
                        as new versions and shift their live aliases, watching local alarms
  --speed <n>           --local: time runs n times faster (default 60: 1 min takes 1 s)
  --config <name>       --local: the deployment configuration to follow (default
                        ${DEFAULT_DEPLOYMENT_CONFIG.production})`;

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
        speed: { type: 'string' },
        config: { type: 'string' },
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
  const local = values.local ?? false;
  if (local && values.stack !== undefined) throw usage('--local rehearses on the running local stack: leave out --stack (choose the schedule with --config)');
  if (!local && (values.speed !== undefined || values.config !== undefined)) throw usage('--speed and --config apply to --local only: a Pulumi stack follows its own deployment configuration');
  if (!help && !local && !values.stack?.trim()) throw usage('--stack <name> is required (the Pulumi stack to release), or --local');
  const deploymentConfig = values.config ?? DEFAULT_DEPLOYMENT_CONFIG.production;
  if (!isDeploymentConfigName(deploymentConfig)) throw usage(`--config must be one of ${Object.keys(DEPLOYMENT_CONFIGS).join(', ')}, got "${deploymentConfig}"`);
  return {
    command: positionals[0] === 'rollback' ? 'rollback' : 'release',
    stack: values.stack?.trim() ?? '',
    functions: values.function ?? [],
    pollSeconds: positive('poll', values.poll, 5),
    timeoutMinutes: positive('timeout', values.timeout, 60),
    color: values['no-color'] ? false : values.color,
    help,
    local,
    speed: positive('speed', values.speed, 60),
    deploymentConfig,
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
