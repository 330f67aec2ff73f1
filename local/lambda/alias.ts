/**
 * A Lambda alias with a routing configuration: a primary version and at most one additional version
 * with a weight (0–1). Lambda sends each invocation to one of the two "using a simple probabilistic
 * model" ("Create a routing configuration for a Lambda alias",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html), and an alias can
 * point to "a maximum of two Lambda function versions" (same page). Pure: no pool, no I/O.
 */
export interface AliasRouting {
  /** The alias's `FunctionVersion`. */
  version: string;
  /** `RoutingConfig.AdditionalVersionWeights`: version → share (0–1) of invocations. */
  weights: Record<string, number>;
}

/** Why a routing configuration is invalid (as UpdateAlias would refuse it), or undefined. */
export function routingProblem(routing: AliasRouting, versions: readonly string[]): string | undefined {
  const extra = Object.entries(routing.weights);
  if (!versions.includes(routing.version)) return `version ${routing.version} does not exist`;
  if (extra.length > 1) return 'an alias routes to at most two versions (one additional version weight)';
  for (const [version, weight] of extra) {
    if (!versions.includes(version)) return `version ${version} does not exist`;
    if (version === routing.version) return `version ${version} is already the alias's primary version`;
    if (!(typeof weight === 'number' && weight >= 0 && weight <= 1)) return `weight of version ${version} must be between 0 and 1, got ${String(weight)}`;
  }
  return undefined;
}

/**
 * The version one invocation runs: each invocation draws independently, so over many invocations the
 * additional version gets its weight's share, and any single one can land on either version.
 */
export function chooseVersion(routing: AliasRouting, random: () => number = Math.random): string {
  let draw = random();
  for (const [version, weight] of Object.entries(routing.weights)) {
    if (draw < weight) return version;
    draw -= weight;
  }
  return routing.version;
}
