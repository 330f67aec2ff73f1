import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bundle';

const run = promisify(execFile);
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Cruise {
  summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
}

/** Runs dependency-cruiser with the repo's rules over `cwd`; the violations as `rule: from → to`. */
async function violations(cwd: string): Promise<string[]> {
  // depcruise exits non-zero when it finds violations; its JSON report is on stdout either way.
  const out = await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'json', '.'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      if (!err.stdout) throw new Error(`depcruise failed: ${err.stderr}`);
      return { stdout: err.stdout };
    },
  );
  const report = JSON.parse(out.stdout) as Cruise;
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('folder dependency rules (.dependency-cruiser.cjs)', () => {
  it('the repo breaks none of them', async () => {
    expect(await violations(ROOT)).toEqual([]);
  }, 120_000);

  describe('on a fixture tree', () => {
    let dir: string;
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true } }),
      // A module cycle inside one folder.
      'local/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'local/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      // The local runtime reaching up into a CLI.
      'local/view.ts': "import { format } from '../scripts/format';\nexport const view = format;\n",
      // A CLI using the local runtime: allowed.
      'scripts/format.ts': "import { a } from '../local/a';\nexport const format = a;\n",
      // A function importing the emulation, topology importing a function, infra importing function code.
      'lambdas/rule/handler.ts': "import { a } from '../../local/a';\nimport { table } from '../../topology/index';\nexport const handler = [a, table];\n",
      'topology/index.ts': "import { handler } from '../lambdas/rule/handler';\nexport const table = 'rules';\nexport const h = handler;\n",
      'infra/index.ts': "import { handler } from '../lambdas/rule/handler';\nimport { table } from '../topology/index';\nexport const x = [handler, table];\n",
      // A suite borrowing another suite's code, and helpers reaching into a suite.
      'test/e2e/a.test.ts': "import { helper } from '../reliability/helper';\nimport { shared } from '../helpers/shared';\nexport const t = [helper, shared];\n",
      'test/reliability/helper.ts': "export const helper = 1;\n",
      'test/helpers/shared.ts': "import { helper } from '../reliability/helper';\nexport const shared = helper;\n",
      // Dead code.
      'local/unused.ts': 'export const unused = 1;\n',
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'depcruise-fixture-'));
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('reports each forbidden direction, each cycle (once) and the orphan, and nothing that is allowed', async () => {
      expect(await violations(dir)).toEqual([
        'helpers-not-suites: test/helpers/shared.ts → test/reliability/helper.ts',
        'infra-maps-topology: infra/index.ts → lambdas/rule/handler.ts',
        'lambdas-only-topology: lambdas/rule/handler.ts → local/a.ts',
        'local-maps-topology: local/view.ts → scripts/format.ts',
        'no-circular: lambdas/rule/handler.ts → topology/index.ts',
        'no-circular: local/a.ts → local/b.ts',
        'no-orphans: local/unused.ts → local/unused.ts',
        'suites-share-only-helpers: test/e2e/a.test.ts → test/reliability/helper.ts',
        'suites-share-only-helpers: test/helpers/shared.ts → test/reliability/helper.ts',
        'topology-is-data: topology/index.ts → lambdas/rule/handler.ts',
      ]);
    }, 60_000);
  });
});
