import { InvalidFunctionResponse } from './api-gateway-v2-result';
import { InvocationError } from '../lambda';

export interface GatewayError {
  statusCode: number;
  code: string;
  message: string;
}

/**
 * Failures of the gateway or of the function (not answers from it) in the API's error contract, with
 * the status API Gateway uses for the same failure and a hint where to look.
 */
export function gatewayError(err: unknown, functionName: string, requestId: string): GatewayError {
  const see = `See the ${functionName} function's logs for request ${requestId}.`;
  if (err instanceof InvalidFunctionResponse) {
    return { statusCode: 502, code: 'InvalidFunctionResponse', message: `The ${functionName} function returned a malformed response: ${err.message}. ${see}` };
  }
  if (!(err instanceof InvocationError)) {
    return { statusCode: 500, code: 'GatewayError', message: `The local gateway failed: ${(err as Error)?.message ?? String(err)}` };
  }
  switch (err.code) {
    case 'FunctionError':
      return { statusCode: 500, code: 'FunctionError', message: `The ${functionName} function threw ${err.message}. ${see}` };
    case 'FunctionCrashed':
      return { statusCode: 502, code: 'FunctionCrashed', message: `${err.message}. ${see}` };
    case 'FunctionInitError':
      return { statusCode: 502, code: 'FunctionInitError', message: `The ${functionName} function failed to start: ${err.message}` };
    case 'FunctionTimeout':
      return { statusCode: 504, code: 'FunctionTimeout', message: `The ${functionName} function did not answer in time: ${err.message}. ${see}` };
    case 'Throttled':
      return { statusCode: 503, code: 'Throttled', message: `Too many concurrent requests: ${err.message}` };
    case 'PoolStopped':
      return { statusCode: 503, code: 'ServiceUnavailable', message: err.message };
    case 'UnknownFunction':
      return { statusCode: 500, code: 'GatewayError', message: err.message };
  }
}

export function errorJson(error: Pick<GatewayError, 'code' | 'message'>): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}
