import type { LogEvent } from '../../../local/logs/log-event';

export interface LogQuery {
  functions: string[];
  since: number;
  until?: number;
  /** Used by sources that can filter on the server; the CLI filters every event again itself. */
  grep?: string;
  request?: string;
}

/** Where log events come from: the local runtime's files or CloudWatch Logs. */
export interface LogSource {
  /** For messages: "local files in .local/logs", "CloudWatch Logs in eu-west-1". */
  readonly description: string;
  /** Function names this source can answer for. */
  functions(): Promise<string[]>;
  /** Events in the window, sorted by time. */
  history(query: LogQuery): Promise<LogEvent[]>;
  /** The window's events, then new ones as they arrive, until `signal` aborts. */
  follow(query: LogQuery, onEvents: (events: LogEvent[]) => void, signal: AbortSignal): Promise<void>;
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
