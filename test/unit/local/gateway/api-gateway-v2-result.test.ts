import { describe, expect, it } from 'vitest';
import { fromApiGatewayResult, InvalidFunctionResponse } from '../../../../local/gateway/api-gateway-v2-result';

describe('fromApiGatewayResult', () => {
  it('maps a structured result: status, lower-cased headers, cookies and body', () => {
    const response = fromApiGatewayResult({ statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-Count': 3 }, cookies: ['a=1', 'b=2; HttpOnly'], body: '{"ok":true}' });
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-count': '3' },
      cookies: ['a=1', 'b=2; HttpOnly'],
      body: Buffer.from('{"ok":true}'),
    });
  });

  it('decodes base64 bodies', () => {
    const response = fromApiGatewayResult({ statusCode: 200, body: Buffer.from([0, 1, 255]).toString('base64'), isBase64Encoded: true });
    expect(response.body).toEqual(Buffer.from([0, 1, 255]));
  });

  it('answers 200 JSON for results that are not structured, like API Gateway', () => {
    expect(fromApiGatewayResult({ hello: 'world' })).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from('{"hello":"world"}') });
    expect(fromApiGatewayResult('plain').body.toString()).toBe('plain');
    expect(fromApiGatewayResult([1, 2]).body.toString()).toBe('[1,2]');
    expect(fromApiGatewayResult(undefined).body.toString()).toBe('null');
  });

  it('gives a structured result without a body an empty one', () => {
    expect(fromApiGatewayResult({ statusCode: 204 }).body.length).toBe(0);
  });

  it('rejects malformed structured results', () => {
    expect(() => fromApiGatewayResult({ statusCode: 'nope' })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 700 })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, body: { not: 'a string' } })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, headers: ['x'] })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, headers: { 'x-split': 'a\r\nset-cookie: evil=1' } })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, headers: { 'bad name': 'x' } })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, cookies: ['a=1\r\nx: y'] })).toThrow(InvalidFunctionResponse);
    expect(() => fromApiGatewayResult({ statusCode: 200, cookies: 'a=1' })).toThrow(InvalidFunctionResponse);
  });
});
