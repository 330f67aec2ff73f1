/**
 * A test hook outside the environment contract (topology/environment.ts): neither runtime sets it.
 * Read at cold start only.
 */
export function getOptionalStringFromEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}
