/**
 * The security headers of every page, in one place: the static function sends them, and infra's
 * CloudFront response-headers policy is built from the same values so AWS and local agree.
 */
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

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': FRAME_OPTIONS,
  'referrer-policy': REFERRER_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
});
