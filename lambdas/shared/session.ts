import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type CompactJWSHeaderParameters, type FlattenedJWSInput, type JWK } from 'jose';
import { Forbidden, Unauthorized } from './errors';
import { baseUrl, header, publicBaseUrl, type HttpEvent } from './http';

/**
 * Sessions are EdDSA-signed JWTs: only the user service holds the private key (from Secrets Manager);
 * every other function verifies with the public keys, so a compromised rule function cannot mint sessions.
 * Every token names its key (`kid`); verifiers hold the current key and the one before it (a rotation
 * keeps the previous key until the next rotation) and refuse any other kid.
 */
export const SESSION_ALG = 'EdDSA';
const ISSUER = 'noops-todo/user';
const AUDIENCE = 'noops-todo';

export interface SessionClaims {
  userId: string;
  userName: string;
  /** Per-user session version: bumping it ("sign out everywhere") invalidates older tokens. */
  sessionVersion: number;
}

export interface Session extends SessionClaims {
  issuedAt: number;
  expiresAt: number;
}

/** `__Host-` pins the cookie to this exact origin over HTTPS; plain-http localhost cannot use it. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-session' : 'session';
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  const attrs = [`${sessionCookieName(secure)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** The bearer token or session cookie of a request, if any (payload 2.0 puts cookies in `cookies[]`). */
export function sessionToken(event: HttpEvent): string | undefined {
  const authorization = header(event, 'authorization');
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  for (const cookie of event.cookies ?? []) {
    const eq = cookie.indexOf('=');
    const name = cookie.slice(0, eq).trim();
    if (name === '__Host-session' || name === 'session') return cookie.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export interface SignedSession {
  token: string;
  /** Epoch seconds, the token's `exp`. */
  expiresAt: number;
}

export async function signSession(claims: SessionClaims, privateJwk: JWK, ttlSeconds: number): Promise<SignedSession> {
  if (!privateJwk.kid) throw new Error('the session signing key has no kid');
  const key = await importJWK(privateJwk, SESSION_ALG);
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + ttlSeconds;
  const token = await new SignJWT({ name: claims.userName, sv: claims.sessionVersion })
    .setProtectedHeader({ alg: SESSION_ALG, kid: privateJwk.kid })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(key);
  return { token, expiresAt };
}

/**
 * The verification keys from SESSION_PUBLIC_KEYS: a JWKS, current key first, each with its `kid`.
 * Throws at cold start on anything else, so a bad deployment fails loudly instead of refusing everyone.
 */
export function parseSessionKeySet(json: string): JSONWebKeySet {
  const set = JSON.parse(json) as Partial<JSONWebKeySet>;
  if (!Array.isArray(set.keys) || set.keys.length === 0) throw new Error('SESSION_PUBLIC_KEYS must be a JWKS: {"keys":[…]}');
  for (const key of set.keys) {
    if (typeof key.kid !== 'string' || !key.kid || 'd' in key) throw new Error('SESSION_PUBLIC_KEYS members must be public keys with a kid');
  }
  return set as JSONWebKeySet;
}

export function sessionVerifier(keySet: JSONWebKeySet) {
  const keys = createLocalJWKSet(keySet);
  // jose matches by kid when the header has one; without one it would try any key, so refuse it here.
  const byKid = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    if (typeof header.kid !== 'string') throw new Error('token has no kid');
    return keys(header, token);
  };
  return async (token: string | undefined): Promise<Session> => {
    if (!token) throw new Unauthorized();
    try {
      const { payload } = await jwtVerify(token, byKid, { issuer: ISSUER, audience: AUDIENCE, algorithms: [SESSION_ALG] });
      if (typeof payload.sub !== 'string' || typeof payload.name !== 'string') throw new Error('claims');
      return {
        userId: payload.sub,
        userName: payload.name,
        sessionVersion: typeof payload.sv === 'number' ? payload.sv : 0,
        issuedAt: payload.iat ?? 0,
        expiresAt: payload.exp ?? 0,
      };
    } catch {
      // A retired or unknown kid lands here too: the same answer as any other invalid token.
      throw new Unauthorized('Your session has expired or is invalid; sign in again', 'SessionInvalid');
    }
  };
}

/** How a request carries its session: cookies ride along automatically, bearer tokens never do. */
export function sessionSource(event: HttpEvent): 'bearer' | 'cookie' | undefined {
  if (header(event, 'authorization')?.toLowerCase().startsWith('bearer ')) return 'bearer';
  return sessionToken(event) === undefined ? undefined : 'cookie';
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the CSRF check knows of the site, from the function's configuration (lambdas/shared/config.ts). */
export interface SiteOrigins {
  /** PUBLIC_BASE_URL. */
  publicBaseUrl?: string;
  /** CORS_ALLOWED_ORIGINS, parsed. */
  corsOrigins?: readonly string[];
}

/** The site's own origins plus the extra origins allowed to call with credentials. */
export function allowedOrigins(event: HttpEvent, site: SiteOrigins = {}): Set<string> {
  return new Set([baseUrl(event), publicBaseUrl(event, site.publicBaseUrl), ...(site.corsOrigins ?? [])].map((o) => o.replace(/\/+$/, '')));
}

/**
 * CSRF defence on top of SameSite=Strict: a state-changing request authenticated by cookie must come
 * from the site itself (Origin, or Sec-Fetch-Site which every current browser sends). Bearer tokens are
 * never attached by a browser on its own, so they are exempt.
 */
export function assertSameOrigin(event: HttpEvent, site: SiteOrigins = {}): void {
  const method = event.requestContext?.http?.method?.toUpperCase() ?? '';
  if (!STATE_CHANGING.has(method) || sessionSource(event) !== 'cookie') return;
  const fetchSite = header(event, 'sec-fetch-site')?.toLowerCase();
  if (fetchSite === 'same-origin' || fetchSite === 'none') return;
  const origin = header(event, 'origin');
  if (origin && origin !== 'null' && allowedOrigins(event, site).has(origin)) return;
  throw new Forbidden('Cross-site request refused', 'CrossSiteRequest');
}

/** Verifies the caller's session (cookie or bearer) and applies the CSRF check. */
export function authenticator(keySet: JSONWebKeySet, site: SiteOrigins = {}) {
  const verify = sessionVerifier(keySet);
  return async (event: HttpEvent): Promise<Session> => {
    const session = await verify(sessionToken(event));
    assertSameOrigin(event, site);
    return session;
  };
}
