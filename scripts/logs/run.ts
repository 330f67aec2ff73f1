import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runningStacks } from '../../local/stack-file';
import { parseLogsArgs, USAGE, type LogsOptions } from './args';
import { EXIT, LogsError, UsageError, type ExitCode } from './errors';
import { parseLine, type LogEvent } from '../../local/logs/log-event';
import { annotate, matchesFilter, type Annotated, type EventFilter } from './filter';
import { formatEvent, formatGroupHeader, formatJson, formatTimestamp, shouldColor, type FormatOptions } from '../../local/logs/format';
import { groupByInvocation, RequestFollower, selectRequest } from './request';
import { cloudWatchSource } from './sources/cloudwatch';
import { localSource } from './sources/local';
import type { LogQuery, LogSource } from './sources/source';
import { groupFromName, stackLogGroups } from './stack';

export interface LogsIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ends `--follow`; the CLI wires it to Ctrl-C. */
  signal?: AbortSignal;
  now?: number;
  /** Extra client settings (tests point the SDK at a local fake). */
  cloudWatch?: Partial<CloudWatchLogsClientConfig>;
}

/** `npm run logs`: returns the exit code (see errors.ts) instead of exiting, so tests can call it. */
export async function runLogs(argv: string[], io: LogsIo): Promise<ExitCode> {
  try {
    const options = parseLogsArgs(argv, io.now);
    if (options.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const source = await chooseSource(options, io);
    const functions = await chooseFunctions(options.target, source);
    const query: LogQuery = { functions, since: options.since, until: options.until, grep: options.grep, request: options.request };
    const filter: EventFilter = { level: options.level, grep: options.grep, since: options.since, until: options.until };
    const format: FormatOptions = {
      color: options.color ?? shouldColor(io.stdout, io.env),
      clock: 'datetime',
      functionWidth: Math.max(...functions.map((f) => f.length)),
    };
    if (options.follow) return await follow(source, query, filter, options, format, io);
    return await history(source, query, filter, options, format, io);
  } catch (err) {
    if (err instanceof LogsError) {
      io.stderr.write(`logs: ${err.message}\n`);
      if (err instanceof UsageError) io.stderr.write(`\n${USAGE}\n`);
      return err.exitCode;
    }
    io.stderr.write(`logs: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}

async function chooseSource(options: LogsOptions, io: LogsIo): Promise<LogSource> {
  if (options.stack || options.logGroups.length) {
    const fromStack = options.stack ? await stackLogGroups(options.stack, io.env) : undefined;
    const groups = fromStack?.groups ?? options.logGroups.map(groupFromName);
    const region = options.region ?? fromStack?.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const endpoint = options.endpoint ?? io.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
    const client = new CloudWatchLogsClient({
      region,
      maxAttempts: 3,
      ...(endpoint ? { endpoint, disableHostPrefix: true } : {}),
      ...io.cloudWatch,
    });
    return cloudWatchSource({ client, groups, region, onNotice: (m) => io.stderr.write(`logs: ${m}\n`) });
  }
  const chosen = options.dataDir ?? io.env.NOOPS_DATA_DIR;
  const dataDir = path.resolve(io.cwd, chosen ?? '.local');
  if (!chosen) {
    // A running stack first: an in-memory one keeps its log streams in a temporary folder of its own.
    const [running, ...others] = await runningStacks(dataDir, io.env.TMPDIR || tmpdir());
    if (running) {
      if (others.length) {
        const list = others.map((s) => `${s.file.url} (--data-dir ${s.dir})`).join(', ');
        io.stderr.write(`logs: ${others.length + 1} local stacks are running; reading the latest started, ${running.file.url}. Others: ${list}\n`);
      }
      return localSource(running.dir);
    }
  }
  if (!options.local && !existsSync(dataDir)) {
    throw new LogsError(
      EXIT.noSource,
      `no running local stack and no local runtime data in ${dataDir} (start it with npm start), and no --stack or --log-group given for AWS`,
    );
  }
  return localSource(dataDir);
}

async function chooseFunctions(target: string, source: LogSource): Promise<string[]> {
  const known = await source.functions();
  if (target === 'all') return known;
  const wanted = target.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) {
    throw new LogsError(EXIT.unknownFunction, `unknown function "${unknown.join('", "')}": choose one of ${known.join(', ')} or all`);
  }
  return wanted;
}

async function history(source: LogSource, query: LogQuery, filter: EventFilter, options: LogsOptions, format: FormatOptions, io: LogsIo): Promise<ExitCode> {
  let items = annotate(await source.history(query));
  if (options.request) items = selectRequest(items, options.request);
  items = items.filter((item) => matchesFilter(item, filter));
  if (!items.length) {
    io.stderr.write(`logs: ${emptyMessage(query, options, source)}\n`);
    return EXIT.noEvents;
  }
  if (options.json) {
    for (const item of items) io.stdout.write(`${formatJson(item.event)}\n`);
  } else if (options.request) {
    for (const group of groupByInvocation(items)) {
      io.stdout.write(`${formatGroupHeader(group, format.color)}\n`);
      for (const item of group.items) io.stdout.write(`${formatEvent(item.event, item.parsed, format)}\n`);
    }
  } else {
    for (const item of items) io.stdout.write(`${formatEvent(item.event, item.parsed, format)}\n`);
  }
  return EXIT.ok;
}

async function follow(source: LogSource, query: LogQuery, filter: EventFilter, options: LogsOptions, format: FormatOptions, io: LogsIo): Promise<ExitCode> {
  const follower = options.request ? new RequestFollower(options.request) : undefined;
  const signal = io.signal ?? new AbortController().signal;
  io.stderr.write(`logs: following ${query.functions.join(', ')} in ${source.description} (Ctrl-C to stop)\n`);
  const print = (events: LogEvent[]) => {
    for (const event of events) {
      const items: Annotated[] = follower ? follower.push(event) : [{ event, parsed: parseLine(event.message) }];
      for (const item of items) {
        if (!matchesFilter(item, { ...filter, until: undefined })) continue;
        io.stdout.write(`${options.json ? formatJson(item.event) : formatEvent(item.event, item.parsed, format)}\n`);
      }
    }
  };
  await source.follow(query, print, signal);
  return EXIT.ok;
}

function emptyMessage(query: LogQuery, options: LogsOptions, source: LogSource): string {
  const what = options.request ? `for request ${options.request}` : 'matching';
  const window = `${formatTimestamp(query.since, 'datetime')} and ${query.until ? formatTimestamp(query.until, 'datetime') : 'now'}`;
  const hint = options.request ? ' (try a wider --since)' : '';
  return `no log events ${what} from ${query.functions.join(', ')} between ${window} in ${source.description}${hint}`;
}
