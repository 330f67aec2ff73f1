import { validateHeaderName, validateHeaderValue } from 'node:http';

/** The HTTP response a payload 2.0 result turns into. */
export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Each becomes its own Set-Cookie header. */
  cookies: string[];
  body: Buffer;
}

export class InvalidFunctionResponse extends Error {
  override name = 'InvalidFunctionResponse';
}

/**
 * Maps a function's return value back to HTTP like HTTP API's payload 2.0 does: an object with a
 * `statusCode` is a structured result; anything else is the body of a 200 JSON response (a string as is,
 * other values JSON-encoded).
 */
export function fromApiGatewayResult(result: unknown): GatewayResponse {
  if (!isStructured(result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result;
  if (!Number.isInteger(statusCode) || (statusCode as number) < 100 || (statusCode as number) > 599) {
    throw new InvalidFunctionResponse(`statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}`);
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new InvalidFunctionResponse('body must be a string');
  }
  return {
    statusCode: statusCode as number,
    headers: formatHeaders(headers),
    cookies: formatCookies(cookies),
    body: body ? Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8') : Buffer.alloc(0),
  };
}

function isStructured(result: unknown): result is Record<string, unknown> {
  return typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result;
}

function formatHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) throw new InvalidFunctionResponse('headers must be an object');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, String(value));
    } catch {
      // API Gateway refuses such a response too, rather than letting a function split headers.
      throw new InvalidFunctionResponse(`header ${JSON.stringify(name)} has an invalid name or value`);
    }
    out[name.toLowerCase()] = String(value);
  }
  return out;
}

function formatCookies(cookies: unknown): string[] {
  if (cookies === undefined || cookies === null) return [];
  if (!Array.isArray(cookies)) throw new InvalidFunctionResponse('cookies must be an array of strings');
  return cookies.map((cookie) => {
    const value = String(cookie);
    if (/[\r\n\0]/.test(value)) throw new InvalidFunctionResponse('a cookie contains a line break');
    return value;
  });
}
