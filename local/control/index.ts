import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AliasRouting } from '../lambda/alias';
import type { MetricLog } from '../cloudwatch/metrics';
import type { ReplicaDeclaration } from '../../topology/environment';
import { replicaEntry, type ReplicaEntry } from '../../topology/replica-config';
import { ReplicaChangeError } from '../replica-set';

/** What the control endpoint drives: the function pool's versions and `live` aliases. */
export interface VersionedFunctions {
  functionNames: string[];
  publishVersion(functionName: string, bundle: string): Promise<string>;
  alias(functionName: string): AliasRouting & { versions: string[] };
  updateAlias(functionName: string, routing: AliasRouting): void;
}

/** What the control endpoint changes of the replicas (local/replica-set.ts), as `pulumi up` after a stack config change. */
export interface Replicas {
  list(): readonly ReplicaDeclaration[];
  add(entry: ReplicaEntry): Promise<ReplicaDeclaration>;
  remove(name: string): Promise<ReplicaDeclaration>;
}

/** The versions a finished release moved between, kept per function for `release --local rollback`. */
export interface LastRelease { currentVersion: string; targetVersion: string }

export interface Control {
  url: string;
  /** Sent as `authorization: Bearer <token>`; written to the stack file only. */
  token: string;
  stop(): Promise<void>;
}

/**
 * The local runtime's control endpoint, what the Lambda API (PublishVersion, GetAlias, UpdateAlias) and
 * CloudWatch's metrics are for a deployed stack: `npm run release -- --local` runs in another process
 * than `npm start`, so it needs a request/response channel into the running stack. It binds 127.0.0.1
 * only and wants the bearer token from the stack file (readable by this user only), so neither another
 * user nor a web page (which cannot read the token nor send the header without a preflight nobody
 * answers) can publish code into the stack.
 *
 *   GET  /functions/<fn>/alias      → { version, weights, versions, lastRelease? }
 *   PUT  /functions/<fn>/alias        { version, weights, release? }
 *   POST /functions/<fn>/versions     { bundle: "<absolute path>/index.mjs" } → { version }
 *   GET  /metrics?after=<seq>        → { samples, last }
 *   GET  /replicas                   → { replicas: [{ name, source, reader, envVar, attributes }] }
 *   POST /replicas                     { name, source, reader, envVar, attributes? } → 201 { replica }
 *   DELETE /replicas/<name>          → { replica }
 * (`npm run replicas -- add|remove`; 400 invalid entry, 404 unknown replica, 409 a conflict).
 */
export async function startControl(fns: VersionedFunctions, metrics: MetricLog, replicas?: Replicas): Promise<Control> {
  const token = randomBytes(32).toString('base64url');
  const lastReleases = new Map<string, LastRelease>();
  const server = createServer((req, res) => {
    handle(req).then((answer) => send(res, answer.status, answer.body), (err: Error) => {
      const status = err instanceof ReplicaChangeError ? err.status : 400;
      send(res, status, { error: { code: status === 404 ? 'NotFound' : status === 409 ? 'Conflict' : 'BadRequest', message: err.message } });
    });
  });

  async function handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    if (!authorized(req.headers.authorization, token)) return { status: 401, body: { error: { code: 'Unauthorized', message: 'a bearer token from the stack file is required' } } };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/metrics') return { status: 200, body: metrics.after(Number(url.searchParams.get('after') ?? 0) || 0) };
    if (replicas && url.pathname === '/replicas' && req.method === 'GET') return { status: 200, body: { replicas: replicas.list().map(replicaEntry) } };
    if (replicas && url.pathname === '/replicas' && req.method === 'POST') {
      const entry = await readJson(req);
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('body must be { name, source, reader, envVar, attributes? }');
      return { status: 201, body: { replica: replicaEntry(await replicas.add(entry as ReplicaEntry)) } };
    }
    const replica = /^\/replicas\/([a-z0-9-]+)$/.exec(url.pathname);
    if (replicas && replica && req.method === 'DELETE') return { status: 200, body: { replica: replicaEntry(await replicas.remove(replica[1]!)) } };
    const match = /^\/functions\/([a-z0-9-]+)\/(alias|versions)$/.exec(url.pathname);
    if (!match) return notFound(`no ${req.method} ${url.pathname}`);
    const [, fn, what] = match as unknown as [string, string, string];
    if (!fns.functionNames.includes(fn)) return notFound(`no function named "${fn}"`);
    if (what === 'alias' && req.method === 'GET') return { status: 200, body: { ...fns.alias(fn), ...(lastReleases.has(fn) ? { lastRelease: lastReleases.get(fn) } : {}) } };
    const body = await readJson(req);
    if (what === 'alias' && req.method === 'PUT') {
      const { version, weights, release } = body as { version?: unknown; weights?: unknown; release?: LastRelease };
      if (typeof version !== 'string' || typeof weights !== 'object' || weights === null) throw new Error('body must be { version: string, weights: { [version]: share } }');
      fns.updateAlias(fn, { version, weights: weights as Record<string, number> });
      if (release && typeof release.currentVersion === 'string' && typeof release.targetVersion === 'string') lastReleases.set(fn, { currentVersion: release.currentVersion, targetVersion: release.targetVersion });
      return { status: 200, body: fns.alias(fn) };
    }
    if (what === 'versions' && req.method === 'POST') {
      const bundle = (body as { bundle?: unknown }).bundle;
      if (typeof bundle !== 'string' || !path.isAbsolute(bundle)) throw new Error('body must be { bundle: "<absolute path of index.mjs>" }');
      return { status: 201, body: { version: await fns.publishVersion(fn, bundle) } };
    }
    return notFound(`no ${req.method} on ${url.pathname}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer /, '') ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function notFound(message: string) {
  return { status: 404, body: { error: { code: 'NotFound', message } } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new Error('body too large');
  }
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new Error('body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
