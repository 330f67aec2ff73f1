/**
 * Which folder may import which (checked by test/ci/dependency-rules.test.ts, so `npm test` fails on a
 * violation). The layers, each importing only what is below it:
 *
 *   topology/            plain data, imports nothing of ours
 *   lambdas/             the functions: topology/ only
 *   web/src/             the browser app: itself only
 *   bundle/              paths and esbuild recipes: topology/, web/src/
 *   infra/               the Pulumi program: topology/, bundle/ (and the two known exceptions below)
 *   local/               the local runtime: topology/, bundle/, itself
 *   scripts/             the CLIs: local/, bundle/, lambdas/, topology/
 *   bench/               benchmarks: any of the above but infra/
 *   test/                anything; a suite takes shared code from test/helpers/ only
 *
 * docs/architecture.md draws the same rules; keep both in step.
 */
const OURS = '^(topology|lambdas|web|bundle|infra|local|scripts|bench|test)/';

/** Imports that predate the rules and are moving into topology/ (the contract both runtimes share). */
const KNOWN_EXCEPTIONS = {
  // The origin-secret and viewer-address header names: the edge (CloudFront on AWS, the local gateway)
  // adds them, lambdas/shared/edge.ts checks them.
  edgeHeaders: '^lambdas/shared/edge\\.ts$',
  // The security-header policy CloudFront sets and the static function repeats.
  securityHeaders: '^lambdas/static/security-headers\\.ts$',
};

/** One rule per layer: what a folder must not import. */
function layer(name, from, allowed, comment, exceptions = []) {
  const allowedPattern = `^(${allowed.join('|')})/`;
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: OURS, pathNot: [allowedPattern, ...exceptions] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A module cycle: split the shared part into its own module lower in the layers.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('topology-is-data', '^topology/', ['topology'], 'topology/ is plain data that both runtimes read: it imports nothing of ours.'),
    layer('lambdas-only-topology', '^lambdas/', ['lambdas', 'topology'], 'A function ships alone in its bundle: it may read topology/ and nothing else of ours.'),
    layer('web-self-contained', '^web/', ['web'], 'The browser app is bundled on its own: it imports only web/.'),
    layer('bundle-below-runtimes', '^bundle/', ['bundle', 'topology', 'web/src'], 'Bundling serves both runtimes and the CLIs: it must not know any of them.'),
    layer('infra-maps-topology', '^infra/', ['infra', 'topology', 'bundle'], 'The Pulumi program maps topology/ to AWS resources; it does not import function code.',
      Object.values(KNOWN_EXCEPTIONS)),
    layer('local-maps-topology', '^local/', ['local', 'topology', 'bundle'], 'The local runtime maps topology/ to emulated services; CLIs depend on it, never the reverse.',
      [KNOWN_EXCEPTIONS.edgeHeaders]),
    layer('scripts-are-clis', '^scripts/', ['scripts', 'local', 'bundle', 'lambdas', 'topology'], 'CLIs sit on top: they use local/ and the function code, never infra/, bench/ or test/.'),
    layer('bench-not-tests', '^bench/', ['bench', 'topology', 'lambdas', 'bundle', 'local', 'scripts', 'web/src'], 'Benchmarks use the code under test, never the tests.'),
    {
      name: 'suites-share-only-helpers',
      comment: 'A test suite takes shared code from test/helpers/, never from another suite.',
      severity: 'error',
      from: { path: '^test/([^/]+)/' },
      to: { path: '^test/', pathNot: ['^test/$1/', '^test/helpers/'] },
    },
    {
      name: 'helpers-not-suites',
      comment: 'test/helpers/ serves every suite, so it imports none of them.',
      severity: 'error',
      from: { path: '^test/helpers/' },
      to: { path: '^test/', pathNot: '^test/helpers/' },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports and that imports nothing: dead code, or an entry point to list here.',
      severity: 'error',
      // Tool configs at the root, ambient declarations, and scripts that are run by path (worker fixtures, the cold-start child).
      from: { orphan: true, pathNot: ['^[^/]+\\.(ts|cjs)$', '\\.d\\.ts$', '^test/integration/fixtures/', '^bench/load/cold-start\\.mjs$'] },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.local|\\.git)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
