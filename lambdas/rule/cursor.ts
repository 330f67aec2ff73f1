import { BadRequest } from '../shared/errors';

/** Opaque paging cursor: base64url of DynamoDB's LastEvaluatedKey. */
export function encodeCursor(userId: string, key: string): string {
  return Buffer.from(JSON.stringify({ userId, key }), 'utf8').toString('base64url');
}

/** The cursor's key, only if it was issued to this user: a cursor is never a way into another partition. */
export function decodeCursor(cursor: string, userId: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { userId?: unknown; key?: unknown };
    if (parsed.userId === userId && typeof parsed.key === 'string' && parsed.key.length > 0 && parsed.key.length <= 200) return parsed.key;
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new BadRequest('cursor: is not a cursor this API issued to you', 'InvalidCursor');
}

/** `If-Match: 3`, `"3"` or `W/"3"` → 3; `*` or no header → undefined. */
export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(value);
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw new BadRequest('If-Match: must be a todo version such as "3"', 'InvalidIfMatch');
  return version;
}
