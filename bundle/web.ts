import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, WEB_DIST } from './index';
import { STARTUP_URLS } from '../web/src/api';

export interface WebBuildReport {
  files: string[];
  jsGzipBytes: number;
  cssGzipBytes: number;
}

/** The budget for the JavaScript a first visit downloads (40 KB gzipped), checked on every build. */
export const JS_BUDGET_GZIP_BYTES = 40 * 1024;

/**
 * Bundles web/src into content-hashed assets (JS and CSS, so both can be cached as immutable) and writes
 * index.html pointing at them. Nothing is inlined, so the Content-Security-Policy can forbid inline
 * scripts and styles.
 *
 * The head starts every request of the first render at once: the first page of todos, which also
 * proves the session (preloaded, so it does not wait for the script), the stylesheet and the module
 * script (deferred by nature, so it can sit in the head where the parser finds it first).
 */
export async function buildWeb(outdir = WEB_DIST): Promise<WebBuildReport> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(path.join(outdir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [path.join(ROOT, 'web/src/main.tsx'), path.join(ROOT, 'web/src/styles.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    legalComments: 'none',
    metafile: true,
    write: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outdir, path.resolve(ROOT, file)));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  const template = await readFile(path.join(ROOT, 'web/index.html'), 'utf8');
  const preloads = STARTUP_URLS.map((url) => `<link rel="preload" href="${url}" as="fetch" crossorigin>`).join('\n  ');
  const html = template
    .replace('<!--preloads-->', preloads)
    .replace('<!--styles-->', css ? `<link rel="stylesheet" href="/${css}">` : '')
    .replace('<!--scripts-->', js ? `<script type="module" src="/${js}"></script>` : '');
  await writeFile(path.join(outdir, 'index.html'), html);
  const gz = async (file?: string) => (file ? gzipSync(await readFile(path.join(outdir, file))).length : 0);
  const report = { files: ['index.html', ...outputs], jsGzipBytes: await gz(js), cssGzipBytes: await gz(css) };
  if (report.jsGzipBytes > JS_BUDGET_GZIP_BYTES) {
    throw new Error(`web: initial JS is ${formatKb(report.jsGzipBytes)} gzipped, over the ${formatKb(JS_BUDGET_GZIP_BYTES)} budget`);
  }
  return report;
}

export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

// `tsx bundle/web.ts` builds only the web app (`npm run build` builds it together with the functions).
if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await buildWeb();
  console.log(`web: ${report.files.join(', ')}`);
  console.log(`web: initial JS ${formatKb(report.jsGzipBytes)} gzipped (budget ${formatKb(JS_BUDGET_GZIP_BYTES)}), CSS ${formatKb(report.cssGzipBytes)} gzipped`);
}
