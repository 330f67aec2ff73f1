/**
 * The HTTP policies both runtimes apply, as data: the API's CORS configuration (API Gateway's
 * corsConfiguration on AWS, local/gateway/cors.ts locally) and the security headers of every page
 * (CloudFront's response-headers policy on AWS, the static function everywhere).
 */

import { createHash } from 'node:crypto';

/** The origin header CloudFront adds with the origin secret (and the local gateway, playing the edge). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** Hex SHA-256 of an origin secret value: what both runtimes put in ORIGIN_VERIFY_DIGEST. */
export function originDigest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
/**
 * `<viewer ip>:<viewer port>`, added by CloudFront ("Add CloudFront request headers", viewer location
 * headers), e.g. `198.51.100.10:46532`; IPv6 addresses come unbracketed: `2001:db8::1:46532`.
 */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/** HTTP API CORS settings besides the origins, which come from stack config (`corsOrigins`) or CORS_ALLOWED_ORIGINS. */
export const CORS_POLICY = {
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'if-match', 'x-request-id'],
  exposeHeaders: ['etag', 'link', 'location', 'x-request-id'],
  /** Sessions are cookies: listed origins may send credentials. */
  allowCredentials: true,
  maxAgeSeconds: 600,
} as const;

/** `https://a.example, https://b.example/` → the origins without trailing slash; unset or empty → []. */
export function parseOrigins(value: string | undefined): string[] {
  return (value ?? '').split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // No 'unsafe-inline' or 'unsafe-eval' for scripts: the web bundle is external files only.
  "script-src 'self'",
  // The app sets no style attributes and has no <style> elements (Preact writes styles through the
  // CSSOM, which CSP does not govern), so inline styles are refused too.
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const HSTS_MAX_AGE_SECONDS = 63_072_000;
export const REFERRER_POLICY = 'strict-origin-when-cross-origin';
export const FRAME_OPTIONS = 'DENY';

/** The security headers of every answer of the site, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': FRAME_OPTIONS,
  'referrer-policy': REFERRER_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
});
