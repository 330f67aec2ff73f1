import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One JSON logger per function, at the level of its configuration (lambdas/shared/config.ts); debug
 * sampling from POWERTOOLS_LOGGER_SAMPLE_RATE, which Powertools reads itself. Powertools adds cold start,
 * function name and the X-Ray trace id. Never log whole events, bodies, passwords, hashes or tokens.
 */
export function createLogger(serviceName: string, logLevel = 'INFO'): Logger {
  return new Logger({ serviceName, logLevel: logLevel.toUpperCase() as 'INFO' });
}
