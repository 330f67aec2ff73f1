import { v7 as uuidv7 } from 'uuid';
import { createDocumentClient } from '../shared/clients';
import { clientAddress } from '../shared/edge';
import { functionConfig } from '../shared/config';
import { Unauthorized } from '../shared/errors';
import { httpHandler, json, parseBody, type HttpEvent } from '../shared/http';
import { instrument } from '../shared/instrument';
import { createLogger } from '../shared/logger';
import { countMetric, createMetrics } from '../shared/metrics';
import { assertSameOrigin, authenticator, clearedSessionCookie, parseSessionKeySet, sessionCookie, signSession } from '../shared/session';
import { traceClient } from '../shared/tracer';
import { createUserService, toProfile } from './domain';
import { scryptHasher } from './password';
import { DynamoLoginAttempts, DynamoUserRepository, ReplicaTodoCounts } from './repository';
import { loginBody, outLoginBody, registerBody, tokenBody } from './schemas';
import { signingKeyLoader } from './signing-key';

const config = functionConfig('user');
const logger = createLogger(config.service, config.logLevel);
const metrics = createMetrics(config.service, config.metricsNamespace);
const db = traceClient(createDocumentClient({ maxAttempts: config.number('DYNAMODB_MAX_ATTEMPTS') }));
const secure = config.cookieSecure;
const site = { publicBaseUrl: config.publicBaseUrl, corsOrigins: config.corsOrigins };
const ttlSeconds = config.number('SESSION_TTL_SECONDS');
const publicKeys = parseSessionKeySet(config.sessionPublicKeys);
const signingKey = signingKeyLoader(config.sessionSigningKeySecretId, { currentKid: publicKeys.keys[0]!.kid });
const authenticate = authenticator(publicKeys, site);

const users = createUserService({
  users: new DynamoUserRepository(db, config.table('users')),
  attempts: new DynamoLoginAttempts(db, config.table('login-attempts')),
  counts: new ReplicaTodoCounts(db, config.replica('rules-replica-for-user')),
  hasher: scryptHasher({ N: config.number('SCRYPT_N'), r: 8, p: 1 }),
  throttle: {
    maxFailures: config.number('LOGIN_MAX_FAILURES'),
    windowSeconds: config.number('LOGIN_WINDOW_SECONDS'),
    lockoutSeconds: config.number('LOGIN_LOCKOUT_SECONDS'),
    slowDownMs: config.number('LOGIN_SLOWDOWN_MS'),
  },
  newId: uuidv7,
});

/**
 * One sign-in for both login routes: the same throttle counters, failure signal and token (expiry,
 * session version), so an API client meets exactly the rules of the browser.
 */
async function signIn(event: HttpEvent, credentials: { userName: string; password: string }) {
  const user = await users.login({ ...credentials, sourceIp: clientAddress(event) });
  if (!user) {
    // A security signal (guessing, stuffing): WARN so `npm run logs -- user --level warn` shows it.
    logger.warn('login failed');
    countMetric(metrics, 'LoginsFailed');
    return undefined;
  }
  logger.appendKeys({ userId: user.userId });
  const session = await signSession(
    { userId: user.userId, userName: user.displayName, sessionVersion: user.sessionVersion },
    await signingKey(),
    ttlSeconds,
  );
  logger.info('login succeeded');
  return session;
}

export const handler = instrument({ logger, metrics, tracing: config.tracing }, httpHandler(logger, {
  'POST /api/register': async (event) => {
    const user = await users.register(parseBody(event, registerBody));
    logger.appendKeys({ userId: user.userId });
    logger.info('user registered');
    return json(201, { status: 'ok', currentAuthority: 'user', userid: user.userId });
  },

  'POST /api/login/account': async (event) => {
    const { userName, password, type = 'account' } = parseBody(event, loginBody);
    const session = await signIn(event, { userName, password });
    if (!session) {
      // The seed UI shows its "wrong user name or password" alert only for a 200 with status "error".
      return json(200, {
        status: 'error',
        type,
        currentAuthority: 'guest',
        error: { code: 'InvalidCredentials', message: 'Wrong user name or password' },
      });
    }
    return json(200, { status: 'ok', type, currentAuthority: 'user' }, { cookies: [sessionCookie(session.token, ttlSeconds, secure)] });
  },

  // For scripts and CLIs: the token in the body (send it as `Authorization: Bearer`), never a cookie.
  'POST /api/login/token': async (event) => {
    const session = await signIn(event, parseBody(event, tokenBody));
    if (!session) throw new Unauthorized('Wrong user name or password', 'InvalidCredentials');
    return json(200, { token: session.token, tokenType: 'Bearer', expiresAt: new Date(session.expiresAt * 1000).toISOString() });
  },

  'POST /api/login/outLogin': async (event) => {
    // A forged cross-site sign-out is a nuisance attack: same CSRF rule as every other cookie write.
    assertSameOrigin(event, site);
    const { everywhere } = parseBody(event, outLoginBody);
    if (everywhere) {
      const session = await authenticate(event);
      logger.appendKeys({ userId: session.userId });
      await users.signOutEverywhere(session);
      logger.info('signed out everywhere');
    }
    return json(200, { data: {}, success: true }, { cookies: [clearedSessionCookie(secure)] });
  },

  'GET /api/currentUser': async (event) => {
    const session = await authenticate(event);
    logger.appendKeys({ userId: session.userId });
    const user = await users.current(session);
    const profile = toProfile(user, await users.counts(user.userId));
    // Ant Design Pro v4 reads the profile at the top level, v5 under `data`: serve both.
    return json(200, { ...profile, success: true, data: profile });
  },
}, { originSecretId: config.originSecretId, originDigest: config.originDigest }));
