import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type CurrentUser, type RecentChange, type ReplicaStatus, type TraceView } from '../api';
import { formatAgo, formatCount, formatLag } from '../state/format';
import type { Store } from '../state/store';
import { HISTORY_MS, ReplicaChart, type Sample } from './replica-chart';
import { RecentChanges, TraceWaterfall } from './trace-view';

const POLL_MS = 1000;

interface Snapshot {
  replicas: ReplicaStatus[];
  /** The user service's view of this user's todos, read from rules-replica-for-user. */
  user: CurrentUser | null;
  /** Null where no trace API answers (a deployed stack: its spans are in CloudWatch). */
  changes: RecentChange[] | null;
  at: number;
}

/**
 * Polls `GET /api/replication` once a second while the page is visible, so a change can be watched
 * travelling from an owned table through the change stream into its replicas.
 */
export function ReplicationView({ store }: { store: Store }) {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const previous = useRef<Map<string, ReplicaStatus>>(new Map());
  const [changed, setChanged] = useState<Set<string>>(new Set());
  const history = useRef<Map<string, Sample[]>>(new Map());
  // Asked once: a stack without the trace API does not grow one while the page is open.
  const tracesServed = useRef(true);
  const [openTrace, setOpenTrace] = useState<{ id: string; view?: TraceView; error?: string } | null>(null);

  const showTrace = (id: string) => {
    if (openTrace?.id === id) return setOpenTrace(null);
    setOpenTrace({ id });
    api.trace(id).then(
      (view) => setOpenTrace((t) => (t?.id === id ? { id, view } : t)),
      (err: unknown) => setOpenTrace((t) => (t?.id === id ? { id, error: err instanceof Error ? err.message : String(err) } : t)),
    );
  };

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;

    const tick = async () => {
      timer = undefined;
      if (stopped || inFlight || document.hidden) return;
      inFlight = true;
      try {
        const [replicas, user, changes] = await Promise.all([
          api.replication(),
          api.currentUser().catch(() => null),
          tracesServed.current ? api.recentChanges().catch(() => []) : null,
        ]);
        if (changes === null) tracesServed.current = false;
        if (stopped) return;
        const moved = new Set<string>();
        for (const r of replicas) {
          const before = previous.current.get(r.name);
          if (before && (before.items !== r.items || before.lastAppliedAt !== r.lastAppliedAt)) moved.add(r.name);
        }
        const now = Date.now();
        for (const r of replicas) {
          const before = previous.current.get(r.name);
          const samples = (history.current.get(r.name) ?? []).filter((x) => now - x.at <= HISTORY_MS);
          samples.push({ at: now, lagMs: r.lagMs ?? 0, applied: before ? Math.max(0, (r.applied ?? 0) - (before.applied ?? 0)) : 0 });
          history.current.set(r.name, samples);
        }
        previous.current = new Map(replicas.map((r) => [r.name, r]));
        setChanged(moved);
        setSnapshot({ replicas, user, changes, at: Date.now() });
        setError(null);
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 401) return store.sessionExpired();
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        inFlight = false;
      }
      if (!stopped && !document.hidden) timer = setTimeout(tick, POLL_MS);
    };

    const onVisibility = () => {
      if (!document.hidden && timer === undefined) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [store]);

  return (
    <section class="replication" aria-labelledby="replication-title">
      <h1 id="replication-title">Replication</h1>
      <p class="lede">
        Each service owns its table; every change flows through one change stream into read-only replicas. Add or
        complete a todo in another tab and watch the numbers move. Refreshed every second while this page is
        visible.
      </p>
      {error && (
        <p class="form-error" role="alert">
          Could not read the replication status: {error}
        </p>
      )}
      {!snapshot && !error && <p role="status">Loading replication status…</p>}
      {snapshot && (
        <>
          <div class="table-scroll">
            <table class="replicas">
              <caption>Replicas</caption>
              <thead>
                <tr>
                  <th scope="col">Replica</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">Items</th>
                  <th scope="col" class="num">Source items</th>
                  <th scope="col" class="num">Tombstones</th>
                  <th scope="col" class="num">Lag</th>
                  <th scope="col">Lag and changes, 5 min</th>
                  <th scope="col">Last applied change</th>
                </tr>
              </thead>
              <tbody>
                {snapshot.replicas.length === 0 && (
                  <tr>
                    <td colSpan={8}>No replicas are configured.</td>
                  </tr>
                )}
                {snapshot.replicas.map((r) => (
                  <tr key={r.name} data-replica={r.name} class={changed.has(r.name) ? 'changed' : undefined}>
                    <th scope="row">
                      {r.name}
                      <span class="replica-source">from {r.source ?? '—'}</span>
                    </th>
                    <td class="state" data-state={r.state ?? 'unknown'}>
                      {stateLabel(r)}
                      {r.state === 'backfilling' && r.backfill && (
                        <progress class="backfill-progress" max={Math.max(1, r.backfill.total)} value={r.backfill.done} aria-label={`${r.name} backfill`} />
                      )}
                    </td>
                    <td class="num items">{formatCount(r.items)}</td>
                    <td class="num source-items" title={r.sourceCountedAt ? `counted by the backfill at ${r.sourceCountedAt}` : 'no backfill has counted the source yet'}>
                      {r.sourceItems === null || r.sourceItems === undefined ? '—' : formatCount(r.sourceItems)}
                    </td>
                    <td class="num tombstones">{formatCount(r.tombstones)}</td>
                    <td class="num lag">{formatLag(r.lagMs)}</td>
                    <td class="chart">
                      <ReplicaChart name={r.name} samples={history.current.get(r.name) ?? []} now={snapshot.at} />
                    </td>
                    <td class="applied">
                      {r.lastAppliedAt ? <time dateTime={r.lastAppliedAt}>{formatAgo(r.lastAppliedAt, snapshot.at)}</time> : 'never'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {snapshot.user && (
            <p class="replica-reader">
              The user service counts your todos from <code>rules-replica-for-user</code>:{' '}
              <strong class="replica-total">{formatCount(snapshot.user.unreadCount)}</strong> in total,{' '}
              <strong class="replica-open">{formatCount(snapshot.user.notifyCount)}</strong> open.
            </p>
          )}
          <section class="traces" aria-labelledby="traces-title">
            <h2 id="traces-title">Where a change's time went</h2>
            {snapshot.changes === null ? (
              <p class="traces-unavailable">
                Traces are shown here only when the stack runs locally (<code>npm start</code>). On AWS the spans are in
                CloudWatch (Transaction Search and the X-Ray trace map), which this app is given no access to: find a
                change's trace there by the <code>traceId</code> on its log lines.
              </p>
            ) : (
              <RecentChanges changes={snapshot.changes} now={snapshot.at} openId={openTrace?.id ?? null} onOpen={showTrace} />
            )}
            {openTrace && !openTrace.view && !openTrace.error && <p role="status">Loading the trace…</p>}
            {openTrace?.error && (
              <p class="form-error" role="alert">
                Could not read the trace: {openTrace.error}
              </p>
            )}
            {openTrace?.view && <TraceWaterfall view={openTrace.view} />}
          </section>
          <p class="updated" aria-live="off">
            Updated {new Date(snapshot.at).toLocaleTimeString()}
          </p>
        </>
      )}
    </section>
  );
}

/** The replica's state in words: a backfill shows its phase and percentage. */
export function stateLabel(r: ReplicaStatus): string {
  switch (r.state) {
    case 'backfilling': {
      const ratio = r.backfill && r.backfill.total > 0 ? Math.min(1, r.backfill.done / r.backfill.total) : 0;
      return `backfilling (${r.backfill?.phase ?? '…'}) ${Math.round(ratio * 100)}%`;
    }
    case 'catching-up':
      return 'catching up';
    case 'in-sync':
      return 'in sync';
    case 'stale':
      return 'stale: backfill interrupted';
    default:
      return '—';
  }
}
