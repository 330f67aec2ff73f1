import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../bundle';
import { functions } from '../../topology/index';

/** A rebuild while instances start (a running `npm start`, test stacks while the bench rebuilds dist/). */
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'noops-bundle-replace-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rebuilding a function directory that instances read', () => {
  it('never shows a missing or half-written bundle, and leaves only this build\'s files', async () => {
    const spec = functions.find((f) => f.name === 'static')!;
    const webDir = path.join(root, 'web');
    await mkdir(path.join(webDir, 'assets'), { recursive: true });
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html>');
    const outdir = path.join(root, 'functions', 'static');
    await bundleFunction(spec, outdir, webDir);
    await writeFile(path.join(outdir, 'left-from-an-old-build.js'), '');
    await writeFile(path.join(outdir, 'chunks', 'chunk-LEFTOVER.mjs'), '');
    // Act: read the bundle as a starting instance would, all through two rebuilds
    const reads: Array<'complete' | 'missing' | 'partial' | 'chunk missing'> = [];
    let building = true;
    const reader = (async () => {
      while (building) {
        const code = await readFile(path.join(outdir, 'index.mjs'), 'utf8').catch(() => undefined);
        const imports = [...(code ?? '').matchAll(/from\s*["'](\.\/chunks\/[^"']+)["']/g)].map((m) => path.join(outdir, m[1]!));
        const chunksThere = (await Promise.all(imports.map((f) => stat(f).then(() => true, () => false)))).every(Boolean);
        reads.push(code === undefined ? 'missing' : !code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map') ? 'partial' : chunksThere ? 'complete' : 'chunk missing');
        await new Promise((r) => setImmediate(r));
      }
    })();
    await bundleFunction(spec, outdir, webDir);
    await bundleFunction(spec, outdir, webDir);
    building = false;
    await reader;
    // Assess
    expect(reads.length).toBeGreaterThan(10);
    expect(reads.filter((r) => r !== 'complete')).toEqual([]);
    expect((await readdir(outdir)).sort()).toEqual(['chunks', 'index.mjs', 'index.mjs.map', 'web']);
    expect(await readdir(path.join(outdir, 'chunks'))).not.toContain('chunk-LEFTOVER.mjs');
    expect(await readdir(path.join(outdir, 'web'))).toContain('index.html');
    expect(await readdir(path.join(root, 'functions'))).toEqual(['static']);
  });
});
