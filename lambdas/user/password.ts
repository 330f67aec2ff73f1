import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt with a per-user random salt; the parameters travel with the hash
 * (`scrypt$N$r$p$salt$hash`) so N can be raised later without breaking stored passwords.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const KEY_LENGTH = 32;
const SALT_BYTES = 16;
// Refuse stored parameters that would let a tampered hash exhaust the function's memory.
const MAX_N = 2 ** 20;

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly 128·N·r for N = 2^15, r = 8: leave headroom.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const valid =
    scheme === 'scrypt' && Number.isInteger(params.N) && params.N > 1 && params.N <= MAX_N && (params.N & (params.N - 1)) === 0 &&
    params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16 && salt && hash;
  if (!valid) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /**
   * A stored hash in the current parameters that no password matches (random salt, random key):
   * verifying against it costs exactly a real verification, and making it costs nothing.
   */
  unmatchable(): string;
}

export function scryptHasher(params: ScryptParams): PasswordHasher {
  return {
    hash: (password) => hashPassword(password, params),
    verify: verifyPassword,
    unmatchable: () => ['scrypt', params.N, params.r, params.p, randomBytes(SALT_BYTES).toString('base64'), randomBytes(KEY_LENGTH).toString('base64')].join('$'),
  };
}
