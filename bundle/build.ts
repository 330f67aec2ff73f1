import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { functions } from '../topology/index';
import { buildWeb } from './web';
import { bundleAllFunctions, functionDir, ROOT, WEB_DIST } from './index';

/** Inputs of the build: a change to any of them makes dist/ stale. */
const SOURCES = ['lambdas', 'web', 'topology', 'bundle', 'package-lock.json'];
const MAX_FILES_SCANNED = 20_000;

/** Builds the web app, then every function bundle (the static one embeds the web app). */
export async function buildAll(log: (line: string) => void = console.log): Promise<void> {
  const started = performance.now();
  log('building web app…');
  const web = await buildWeb();
  log(`web: ${web.files.length} files, JS ${(web.jsGzipBytes / 1024).toFixed(1)} KB gzipped, CSS ${(web.cssGzipBytes / 1024).toFixed(1)} KB gzipped`);
  log(`bundling ${functions.length} functions…`);
  for (const fn of await bundleAllFunctions()) {
    log(`function ${fn.name.padEnd(10)} ${(fn.bytes / 1024).toFixed(1)} KB minified`);
  }
  log(`built in ${Math.round(performance.now() - started)} ms`);
}

/** Why dist/ needs a build (a missing bundle or a source newer than the oldest output), or undefined. */
export async function staleReason(): Promise<string | undefined> {
  const outputs = [path.join(WEB_DIST, 'index.html'), ...functions.map((f) => path.join(functionDir(f.name), 'index.mjs'))];
  let oldestOutput = Infinity;
  for (const file of outputs) {
    const info = await stat(file).catch(() => undefined);
    if (!info) return `${path.relative(ROOT, file)} is missing`;
    oldestOutput = Math.min(oldestOutput, info.mtimeMs);
  }
  const budget = { files: MAX_FILES_SCANNED };
  for (const source of SOURCES) {
    const newer = await newerFile(path.join(ROOT, source), oldestOutput, budget);
    if (newer) return `${path.relative(ROOT, newer)} changed since the last build`;
  }
  return undefined;
}

async function newerFile(file: string, than: number, budget: { files: number }): Promise<string | undefined> {
  if (budget.files-- <= 0) return undefined;
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory()) return info.mtimeMs > than ? file : undefined;
  for (const entry of await readdir(file)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const newer = await newerFile(path.join(file, entry), than, budget);
    if (newer) return newer;
  }
  return undefined;
}
