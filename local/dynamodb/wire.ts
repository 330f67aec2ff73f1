import http from 'node:http';
import { crc32 } from 'node:zlib';

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding']);

/**
 * Raw DynamoDB JSON-protocol calls to dynalite over a keep-alive agent. The caller's headers (signature,
 * user agent) are passed on: dynalite checks that a signature is present, not that it matches the body.
 */
export class DynamoWire {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly target: URL;

  constructor(endpoint: string) {
    this.target = new URL(endpoint);
  }

  send(headers: http.IncomingHttpHeaders, body: Buffer): Promise<WireResponse> {
    const outgoing: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) outgoing[name] = value;
    outgoing['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { hostname: this.target.hostname, port: this.target.port, path: '/', method: 'POST', headers: outgoing, agent: this.agent, timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('dynalite did not answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** One operation with a JSON payload, reusing a client's headers for authentication. */
  async call(headers: http.IncomingHttpHeaders, operation: string, payload: unknown): Promise<{ status: number; json: any }> {
    const res = await this.send({ ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}`, 'content-type': 'application/x-amz-json-1.0' }, Buffer.from(JSON.stringify(payload)));
    return { status: res.status, json: parseJson(res.body) };
  }

  close(): void {
    this.agent.destroy();
  }
}

export function parseJson(body: Buffer): any {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return undefined;
  }
}

/** Writes a response, with a fresh CRC32 header when the body was rewritten (SDKs may check it). */
export function reply(res: http.ServerResponse, upstream: WireResponse, body: Buffer = upstream.body): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers['content-length'] = body.length;
  if (body !== upstream.body && headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = String(crc32(body));
  res.writeHead(upstream.status, headers);
  res.end(body);
}

export function errorResponse(status: number, type: string, message: string): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `local-${Date.now()}` },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })),
  };
}
