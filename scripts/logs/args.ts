import { parseArgs } from 'node:util';
import { UsageError } from './errors';
import { toLevel, type Level } from '../../local/logs/log-event';
import { parseTime } from './time';

export interface LogsOptions {
  /** Function names, or `all`. */
  target: string;
  since: number;
  until?: number;
  follow: boolean;
  level?: Level;
  grep?: string;
  request?: string;
  json: boolean;
  stack?: string;
  logGroups: string[];
  region?: string;
  /** CloudWatch Logs endpoint override (a local fake, a VPC endpoint). */
  endpoint?: string;
  dataDir?: string;
  /** Forces the local source even without `.local/`. */
  local: boolean;
  color?: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run logs -- <function|all> [options]

  --since <15m|2h|1d|ISO>   start of the window (default 1h, or 24h with --request)
  --until <duration|ISO>    end of the window (default now)
  -f, --follow              keep printing new events (local files, or CloudWatch Live Tail)
  --level <level>           only this level and above: debug, info, warn, error, critical
  --grep <text>             only lines containing text (case-sensitive, like CloudWatch terms)
  --request <id>            every line of one request, from every function, grouped by invocation
  --json                    one exact JSON event per line
  --stack <name>            read a deployed stack's log groups (pulumi stack output logGroupNames)
  --log-group <name>        read this log group (repeatable); with --region
  --region <region>         AWS region (default AWS_REGION, or the stack's region output)
  --endpoint <url>          CloudWatch Logs endpoint override
  --data-dir <dir>          local runtime data directory (default .local)
  --local                   read local files even if .local/ does not exist yet
  --no-color                plain output (also NO_COLOR=1 or a non-terminal stdout)`;

const DEFAULT_SINCE = '1h';
const DEFAULT_REQUEST_SINCE = '24h';

/**
 * Options whose value is free text: a request id is base64url (API Gateway's, and the local gateway's,
 * may begin with `-`) and a grep term may too. node's parseArgs refuses `--request -x` as ambiguous, so
 * the value is attached (`--request=-x`) before parsing.
 */
const FREE_TEXT = new Set(['--request', '--grep']);

function attachFreeTextValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (FREE_TEXT.has(arg) && i + 1 < argv.length) out.push(`${arg}=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

export function parseLogsArgs(argv: string[], now: number = Date.now()): LogsOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: attachFreeTextValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        level: { type: 'string' },
        grep: { type: 'string' },
        request: { type: 'string' },
        json: { type: 'boolean' },
        stack: { type: 'string' },
        'log-group': { type: 'string', multiple: true },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        'data-dir': { type: 'string' },
        local: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify .*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected one function name or "all", got: ${positionals.join(' ')}`);
  const level = values.level === undefined ? undefined : toLevel(values.level);
  if (values.level !== undefined && !level) {
    throw new UsageError(`unknown level "${values.level}": use trace, debug, info, warn, error or critical`);
  }
  if (values.stack && values['log-group']?.length) throw new UsageError('use either --stack or --log-group, not both');
  if (values.local && (values.stack || values['log-group']?.length)) throw new UsageError('--local reads local files; drop --stack/--log-group');
  for (const key of ['grep', 'request'] as const) {
    if (values[key] !== undefined && values[key].trim() === '') throw new UsageError(`--${key} needs a non-empty value`);
  }
  const since = parseTime(values.since ?? (values.request ? DEFAULT_REQUEST_SINCE : DEFAULT_SINCE), now);
  const until = values.until === undefined ? undefined : parseTime(values.until, now);
  if (until !== undefined && until <= since) throw new UsageError('--until must be later than --since');
  if (values.follow && until !== undefined) throw new UsageError('--follow cannot be combined with --until');
  return {
    target: positionals[0] ?? 'all',
    since,
    until,
    follow: values.follow ?? false,
    level,
    grep: values.grep,
    request: values.request?.trim(),
    json: values.json ?? false,
    stack: values.stack,
    logGroups: values['log-group'] ?? [],
    region: values.region,
    endpoint: values.endpoint,
    dataDir: values['data-dir'],
    local: values.local ?? false,
    color: values['no-color'] ? false : values.color,
    help: values.help ?? false,
  };
}
