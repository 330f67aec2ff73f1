import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One JSON logger per function. Level comes from LOG_LEVEL (or POWERTOOLS_LOG_LEVEL), debug sampling
 * from POWERTOOLS_LOGGER_SAMPLE_RATE; Powertools adds cold start, function name and the X-Ray trace id.
 * Never log whole events, bodies, passwords, hashes or tokens.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO').toUpperCase() as 'INFO',
  });
}
