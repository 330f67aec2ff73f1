import { describe, expect, it } from 'vitest';
import { corsConfig, corsHeaders, isPreflight, preflightHeaders } from '../../../../local/gateway/cors';
import { parseOrigins } from '../../../../topology/http-policy';

describe('CORS', () => {
  const config = corsConfig(['https://app.example.com']);

  it('parses the allowed origins list', () => {
    expect(parseOrigins(' https://a.example/ ,https://b.example,,')).toEqual(['https://a.example', 'https://b.example']);
    expect(parseOrigins(undefined)).toEqual([]);
  });

  it('allows listed origins with credentials and exposes the request id', () => {
    expect(corsHeaders(config, 'https://app.example.com')).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    expect(corsHeaders(config, 'https://app.example.com')['access-control-expose-headers']).toContain('x-request-id');
  });

  it('adds nothing for other origins or same-origin requests (the default)', () => {
    expect(corsHeaders(config, 'https://evil.example')).toEqual({});
    expect(corsHeaders(corsConfig([]), 'https://app.example.com')).toEqual({});
    expect(corsHeaders(config, undefined)).toEqual({});
  });

  it('answers preflights with methods, headers and max age for allowed origins only', () => {
    expect(preflightHeaders(config, 'https://app.example.com', 'content-type')).toMatchObject({
      'access-control-allow-methods': expect.stringContaining('PATCH'),
      'access-control-allow-headers': expect.stringContaining('if-match'),
      'access-control-max-age': '600',
    });
    expect(preflightHeaders(config, 'https://evil.example', 'content-type')).toEqual({});
  });

  it('never combines a wildcard origin with credentials', () => {
    const headers = corsHeaders(corsConfig(['*']), 'https://any.example');
    expect(headers['access-control-allow-origin']).toBe('*');
    expect(headers).not.toHaveProperty('access-control-allow-credentials');
  });

  it('recognises a preflight by OPTIONS with Origin and Access-Control-Request-Method', () => {
    expect(isPreflight('OPTIONS', { origin: 'https://a', 'access-control-request-method': 'POST' })).toBe(true);
    expect(isPreflight('OPTIONS', { origin: 'https://a' })).toBe(false);
    expect(isPreflight('GET', { origin: 'https://a', 'access-control-request-method': 'POST' })).toBe(false);
  });
});
