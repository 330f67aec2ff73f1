/**
 * Typed HTTP errors, thrown anywhere in a service and mapped to the `{ error: { code, message } }`
 * contract once, in http.ts.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpError {
  constructor(message: string, code = 'BadRequest') {
    super(400, code, message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Sign in first', code = 'Unauthorized') {
    super(401, code, message);
  }
}

export class Forbidden extends HttpError {
  constructor(message: string, code = 'Forbidden') {
    super(403, code, message);
  }
}

export class NotFound extends HttpError {
  constructor(message = 'Not found', code = 'NotFound') {
    super(404, code, message);
  }
}

export class MethodNotAllowed extends HttpError {
  constructor(message = 'Method not allowed') {
    super(405, 'MethodNotAllowed', message);
  }
}

export class Conflict extends HttpError {
  constructor(message: string, code = 'Conflict') {
    super(409, code, message);
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'PayloadTooLarge', `Request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(message = 'Send the body as application/json') {
    super(415, 'UnsupportedMediaType', message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'TooManyRequests', message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

export function assertIsError(err: unknown): asserts err is Error {
  if (!(err instanceof Error)) throw err;
}

/** DynamoDB's ConditionalCheckFailedException, whichever client threw it. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
