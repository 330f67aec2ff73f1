// Plain JavaScript run directly by `node` (no tsx loader), so the fresh process pays only what a
// Lambda cold start pays: node boot, module load, one invocation.
// argv: [bundle.mjs | ''] [event JSON]; prints the in-process time to first answer.
const [bundle, eventJson] = process.argv.slice(2);
let status = 0;
if (bundle) {
  const { handler } = await import(bundle);
  const result = await handler(JSON.parse(eventJson ?? '{}'), {
    functionName: 'bench',
    awsRequestId: 'bench-cold',
    getRemainingTimeInMillis: () => 10_000,
  });
  status = result?.statusCode ?? 200;
}
process.stdout.write(`${JSON.stringify({ status, sinceStartMs: performance.now() })}\n`);
process.exit(0);
