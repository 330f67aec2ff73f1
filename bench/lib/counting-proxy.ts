import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountedOperation {
  operation: string;
  table: string;
}

export interface CountingProxy {
  endpoint: string;
  /** Where requests go; set once the stack behind it has started. */
  setUpstream(url: string): void;
  /** Operations seen since the last call, in arrival order. */
  take(): CountedOperation[];
  stop(): Promise<void>;
}

/**
 * A pass-through in front of DynamoDB that records each call's operation (X-Amz-Target) and table, so a
 * test can count what one API request really issues. Bodies are forwarded byte for byte.
 */
export async function startCountingProxy(): Promise<CountingProxy> {
  let upstream: URL | undefined;
  let seen: CountedOperation[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      try {
        const json = JSON.parse(body.toString('utf8') || '{}') as { TableName?: string; RequestItems?: Record<string, unknown> };
        const tables = json.TableName ? [json.TableName] : Object.keys(json.RequestItems ?? {});
        for (const table of tables) seen.push({ operation, table });
      } catch {
        seen.push({ operation, table: '?' });
      }
      if (!upstream) {
        res.writeHead(503).end();
        return;
      }
      const out = http.request(upstream, { method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setUpstream: (url) => (upstream = new URL(url)),
    take: () => seen.splice(0),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `{ "rules GetItem": 1, ... }`: a comparable summary of counted operations. */
export function tally(ops: readonly CountedOperation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { table, operation } of ops) out[`${table} ${operation}`] = (out[`${table} ${operation}`] ?? 0) + 1;
  return out;
}
