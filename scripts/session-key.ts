import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSessionKeys, rotateSessionKeys } from '../local/secrets/session-keys';
import { ROOT } from '../bundle';

const USAGE = `usage:
  npm run session-key -- rotate [--data-dir <dir>]   local: a new signing key in <dir>/keys.json (default .local);
                                                     a running \`npm start\` on that dir switches to it at once
  npm run session-key -- rotate --stack <stack>      AWS: bumps noops-todo:sessionKeyGeneration, then runs \`pulumi up\`
  npm run session-key -- status [--data-dir <dir>]   local: the generation and the key ids verifiers accept
A rotation keeps the previous key verifiable, so sessions signed before it last until they expire; the
next rotation retires it (rotate twice to sign out everyone signed in with a leaked key).`;

const CONFIG_KEY = 'noops-todo:sessionKeyGeneration';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'data-dir': { type: 'string' }, stack: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
const [command] = positionals;
if (values.help || (command !== 'rotate' && command !== 'status') || (command === 'status' && values.stack)) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
}

if (values.stack) process.exitCode = rotateStack(values.stack);
else {
  const dataDir = path.resolve(values['data-dir'] ?? path.join(ROOT, '.local'));
  const keys = command === 'rotate' ? await rotateSessionKeys(dataDir) : await loadSessionKeys(dataDir);
  const [current, ...previous] = keys.publicJwks.map((k) => k.kid);
  console.log(`${command === 'rotate' ? 'Rotated: ' : ''}generation ${keys.generation}, signing with ${current}${previous.length ? `, still accepting ${previous.join(', ')}` : ''} (${path.join(dataDir, 'keys.json')})`);
}

/** The stack's next generation through the Pulumi CLI, then the deployment that applies it. */
function rotateStack(stack: string): number {
  const pulumi = (...args: string[]) => spawnSync('pulumi', [...args, '--stack', stack], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'pipe'] });
  const got = pulumi('config', 'get', CONFIG_KEY);
  if (got.error) return fail(`cannot run pulumi (${got.error.message}); install the Pulumi CLI`);
  // An unset key is generation 1, the program's default.
  const generation = got.status === 0 ? Number(got.stdout.trim()) : /not found/i.test(got.stderr) ? 1 : NaN;
  if (!Number.isInteger(generation) || generation < 1) return fail(`pulumi config get ${CONFIG_KEY} failed: ${got.stderr.trim() || got.stdout.trim()}`);
  const set = pulumi('config', 'set', CONFIG_KEY, String(generation + 1));
  if (set.status !== 0) return fail(`pulumi config set ${CONFIG_KEY} failed: ${set.stderr.trim()}`);
  console.log(`${CONFIG_KEY}: ${generation} → ${generation + 1}; running pulumi up --stack ${stack}`);
  return spawnSync('pulumi', ['up', '--stack', stack], { stdio: 'inherit' }).status ?? 1;
}

function fail(message: string): number {
  console.error(message);
  return 1;
}
