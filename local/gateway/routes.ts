/** A route as the topology lists it: `GET /api/todos/{id}` → function. */
export interface RouteEntry {
  routeKey: string;
  function: string;
}

export interface RouteMatch {
  /** The route key API Gateway puts in the event: `GET /api/todos/{id}` or `$default`. */
  routeKey: string;
  function: string;
  pathParameters?: Record<string, string>;
}

interface ParsedRoute {
  spec: RouteEntry;
  method: string;
  segments: string[];
}

/**
 * Matches a request like HTTP API does: the most specific route wins (exact segments beat `{param}`,
 * which beats a greedy `{proxy+}`; a method beats `ANY`), and `$default` catches everything else.
 */
export function matchRoute(
  method: string,
  path: string,
  routes: ReadonlyArray<RouteEntry>,
): RouteMatch | undefined {
  const parsed = routes.filter((r) => r.routeKey !== '$default').map(parseRoute);
  const segments = splitPath(path);
  let best: { route: ParsedRoute; params: Record<string, string>; score: number[] } | undefined;
  for (const route of parsed) {
    if (route.method !== method.toUpperCase() && route.method !== 'ANY') continue;
    const params = matchSegments(route.segments, segments);
    if (!params) continue;
    const score = [...route.segments.map(segmentRank), route.method === 'ANY' ? 0 : 1];
    if (!best || compareScores(score, best.score) > 0) best = { route, params, score };
  }
  if (best) {
    const { spec } = best.route;
    return Object.keys(best.params).length
      ? { routeKey: spec.routeKey, function: spec.function, pathParameters: best.params }
      : { routeKey: spec.routeKey, function: spec.function };
  }
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { routeKey: '$default', function: fallback.function } : undefined;
}

function parseRoute(spec: RouteEntry): ParsedRoute {
  const [method = '', path = ''] = spec.routeKey.split(' ');
  return { spec, method: method.toUpperCase(), segments: splitPath(path) };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part, i) => i > 0 || part !== '');
}

function matchSegments(template: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const part = template[i] ?? '';
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy && i === template.length - 1) {
      const rest = actual.slice(i);
      // A greedy parameter needs at least one non-empty segment, as on API Gateway.
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[greedy[1] ?? 'proxy'] = decode(rest.join('/'));
      return params;
    }
    const value = actual[i];
    if (value === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      if (value === '') return undefined;
      params[param[1] ?? ''] = decode(value);
    } else if (part !== value) return undefined;
  }
  return template.length === actual.length ? params : undefined;
}

function segmentRank(part: string): number {
  if (/^\{.+\+\}$/.test(part)) return 0;
  return part.startsWith('{') ? 1 : 2;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
