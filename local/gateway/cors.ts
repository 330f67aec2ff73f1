/** HTTP API's CORS configuration, applied by the gateway (which then answers preflights itself). */
export interface CorsConfig {
  /** Exact origins (`https://app.example.com`) or `*`; empty means same origin only. */
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

export function corsConfig(allowOrigins: string[]): CorsConfig {
  return {
    allowOrigins,
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowHeaders: ['content-type', 'authorization', 'if-match', 'x-request-id'],
    exposeHeaders: ['x-request-id', 'etag', 'link', 'location'],
    maxAgeSeconds: 600,
  };
}

/** `CORS_ALLOWED_ORIGINS=https://a.example,https://b.example` → the list; unset or empty → []. */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
}

export function isPreflight(method: string, headers: Record<string, string | string[] | undefined>): boolean {
  return method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';
}

/** Headers for a preflight answer; none when the origin is not allowed, so the browser blocks the call. */
export function preflightHeaders(config: CorsConfig, origin: string, requestHeaders: string | undefined): Record<string, string> {
  const base = corsHeaders(config, origin);
  if (!base['access-control-allow-origin']) return base;
  const allowHeaders = config.allowHeaders.includes('*') && requestHeaders ? requestHeaders : config.allowHeaders.join(',');
  return {
    ...base,
    'access-control-allow-methods': config.allowMethods.join(','),
    'access-control-allow-headers': allowHeaders,
    'access-control-max-age': String(config.maxAgeSeconds),
  };
}

/**
 * Headers for an actual cross-origin response. Sessions are cookies, so credentials are allowed for
 * listed origins; a wildcard origin cannot carry credentials (the browser would reject it).
 */
export function corsHeaders(config: CorsConfig, origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  const normalized = origin.replace(/\/$/, '');
  const vary = { vary: 'Origin' };
  if (config.allowOrigins.includes(normalized)) {
    return {
      ...vary,
      'access-control-allow-origin': normalized,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': config.exposeHeaders.join(','),
    };
  }
  if (config.allowOrigins.includes('*')) {
    return { ...vary, 'access-control-allow-origin': '*', 'access-control-expose-headers': config.exposeHeaders.join(',') };
  }
  return {};
}
