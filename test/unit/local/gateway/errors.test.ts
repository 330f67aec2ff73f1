import { describe, expect, it } from 'vitest';
import { InvalidFunctionResponse } from '../../../../local/gateway/api-gateway-v2-result';
import { InvocationError, type InvocationErrorCode } from '../../../../local/lambda';
import { errorJson, gatewayError } from '../../../../local/gateway/errors';

describe('gatewayError', () => {
  it.each<[InvocationErrorCode, number, string]>([
    ['FunctionError', 500, 'FunctionError'],
    ['FunctionCrashed', 502, 'FunctionCrashed'],
    ['FunctionInitError', 502, 'FunctionInitError'],
    ['FunctionTimeout', 504, 'FunctionTimeout'],
    ['Throttled', 503, 'Throttled'],
    ['PoolStopped', 503, 'ServiceUnavailable'],
  ])('maps %s to %i', (code, statusCode, errorCode) => {
    expect(gatewayError(new InvocationError(code, 'details'), 'rule', 'req-1')).toMatchObject({ statusCode, code: errorCode });
  });

  it('names the function and the request id, so the logs can be found', () => {
    const { message } = gatewayError(new InvocationError('FunctionCrashed', 'rule instance exited mid-invocation (code 1)'), 'rule', 'abc123=');
    expect(message).toContain('rule');
    expect(message).toContain('abc123=');
  });

  it('maps a malformed function response to 502 and anything else to 500', () => {
    expect(gatewayError(new InvalidFunctionResponse('statusCode must be…'), 'rule', 'r').statusCode).toBe(502);
    expect(gatewayError(new Error('boom'), 'rule', 'r')).toMatchObject({ statusCode: 500, code: 'GatewayError' });
  });

  it('serialises to the API error contract', () => {
    expect(JSON.parse(errorJson({ code: 'Throttled', message: 'm' }))).toEqual({ error: { code: 'Throttled', message: 'm' } });
  });
});
