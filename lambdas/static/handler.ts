import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { functionConfig } from '../shared/config';
import { getOptionalStringFromEnv } from '../shared/env';
import { HttpError, NotFound } from '../shared/errors';
import { header, httpHandler, type HttpEvent, type HttpResult } from '../shared/http';
import { instrument } from '../shared/instrument';
import { createLogger } from '../shared/logger';
import { etagMatches, fileStore, safeRelativePath } from './files';
import { SECURITY_HEADERS } from '../../topology/http-policy';

const config = functionConfig('static');
const logger = createLogger(config.service, config.logLevel);
// The build copies the web bundle into `web/` beside this function's bundle.
const root = getOptionalStringFromEnv('WEB_ROOT', fileURLToPath(new URL('./web/', import.meta.url)));
const files = fileStore(root);

const IMMUTABLE = 'public, max-age=31536000, immutable';

class MissingFile extends HttpError {
  constructor() {
    super(404, 'NotFound', 'No such file');
  }
}

async function serve(event: HttpEvent): Promise<HttpResult> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const rawPath = event.rawPath || '/';
  if (rawPath === '/api' || rawPath.startsWith('/api/')) throw new NotFound(`No route for ${method} ${rawPath}`);
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'MethodNotAllowed', 'Use GET or HEAD', { allow: 'GET, HEAD' });
  const relative = safeRelativePath(rawPath);
  if (relative === undefined) throw new MissingFile();
  // Client-side routes (/login, /todos/42) have no extension: the app shell answers them.
  const target = relative === '' || path.posix.extname(relative) === '' ? 'index.html' : relative;
  const file = await files(target);
  if (!file) throw new MissingFile();
  const headers = {
    'content-type': file.type,
    etag: file.etag,
    'cache-control': target.startsWith('assets/') ? IMMUTABLE : 'no-cache',
  };
  if (etagMatches(header(event, 'if-none-match'), file.etag)) return { statusCode: 304, headers, body: '' };
  if (method === 'HEAD') return { statusCode: 200, headers: { ...headers, 'content-length': String(file.body.length) }, body: '' };
  return file.text
    ? { statusCode: 200, headers, body: file.body.toString('utf8') }
    : { statusCode: 200, headers, body: file.body.toString('base64'), isBase64Encoded: true };
}

const routes = httpHandler(logger, { $default: serve }, { originSecretId: config.originSecretId, originDigest: config.originDigest });

/** Every answer, errors included, carries the same security headers CloudFront adds on AWS. */
export const handler = instrument({ logger, tracing: config.tracing }, async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
  const result = await routes(event, context);
  return { ...result, headers: { ...result.headers, ...SECURITY_HEADERS } };
});
