import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction, type BundleDirs } from '../../infra/bundle';
import { functions } from '../../topology/index';

/**
 * The Pulumi mocks never open archives, so this checks for real that the program's bundling step
 * produces each function's code directory (into a temporary dir, not dist/, which other tests read).
 */
let dirs: BundleDirs;
beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'noops-infra-bundle-'));
  dirs = { functions: path.join(root, 'functions'), web: path.join(root, 'web') };
});
afterAll(async () => {
  await rm(path.dirname(dirs.functions), { recursive: true, force: true });
});

describe('bundling inside the Pulumi program', () => {
  it.each(functions.map((f) => [f.name]))('builds %s into <dir>/index.mjs, the `index.handler` Lambda loads, and its chunks', async (name) => {
    const spec = functions.find((f) => f.name === name)!;
    const dir = await buildFunction(spec, dirs);
    expect(dir).toBe(path.join(dirs.functions, name));
    const code = await readFile(path.join(dir, 'index.mjs'), 'utf8');
    expect(code.length).toBeGreaterThan(1000);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    const chunks = (await readdir(path.join(dir, 'chunks')).catch(() => [] as string[])).filter((f) => f.endsWith('.mjs'));
    const modules = [code, ...(await Promise.all(chunks.map((f) => readFile(path.join(dir, 'chunks', f), 'utf8'))))];
    // The 400 KB budget per function (docs/benchmarks.md), counting every module it ships; the SDK is
    // inside (bundle/index.ts says why), so nothing is left to load but Node's builtins and its own chunks.
    expect(modules.reduce((sum, m) => sum + m.length, 0) / 1024).toBeLessThanOrEqual(400);
    for (const module of modules) {
      const imported = [...module.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
      const chunk = (id: string) => /^\.\.?\/(chunks\/)?[\w#-]+\.mjs$/.test(id) && chunks.includes(path.basename(id));
      expect(imported.filter((id) => !id.startsWith('node:') && !builtinModules.includes(id) && !chunk(id))).toEqual([]);
      // Builtins come through require: an ES import of node:http costs Node 24 ~20 ms of a cold start.
      // Only the banner's node:module, which gives each module its `require`, is imported, besides chunks.
      const esImports = [...module.matchAll(/\b(?:import\s*(?:[\w$*{}\s,]+from\s*)?|export\s*[\w$*{}\s,]+from\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
      expect(esImports.filter((id) => !chunk(id))).toEqual(['node:module']);
    }
    // The Secrets Manager client is a chunk of its own, loaded on first use, not at every cold start.
    expect(code).not.toMatch(/"Secrets Manager"|secretsmanager/);
    expect(modules.some((m) => m.includes('"Secrets Manager"') || m.includes('secretsmanager'))).toBe(true);
    if (name === 'static') {
      // The static function serves the web app from its own package.
      const web = await readdir(path.join(dir, 'web'));
      expect(web).toContain('index.html');
      expect(web).toContain('assets');
    }
  });
});
