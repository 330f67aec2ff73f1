import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type FilteredLogEvent,
  type LiveTailSessionLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { EXIT, LogsError } from '../errors';
import { byTime, parseLine, type LogEvent } from '../../../local/logs/log-event';
import { sleep, type LogQuery, type LogSource } from './source';

export interface LogGroupRef {
  function: string;
  logGroup: string;
}

export interface CloudWatchSourceOptions {
  client: CloudWatchLogsClient;
  groups: LogGroupRef[];
  region?: string;
  /** Upper bound on FilterLogEvents pages per log group, so a huge window cannot loop forever. */
  maxPages?: number;
  /** Live Tail sessions end after 3 hours (or on a server hiccup); reconnect at most this often. */
  maxSessions?: number;
  /** Told when Live Tail samples events down (over 500 per second). */
  onNotice?: (message: string) => void;
}

const MAX_IDS_PER_PATTERN = 20;

/** CloudWatch Logs: FilterLogEvents (paged) for history, StartLiveTail for `--follow`. */
export function cloudWatchSource(options: CloudWatchSourceOptions): LogSource {
  const { client, groups } = options;
  const maxPages = options.maxPages ?? 1_000;
  const chosen = (query: LogQuery) => groups.filter((g) => query.functions.includes(g.function));

  async function filter(query: LogQuery, pattern: string | undefined, endTime?: number): Promise<LogEvent[]> {
    const pages = await Promise.all(
      chosen(query).map(async (group) => {
        const out: LogEvent[] = [];
        let nextToken: string | undefined;
        // FilterLogEvents may return empty pages with a nextToken while it scans: keep paging.
        for (let page = 0; page < maxPages; page++) {
          const res = await client
            .send(new FilterLogEventsCommand({ logGroupName: group.logGroup, startTime: query.since, endTime, filterPattern: pattern, nextToken }))
            .catch((err: unknown) => rethrow(err, group.logGroup));
          for (const e of res.events ?? []) out.push(fromFiltered(e, group));
          nextToken = res.nextToken;
          if (!nextToken) break;
        }
        return out;
      }),
    );
    return pages.flat();
  }

  async function history(query: LogQuery): Promise<LogEvent[]> {
    if (!query.request) return (await filter(query, termPattern(query.grep), query.until)).sort(byTime);
    // Two passes: lines naming the request, then every line of the Lambda invocations they belong to.
    const hits = await filter(query, termPattern(query.request), query.until);
    const invocations = new Set<string>();
    for (const e of hits) {
      const id = parseLine(e.message).lambdaRequestId;
      if (id && id !== query.request) invocations.add(id);
    }
    const byId = new Map(hits.map((e) => [e.eventId ?? `${e.logStream}/${e.timestamp}/${e.message}`, e]));
    const ids = [...invocations];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_PATTERN) {
      const pattern = ids.slice(i, i + MAX_IDS_PER_PATTERN).map((id) => `?"${id}"`).join(' ');
      for (const e of await filter(query, pattern, query.until)) byId.set(e.eventId ?? `${e.logStream}/${e.timestamp}/${e.message}`, e);
    }
    return [...byId.values()].sort(byTime);
  }

  async function follow(query: LogQuery, onEvents: (events: LogEvent[]) => void, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const past = await history({ ...query, until: started });
    if (past.length) onEvents(past);
    const arns = await Promise.all(chosen(query).map(async (g) => ({ ...g, arn: await logGroupArn(client, g.logGroup) })));
    const byArn = new Map(arns.map((g) => [g.arn, g]));
    const byName = new Map(arns.map((g) => [g.logGroup, g]));
    const pattern = termPattern(query.request ? undefined : query.grep);
    for (let session = 0; session < (options.maxSessions ?? 100) && !signal.aborted; session++) {
      try {
        const res = await client.send(
          new StartLiveTailCommand({ logGroupIdentifiers: arns.map((g) => g.arn), logEventFilterPattern: pattern }),
          { abortSignal: signal },
        );
        for await (const message of res.responseStream ?? []) {
          if (signal.aborted) break;
          if (message.sessionUpdate) {
            if (message.sessionUpdate.sessionMetadata?.sampled) options.onNotice?.('Live Tail is sampling: over 500 events/s matched, some are not shown');
            const events = (message.sessionUpdate.sessionResults ?? []).map((e) => fromLiveTail(e, byArn, byName));
            if (events.length) onEvents(events.sort(byTime));
          } else if (message.SessionTimeoutException) {
            break;
          } else if (message.SessionStreamingException) {
            throw new LogsError(EXIT.failure, `Live Tail stopped: ${message.SessionStreamingException.message ?? 'streaming error'}`);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if ((err as Error).name === 'SessionTimeoutException') continue;
        if ((err as Error).name === 'SessionStreamingException') {
          await sleep(1_000, signal);
          continue;
        }
        rethrow(err);
      }
    }
  }

  return {
    description: `CloudWatch Logs${options.region ? ` in ${options.region}` : ''}`,
    functions: async () => groups.map((g) => g.function),
    history,
    follow,
  };
}

/** Live Tail wants log group ARNs; DescribeLogGroups has them (without the `:*` suffix). */
async function logGroupArn(client: CloudWatchLogsClient, logGroup: string): Promise<string> {
  if (logGroup.startsWith('arn:')) return logGroup.replace(/:\*$/, '');
  const res = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroup })).catch((err: unknown) => rethrow(err, logGroup));
  const found = res.logGroups?.find((g) => g.logGroupName === logGroup);
  const arn = found?.logGroupArn ?? found?.arn?.replace(/:\*$/, '');
  if (!arn) throw new LogsError(EXIT.logGroupNotFound, `log group ${logGroup} does not exist (has the function run yet? is the region right?)`);
  return arn;
}

/** A CloudWatch filter term matching `text` literally; undefined when it cannot be expressed. */
export function termPattern(text: string | undefined): string | undefined {
  if (text === undefined || text.includes('"')) return undefined;
  return `"${text}"`;
}

function fromFiltered(e: FilteredLogEvent, group: LogGroupRef): LogEvent {
  return {
    timestamp: e.timestamp ?? 0,
    message: e.message ?? '',
    function: group.function,
    logStream: e.logStreamName ?? '',
    logGroup: group.logGroup,
    eventId: e.eventId,
    ingestionTime: e.ingestionTime,
  };
}

function fromLiveTail(e: LiveTailSessionLogEvent, byArn: Map<string, LogGroupRef>, byName: Map<string, LogGroupRef>): LogEvent {
  const id = e.logGroupIdentifier ?? '';
  const group = byArn.get(id) ?? byName.get(id) ?? byArn.get(id.replace(/:\*$/, ''));
  return {
    timestamp: e.timestamp ?? 0,
    message: e.message ?? '',
    function: group?.function ?? id.split('/').pop() ?? id,
    logStream: e.logStreamName ?? '',
    logGroup: group?.logGroup ?? id,
    ingestionTime: e.ingestionTime,
  };
}

/** Turns SDK failures into the CLI's messages and exit codes. */
export function rethrow(err: unknown, logGroup?: string): never {
  if (err instanceof LogsError) throw err;
  const e = err as Error & { $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '')) {
    throw new LogsError(EXIT.credentials, 'no AWS credentials found: set AWS_PROFILE (and run `aws sso login`) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
  }
  if (/Region is missing/i.test(e?.message ?? '')) throw new LogsError(EXIT.credentials, 'no AWS region: pass --region or set AWS_REGION');
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'AccessDeniedException', 'AccessDeniedError'].includes(name)) {
    throw new LogsError(EXIT.credentials, `AWS rejected the credentials (${name}): ${e.message}`);
  }
  if (name === 'ResourceNotFoundException') {
    throw new LogsError(EXIT.logGroupNotFound, `log group ${logGroup ?? ''} does not exist (has the function run yet? is the region right?)`.replace('  ', ' '));
  }
  throw err;
}
