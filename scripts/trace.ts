import { runTrace } from './trace/run';

/** `npm run trace -- <request-id|trace-id>`: see docs/observability.md. */
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await runTrace(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
