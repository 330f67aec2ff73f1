import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildAll, staleReason } from '../bundle/build';
import { ROOT } from '../bundle';
import { functions, routes, tables } from '../topology/index';
import { startStack, type Stack } from './index';
import { ReplicaChangeError } from './replica-set';
import { describeLambdaNode, installHint, LambdaNodeError, localNodePath } from './lambda/node';

const USAGE = `Usage: npm start -- [--memory] [--port <n>] [--data-dir <dir>]

Runs the whole stack locally: the gateway on 127.0.0.1, every function in its own worker processes,
DynamoDB (dynalite) and Kinesis (kinesalite) in-process. The functions run on the deployed runtime's
Node major: LAMBDA_NODE=/path/to/node, else \`node\` on PATH if it is that major, else
${path.relative(ROOT, localNodePath(ROOT))}
(install it with: ${installHint()}), else this Node, with a warning.
  --memory          keep all data in memory (nothing is read from or written to .local/; the log
                    streams go to a temporary folder, removed at stop, where npm run logs finds them)
  --port <n>        gateway port (default: PORT or 3000)
  --data-dir <dir>  where persisted state lives (default: .local/)`;

const { values } = parseArgs({
  options: {
    memory: { type: 'boolean', default: false },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got "${values.port ?? process.env.PORT}"`);

const reason = await staleReason();
if (reason) {
  console.log(`Building (${reason})…`);
  await buildAll((line) => console.log(`  ${line}`)).catch((err: Error) => fail(`Build failed: ${err.message}`));
}

let stack: Stack;
try {
  stack = await startStack({ memory: values.memory, port, ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) });
} catch (err) {
  if (err instanceof LambdaNodeError || err instanceof ReplicaChangeError) fail(err.message);
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') fail(`Port ${port} on 127.0.0.1 is already in use (another \`npm start\`?). Stop that process, or pick another port: npm start -- --port ${port + 1}`);
  if (/LOCK|lock/.test(message)) fail(`Another local stack is using the data directory (${message}). Stop it, or run this one with --memory.`);
  throw err;
}
printSummary(stack, values.memory);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) {
    console.log('Forced exit.');
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping (press Ctrl-C again to force)…`);
  stack.stop().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`Stopping failed: ${err.message}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

function printSummary(stack: Stack, memory: boolean): void {
  const rel = (dir: string) => {
    const relative = path.relative(process.cwd(), dir);
    return relative && !relative.startsWith('..') ? relative : dir;
  };
  const lines = ['', `noops-todo is running at ${stack.url}`, '', 'Functions and routes:'];
  for (const fn of functions) {
    const keys = routes.filter((r) => r.function === fn.name).map((r) => r.routeKey);
    if (fn.consumesChangeStream) keys.push('(change stream consumer)');
    lines.push(`  ${fn.name.padEnd(11)} ${fn.memoryMb} MB, ${fn.timeoutSeconds}s  ${keys.join(', ')}`);
  }
  lines.push('', 'Tables:');
  for (const t of tables) lines.push(`  ${stack.tableName(t.name).padEnd(24)} owned by ${t.owner}${t.streamed ? ', streamed' : ''}`);
  for (const r of stack.replicas.list()) lines.push(`  ${stack.tableName(r.name).padEnd(24)} replica of ${r.source}, read by ${r.reader}`);
  lines.push('');
  lines.push(memory || !stack.dataDir ? `Data: in memory (gone when you stop); logs in ${rel(stack.logsDir)}/ until then` : `Data: persisted in ${rel(stack.dataDir)}/ (delete it to start over; logs in ${rel(stack.logsDir)}/)`);
  lines.push(describeLambdaNode(stack.functionsNode, ROOT));
  if (stack.functionsNode.warning) lines.push(`Warning: ${stack.functionsNode.warning}`);
  lines.push('Press Ctrl-C to stop.', '');
  console.log(lines.join('\n'));
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
