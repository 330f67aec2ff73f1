import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = join(root, '.github/workflows');
const validator = join(root, 'node_modules/.bin/action-validator');

/** @action-validator/cli checks a workflow against GitHub's schema and resolves `needs`; exit 0 = valid. */
function validate(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(validator, [file], { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }));
  });
}

let files: string[];
const text: Record<string, string> = {};
beforeAll(async () => {
  files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f));
  for (const f of files) text[f] = await readFile(join(dir, f), 'utf8');
});

describe('GitHub Actions workflows', () => {
  it('has the pull request and main workflows', () => {
    expect(files.sort()).toEqual(['main.yml', 'pull-request.yml']);
  });

  it.each(['main.yml', 'pull-request.yml'])('%s passes action-validator', async (file) => {
    const result = await validate(join(dir, file));
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  describe('the validator', () => {
    let scratch: string;
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'workflows-'));
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));

    it('rejects a workflow whose job needs a job that does not exist', async () => {
      const file = join(scratch, 'broken.yml');
      await writeFile(file, text['main.yml']!.replace('needs: staging', 'needs: stagign'));
      const result = await validate(file);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('unresolved job stagign');
    });
  });

  it('reaches AWS only through OIDC: a role to assume, id-token permission, never a stored key', () => {
    for (const [file, source] of Object.entries(text)) {
      expect(source, file).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN/);
      const assumes = source.match(/role-to-assume:/g)?.length ?? 0;
      expect(assumes, file).toBeGreaterThan(0);
      expect(source.match(/id-token: write/g)?.length, file).toBe(assumes);
    }
  });

  it('previews the long-lived stacks on a pull request with the diff posted on it', () => {
    const pr = text['pull-request.yml']!;
    expect(pr).toMatch(/command: preview\n\s+stack-name: \$\{\{ matrix\.stack \}\}/);
    expect(pr).toContain('stack: [staging, production]');
    expect(pr).toContain('comment-on-pr: true');
    expect(pr).toMatch(/command: destroy\n\s+stack-name: pr-\$\{\{ github\.event\.pull_request\.number \}\}/);
  });

  it('ships main to staging, smoke-tests it, and reaches production only through its environment after staging', () => {
    const main = text['main.yml']!;
    const production = main.slice(main.indexOf('\n  production:'));
    expect(production).toMatch(/needs: staging/);
    expect(production).toMatch(/environment:\n\s+# .*\n\s+name: production/);
    for (const stack of ['staging', 'production']) {
      expect(main).toContain(`npm run release -- --stack ${stack}`);
    }
    expect(main.match(/SMOKE_BASE_URL: \$\{\{ steps\.up\.outputs\.siteUrl \}\}/g)).toHaveLength(2);
    expect(main).toContain('cancel-in-progress: false');
  });
});
