import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER } from '../../topology/http-policy';
import { Forbidden } from './errors';
import { secretReader } from './secrets';

/**
 * CloudFront is the only way in. The distribution adds a secret origin header to every request it
 * forwards ("Add custom headers to origin requests", CloudFront developer guide: "you prevent users
 * from bypassing CloudFront and accessing your content directly on the origin"), and every function
 * behind the API refuses a request without it before any route runs. Locally the gateway plays the
 * edge and adds the same header.
 *
 * The function only has to recognise the value, not know it: its environment carries the SHA-256
 * digest of the current value (ORIGIN_VERIFY_DIGEST), which gives nothing to a reader of the function's
 * configuration (finding a value with a given SHA-256 digest is a preimage attack; the value is 48
 * random letters and digits, ~285 bits). A request with the current value therefore passes without
 * any call, at cold start as later. Only a value that is not the current one, which during a rotation
 * is the previous value CloudFront's edges still send for the minutes the new configuration propagates,
 * makes the function read the secret's stages from Secrets Manager.
 */
export { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER };

/** The values a request may carry: Secrets Manager's AWSCURRENT and, during a rotation, AWSPREVIOUS. */
export type OriginSecretSource = () => Promise<string[]>;

export interface OriginGuardOptions {
  /** How long a read of the secret is reused; a rotation is picked up within this time. */
  maxAgeMs?: number;
  /**
   * A header that matches neither cached value triggers one re-read, at most this often, so that the
   * first requests CloudFront sends with a rotated value pass even before the cache expires.
   */
  refreshAfterMs?: number;
  /** Hex SHA-256 of the current value (ORIGIN_VERIFY_DIGEST): a request carrying it passes without a read. */
  digest?: string;
  now?: () => number;
}

/**
 * Reads both stages of the origin secret. Per the PutSecretValue API reference, storing a new version
 * moves AWSCURRENT to it and AWSPREVIOUS to the version that had AWSCURRENT: edges still sending the
 * old value while CloudFront propagates the new configuration keep passing. Before the first rotation
 * there is no AWSPREVIOUS (ResourceNotFoundException).
 */
export function secretsManagerSource(secretId: string, client?: SecretsManagerClient): OriginSecretSource {
  // A function that only ever sees the current value never loads the SDK.
  const secret = secretReader(client);
  const read = (VersionStage: string) =>
    secret(secretId, VersionStage).catch((err: Error) => {
      if (VersionStage === 'AWSPREVIOUS' && err.name === 'ResourceNotFoundException') return undefined;
      throw err;
    });
  return async () => {
    const [current, previous] = await Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')]);
    if (!current) throw new Error(`secret ${secretId} has no SecretString`);
    return previous ? [current, previous] : [current];
  };
}

/**
 * The check every HTTP function runs first (in `httpHandler`): 403 in the error contract unless the
 * request carries the origin secret. A value whose digest is `options.digest` passes at once; any
 * other is checked against `source`. Without a configured secret every request is refused: a
 * function that cannot check must not answer.
 */
export function originGuard(source: OriginSecretSource | undefined, options: OriginGuardOptions = {}) {
  const { maxAgeMs = 60_000, refreshAfterMs = 5_000, now = Date.now } = options;
  const current = options.digest && /^[0-9a-f]{64}$/i.test(options.digest) ? Buffer.from(options.digest, 'hex') : undefined;
  let cached: { values: Promise<string[]>; at: number } | undefined;
  const load = () => {
    const entry = { values: source!(), at: now() };
    // A failed read is not kept: the next request tries again.
    entry.values.catch(() => {
      if (cached === entry) cached = undefined;
    });
    cached = entry;
    return entry.values;
  };
  const values = async () => {
    const fresh = cached && now() - cached.at < maxAgeMs ? cached : undefined;
    // A read that failed (the one started at init, say) is retried by the request that finds it.
    if (fresh) return fresh.values.catch(load);
    return load();
  };
  // Without the digest every request needs the stages: read them during init, before the first one.
  if (source && !current) void load().catch(() => undefined);

  /** The event without the secret (so no route can log or echo it), or a 403 `Forbidden`. */
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyEventV2> => {
    const { [ORIGIN_VERIFY_HEADER]: sent, ...headers } = event.headers ?? {};
    const checked = { ...event, headers };
    if (sent === undefined || (!source && !current)) throw notThroughEdge();
    if (current && timingSafeEqual(sha256(sent), current)) return checked;
    if (!source) throw notThroughEdge();
    if (matchesAny(sent, await values())) return checked;
    if (cached && now() - cached.at >= refreshAfterMs && matchesAny(sent, await load())) return checked;
    throw notThroughEdge();
  };
}

export type OriginGuard = ReturnType<typeof originGuard>;

/**
 * The guard of a function's configured origin secret: the digest of its current value, and the
 * secret's ARN (its id locally), never its value.
 */
export function configuredOriginGuard(secretId: string | undefined, digest?: string): OriginGuard {
  return originGuard(secretId ? secretsManagerSource(secretId) : undefined, { digest });
}

function notThroughEdge(): Forbidden {
  return new Forbidden('Requests must come through the site', 'DirectAccessForbidden');
}

/** Constant time whatever the input: digests have one length, and every accepted value is compared. */
function matchesAny(sent: string, accepted: string[]): boolean {
  const sentDigest = sha256(sent);
  let match = false;
  for (const value of accepted) match = timingSafeEqual(sentDigest, sha256(value)) || match;
  return match;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The viewer's IP address as CloudFront reports it, without the port; undefined when the header is
 * absent or malformed. Only meaningful after `originGuard` passed: CloudFront overwrites this header,
 * but a direct caller could send anything.
 */
export function viewerAddress(event: APIGatewayProxyEventV2): string | undefined {
  const value = event.headers?.[VIEWER_ADDRESS_HEADER]?.trim();
  if (!value) return undefined;
  const match = /^\[?([0-9A-Fa-f:.]+?)\]?:(\d{1,5})$/.exec(value);
  const ip = match?.[1];
  return ip && isIP(ip) ? ip.toLowerCase() : undefined;
}

/**
 * The address to count a client by: the viewer CloudFront saw. API Gateway's `sourceIp` is "the source
 * IP address of the TCP connection making the request to API Gateway" (HTTP API access-log variables),
 * which behind CloudFront is an edge server that many viewers share, so it is only the fallback.
 */
export function clientAddress(event: APIGatewayProxyEventV2): string {
  return viewerAddress(event) ?? event.requestContext?.http?.sourceIp ?? 'unknown';
}
