import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { contentType } from './content-types';

export interface StaticFile {
  body: Buffer;
  etag: string;
  type: string;
  text: boolean;
}

/**
 * The request path as a file below the web root, or undefined when it cannot name one: `..`, dotfiles,
 * backslashes, NUL bytes and undecodable escapes never leave the root.
 */
export function safeRelativePath(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  return segments.join('/');
}

/** Files are read once per instance: a Lambda code package never changes under a running function. */
export function fileStore(root: string) {
  const base = path.resolve(root);
  const cache = new Map<string, Promise<StaticFile | undefined>>();

  async function load(relative: string): Promise<StaticFile | undefined> {
    const file = path.resolve(base, relative);
    if (!file.startsWith(base + path.sep)) return undefined;
    try {
      if (!(await stat(file)).isFile()) return undefined;
      const body = await readFile(file);
      const { type, text } = contentType(path.extname(file));
      return { body, type, text, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'EISDIR') return undefined;
      throw err;
    }
  }

  return async (relative: string): Promise<StaticFile | undefined> => {
    const cached = cache.get(relative);
    if (cached) return cached;
    const file = await load(relative);
    // Misses are not cached, so random paths cannot grow the cache.
    if (file) cache.set(relative, Promise.resolve(file));
    return file;
  };
}

/** RFC 9110 weak comparison, which is what If-None-Match uses. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}
