import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP fake of the CloudWatch Logs operations `npm run logs` uses, speaking the real wire
 * protocol so the real AWS SDK can be pointed at it with `endpoint`: awsJson1_1 for FilterLogEvents and
 * DescribeLogGroups, and for StartLiveTail an `application/vnd.amazon.eventstream` response (binary
 * event-stream messages over a chunked HTTP/1.1 body, which is how the SDK's NodeHttpHandler carries
 * it; the client does not use HTTP/2 for CloudWatch Logs).
 */
export interface FakeEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
}

export interface FakeRequest {
  operation: string;
  body: Record<string, unknown>;
  authorization?: string;
}

export interface CloudWatchLogsFake {
  endpoint: string;
  requests: FakeRequest[];
  /** Adds a log group (name → events), e.g. `/aws/lambda/noops-todo-dev-rule`. */
  putLogGroup(name: string, events?: FakeEvent[]): void;
  /** Appends events to a group and pushes them to matching Live Tail sessions. */
  ingest(name: string, events: FakeEvent[]): void;
  /** Makes every call of `operation` fail with this AWS error until cleared. */
  failNext(operation: string, error: { status: number; type: string; message: string } | undefined): void;
  /** Ends open Live Tail sessions the way AWS does after three hours. */
  timeOutLiveTails(): void;
  liveTailCount(): number;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Events per FilterLogEvents page, small to exercise paging. */
  pageSize?: number;
  /** Serve this many empty pages (with a nextToken) first, as FilterLogEvents does while it scans. */
  emptyPagesFirst?: number;
  accountId?: string;
  region?: string;
}

interface Group {
  name: string;
  arn: string;
  events: Array<FakeEvent & { eventId: string; ingestionTime: number }>;
}

interface Tail {
  res: ServerResponse;
  arns: string[];
  pattern?: string;
}

export async function startCloudWatchLogsFake(options: FakeOptions = {}): Promise<CloudWatchLogsFake> {
  const pageSize = options.pageSize ?? 3;
  const region = options.region ?? 'eu-west-1';
  const account = options.accountId ?? '123456789012';
  const groups = new Map<string, Group>();
  const tails = new Set<Tail>();
  const failures = new Map<string, { status: number; type: string; message: string }>();
  const requests: FakeRequest[] = [];
  let nextId = 0;

  const arnOf = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
  const group = (identifier: string) => [...groups.values()].find((g) => g.name === identifier || g.arn === identifier);

  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    requests.push({ operation, body, authorization: req.headers.authorization });
    const failure = failures.get(operation);
    if (failure) return sendError(res, failure.status, failure.type, failure.message);
    switch (operation) {
      case 'FilterLogEvents':
        return filterLogEvents(body, res);
      case 'DescribeLogGroups': {
        const prefix = String(body.logGroupNamePrefix ?? '');
        const logGroups = [...groups.values()]
          .filter((g) => g.name.startsWith(prefix))
          .map((g) => ({ logGroupName: g.name, arn: `${g.arn}:*`, logGroupArn: g.arn, creationTime: 0, storedBytes: 0 }));
        return sendJson(res, { logGroups });
      }
      case 'StartLiveTail':
        return startLiveTail(body, res);
      default:
        return sendError(res, 400, 'UnknownOperationException', `fake does not implement ${operation}`);
    }
  });

  function filterLogEvents(body: Record<string, unknown>, res: ServerResponse) {
    const g = group(String(body.logGroupName ?? body.logGroupIdentifier ?? ''));
    if (!g) return sendError(res, 400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    const token = typeof body.nextToken === 'string' ? body.nextToken : 'empty:0';
    const [kind, at] = token.split(':') as [string, string];
    if (kind === 'empty' && Number(at) < (options.emptyPagesFirst ?? 0)) {
      return sendJson(res, { events: [], searchedLogStreams: [], nextToken: `empty:${Number(at) + 1}` });
    }
    const start = kind === 'offset' ? Number(at) : 0;
    const matching = g.events.filter(
      (e) =>
        (body.startTime === undefined || e.timestamp >= Number(body.startTime)) &&
        (body.endTime === undefined || e.timestamp <= Number(body.endTime)) &&
        matchesPattern(e.message, body.filterPattern as string | undefined),
    );
    const page = matching.slice(start, start + pageSize);
    const more = start + pageSize < matching.length;
    sendJson(res, {
      events: page.map((e) => ({ ...e })),
      searchedLogStreams: [],
      ...(more ? { nextToken: `offset:${start + pageSize}` } : {}),
    });
  }

  function startLiveTail(body: Record<string, unknown>, res: ServerResponse) {
    const arns = (body.logGroupIdentifiers as string[] | undefined) ?? [];
    const unknown = arns.find((arn) => !arn.startsWith('arn:') || !group(arn));
    if (unknown) return sendError(res, 400, 'InvalidParameterException', `log group identifier ${unknown} must be an existing log group ARN`);
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake' });
    const tail: Tail = { res, arns, pattern: body.logEventFilterPattern as string | undefined };
    tails.add(tail);
    res.on('close', () => tails.delete(tail));
    res.write(eventMessage('sessionStart', { requestId: 'fake', sessionId: `session-${tails.size}`, logGroupIdentifiers: arns }));
  }

  function ingest(name: string, events: FakeEvent[]) {
    const g = group(name);
    if (!g) throw new Error(`no fake log group ${name}`);
    const stored = events.map((e) => ({ ...e, eventId: String(++nextId).padStart(20, '0'), ingestionTime: e.timestamp + 5 }));
    g.events.push(...stored);
    g.events.sort((a, b) => a.timestamp - b.timestamp);
    for (const tail of tails) {
      if (!tail.arns.includes(g.arn)) continue;
      const sessionResults = stored
        .filter((e) => matchesPattern(e.message, tail.pattern))
        .map((e) => ({ logStreamName: e.logStreamName, logGroupIdentifier: g.arn, message: e.message, timestamp: e.timestamp, ingestionTime: e.ingestionTime }));
      tail.res.write(eventMessage('sessionUpdate', { sessionMetadata: { sampled: false }, sessionResults }));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    putLogGroup(name, events = []) {
      groups.set(name, { name, arn: arnOf(name), events: [] });
      if (events.length) ingest(name, events);
    },
    ingest,
    failNext(operation, error) {
      if (error) failures.set(operation, error);
      else failures.delete(operation);
    },
    timeOutLiveTails() {
      for (const tail of tails) {
        tail.res.end(exceptionMessage('SessionTimeoutException', 'Session timed out after 3 hours'));
      }
    },
    liveTailCount: () => tails.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const tail of tails) tail.res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The subset of CloudWatch filter syntax the CLI sends: empty, `"term"`, and `?"a" ?"b"` (any of). */
export function matchesPattern(message: string, pattern: string | undefined): boolean {
  if (!pattern || !pattern.trim()) return true;
  const terms = [...pattern.matchAll(/(\?)?"([^"]*)"/g)];
  if (!terms.length) throw new Error(`fake cannot evaluate filter pattern ${pattern}`);
  const anyOf = terms.every((t) => t[1] === '?');
  return anyOf ? terms.some((t) => message.includes(t[2]!)) : terms.every((t) => message.includes(t[2]!));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function sendJson(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, type: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'fake' });
  res.end(JSON.stringify({ __type: type, message }));
}

function eventMessage(eventType: string, payload: unknown): Buffer {
  return encodeMessage({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, JSON.stringify(payload));
}

function exceptionMessage(exceptionType: string, message: string): Buffer {
  return encodeMessage({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }, JSON.stringify({ message }));
}

/**
 * One AWS event-stream message: prelude (total length, headers length, prelude CRC32), headers
 * (name length u8, name, type 7 = string, value length u16, value), payload, message CRC32.
 */
export function encodeMessage(headers: Record<string, string>, payload: string): Buffer {
  const headerParts = Object.entries(headers).map(([name, value]) => {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const out = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    out.writeUInt8(n.length, 0);
    n.copy(out, 1);
    out.writeUInt8(7, 1 + n.length);
    out.writeUInt16BE(v.length, 2 + n.length);
    v.copy(out, 4 + n.length);
    return out;
  });
  const headerBytes = Buffer.concat(headerParts);
  const body = Buffer.from(payload, 'utf8');
  const total = 12 + headerBytes.length + body.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const withoutCrc = Buffer.concat([prelude, headerBytes, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(withoutCrc), 0);
  return Buffer.concat([withoutCrc, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE), which event-stream framing uses; node:zlib only has it from Node 22. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
