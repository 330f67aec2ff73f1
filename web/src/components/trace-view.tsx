import type { RecentChange, TraceRow, TraceView } from '../api';
import { formatAgo, formatMs } from '../state/format';

const AXIS = 1000;

/** Where a row's bar sits on the trace's shared time axis (viewBox units), at least a sliver wide. */
export function barGeometry(row: Pick<TraceRow, 'offsetMs' | 'durationMs'>, totalMs: number): { x: number; width: number } {
  const scale = AXIS / Math.max(totalMs, 0.001);
  const x = Math.min(AXIS - 2, Math.max(0, row.offsetMs * scale));
  return { x, width: Math.max(2, Math.min(AXIS - x, row.durationMs * scale)) };
}

/** The latest changes the replicator processed; each opens its trace. */
export function RecentChanges({ changes, now, openId, onOpen }: { changes: RecentChange[]; now: number; openId: string | null; onOpen: (id: string) => void }) {
  return (
    <div class="table-scroll">
      <table class="replicas recent-changes">
        <caption>Recent changes</caption>
        <thead>
          <tr>
            <th scope="col">Change</th>
            <th scope="col">Table</th>
            <th scope="col">Request</th>
            <th scope="col">Processed</th>
            <th scope="col"><span class="visually-hidden">Trace</span></th>
          </tr>
        </thead>
        <tbody>
          {changes.length === 0 && (
            <tr>
              <td colSpan={5}>No change has reached the replicator yet.</td>
            </tr>
          )}
          {changes.map((c) => (
            <tr key={c.traceId} data-trace={c.traceId} data-request-id={c.requestId} class={openId === c.traceId ? 'open' : undefined}>
              <td class="operation">{c.operation}</td>
              <td class="table-name">{c.table}</td>
              <td class="request">{c.request ?? '—'}</td>
              <td>
                <time dateTime={c.at}>{formatAgo(c.at, now)}</time>
              </td>
              <td>
                <button type="button" class="link-button" aria-pressed={openId === c.traceId} onClick={() => onOpen(c.traceId)}>
                  Trace
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A trace as a waterfall: service, operation (indented under its parent), offset, duration, status and a
 * bar on a shared time axis; the replication lag is a segment of its own. Bars are SVG attributes and
 * indentation a `data-depth` the stylesheet reads, so the site's Content-Security-Policy holds.
 */
export function TraceWaterfall({ view }: { view: TraceView }) {
  return (
    <div class="table-scroll">
      <table class="replicas trace-waterfall" aria-label={`Trace ${view.traceId}`}>
        <caption>
          Trace <code>{view.traceId}</code>: {view.spans} spans, {formatMs(view.totalMs)}
        </caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Operation</th>
            <th scope="col" class="num">Offset</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col">Status</th>
            <th scope="col">Timeline</th>
          </tr>
        </thead>
        <tbody>
          {view.rows.map((row, i) => {
            const { x, width } = barGeometry(row, view.totalMs);
            const kind = row.lag ? 'lag' : row.status.startsWith('error') ? 'error' : 'ok';
            return (
              <tr key={i} class="span-row" data-kind={kind}>
                <td class="service">{row.service || '—'}</td>
                <td class="operation" data-depth={Math.min(row.depth, 8)}>
                  {row.operation}
                </td>
                <td class="num offset">{formatMs(row.offsetMs)}</td>
                <td class="num duration">{formatMs(row.durationMs)}</td>
                <td class="status">{row.status || '—'}</td>
                <td class="timeline">
                  <svg class="trace-bar" viewBox={`0 0 ${AXIS} 10`} preserveAspectRatio="none" role="img" aria-label={`${row.operation}: ${formatMs(row.offsetMs)} to ${formatMs(row.offsetMs + row.durationMs)}`}>
                    <rect class={`bar ${kind}`} x={x.toFixed(1)} y="1" width={width.toFixed(1)} height="8" />
                  </svg>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
