import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, WEB_DIST } from '../scripts/bundle';

export interface WebBuildReport {
  files: string[];
  jsGzipBytes: number;
  cssGzipBytes: number;
}

/** Bundles web/src into content-hashed assets and writes index.html pointing at them (no inline scripts). */
export async function buildWeb(outdir = WEB_DIST): Promise<WebBuildReport> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(path.join(outdir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [path.join(ROOT, 'web/src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    write: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outdir, path.resolve(ROOT, file)));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  const template = await readFile(path.join(ROOT, 'web/index.html'), 'utf8');
  const html = template
    .replace('<!--styles-->', css ? `<link rel="stylesheet" href="/${css}">` : '')
    .replace('<!--scripts-->', js ? `<script type="module" src="/${js}"></script>` : '');
  await writeFile(path.join(outdir, 'index.html'), html);
  const gz = async (file?: string) => (file ? gzipSync(await readFile(path.join(outdir, file))).length : 0);
  return { files: ['index.html', ...outputs], jsGzipBytes: await gz(js), cssGzipBytes: await gz(css) };
}
