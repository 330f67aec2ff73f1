import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Todo } from '../../lambdas/rule/domain';
import type { User } from '../../lambdas/user/domain';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/edge';
import { signSession, type SessionClaims } from '../../lambdas/shared/session';
import { TEST_ORIGIN_SECRET } from './edge';

export interface HttpEventOptions {
  /** e.g. `GET /api/todos/{id}`; defaults to `<method> <path>`. */
  routeKey?: string;
  method?: string;
  path?: string;
  /** An object is sent as JSON (with a JSON content type unless `headers` says otherwise); a string as is. */
  body?: unknown;
  cookies?: string[];
  headers?: Record<string, string>;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  sourceIp?: string;
  isBase64Encoded?: boolean;
  /** Send the test origin secret as CloudFront would (default true). */
  throughEdge?: boolean;
}

/** An exact API Gateway HTTP API payload-format-2.0 event, as the gateway (AWS or local) builds it. */
export function httpEvent(options: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const routeMethod = options.routeKey?.includes(' ') ? options.routeKey.split(' ')[0] : undefined;
  const method = (options.method ?? routeMethod ?? 'GET').toUpperCase();
  const path = options.path ?? '/';
  const routeKey = options.routeKey ?? `${method} ${path}`;
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const body = options.body === undefined || typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    host: 'todo.example.com',
    'user-agent': 'vitest',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    ...(options.throughEdge === false ? {} : { [ORIGIN_VERIFY_HEADER]: TEST_ORIGIN_SECRET }),
    ...(body !== undefined && typeof options.body !== 'string' ? { 'content-type': 'application/json' } : {}),
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    ...(options.cookies ? { cookies: options.cookies } : {}),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: headers.host ?? 'todo.example.com',
      domainPrefix: 'todo',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: options.sourceIp ?? '203.0.113.7', userAgent: 'vitest' },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** The JSON body of a handler result. */
export function bodyOf<T = unknown>(result: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(result.body ?? '') as T;
}

export interface SessionKeys {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function sessionKeys(): Promise<SessionKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' } };
}

export function sessionClaims(overrides: Partial<SessionClaims> = {}): SessionClaims {
  return { userId: uuidv7(), userName: `user-${randomUUID().slice(0, 8)}`, sessionVersion: 1, ...overrides };
}

export function sessionTokenFor(keys: SessionKeys, claims: SessionClaims, ttlSeconds = 3600): Promise<string> {
  return signSession(claims, keys.privateJwk, ttlSeconds).then((signed) => signed.token);
}

export function todo(overrides: Partial<Todo> = {}): Todo {
  const at = new Date().toISOString();
  return { userId: uuidv7(), key: uuidv7(), name: 'Water the plants', status: 1, progress: 0, order: 0, createdAt: at, updatedAt: at, version: 1, ...overrides };
}

export function user(overrides: Partial<User> = {}): User {
  const at = new Date().toISOString();
  const displayName = overrides.displayName ?? `User-${randomUUID().slice(0, 8)}`;
  return {
    userName: displayName.toLowerCase(),
    displayName,
    userId: uuidv7(),
    passwordHash: 'scrypt$1024$8$1$AAAA$AAAA',
    sessionVersion: 1,
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
  };
}
