import { CORS_POLICY } from '../../topology/http-policy';

/** HTTP API's CORS configuration, applied by the gateway (which then answers preflights itself). */
export interface CorsConfig {
  /** Exact origins (`https://app.example.com`) or `*`; empty means same origin only. */
  allowOrigins: string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

/** Topology's CORS policy (the one API Gateway gets on AWS) with these origins. */
export function corsConfig(allowOrigins: string[]): CorsConfig {
  const { allowMethods, allowHeaders, exposeHeaders, maxAgeSeconds } = CORS_POLICY;
  return { allowOrigins, allowMethods, allowHeaders, exposeHeaders, maxAgeSeconds };
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
