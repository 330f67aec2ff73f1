import path from 'node:path';
import { parseReleaseArgs, USAGE } from './release/args';
import { EXIT, ReleaseError } from './release/errors';
import { runRelease, runRollback, type ReleaseAws } from './release/run';
import { readReleaseStack, selectTargets } from './release/stack';

/** `npm run release -- [rollback] --stack <name>` or `-- [rollback] --local`: see docs/release.md. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const options = parseReleaseArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const color = options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  if (options.local) {
    const { findLocalStack, runLocalRelease } = await import('./release/local');
    const { ROOT } = await import('../bundle');
    const running = await findLocalStack(path.join(ROOT, '.local'));
    return runLocalRelease(options, { control: running.control, stackDir: running.dir, io: { write: (line) => void process.stdout.write(`${line}\n`), color } });
  }
  const stack = await readReleaseStack(options.stack);
  selectTargets(stack.targets, options.functions);
  const aws = await loadAws(stack.region);
  const io = {
    write: (line: string) => void process.stdout.write(`${line}\n`),
    color,
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  return options.command === 'rollback' ? runRollback(options, stack, aws, io) : runRelease(options, stack, aws, io);
}

/** The SDK clients are loaded only when AWS is really called, so a missing package is one clear line. */
async function loadAws(region: string): Promise<ReleaseAws> {
  try {
    return (await import('./release/aws')).awsRelease(region);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new ReleaseError(EXIT.failure, `an AWS SDK client is missing (${(err as Error).message.match(/'(@aws-sdk\/[^']+)'/)?.[1] ?? 'see npm ls'}): npm install @aws-sdk/client-lambda @aws-sdk/client-codedeploy @aws-sdk/client-cloudwatch`);
    }
    throw err;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ReleaseError) {
    process.stderr.write(`release: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    // An AWS error (credentials, access denied, throttling): its name and message, not a stack trace.
    process.stderr.write(`release: ${(err as Error).name}: ${(err as Error).message}\n`);
    process.exitCode = EXIT.failure;
  }
}
