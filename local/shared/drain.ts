import type http from 'node:http';

/** Long enough for any local request; a handler that never answers must not keep the stack from stopping. */
const DRAIN_MS = 5_000;

export interface TrackedRequests {
  /** The server's request listener, counting: hand requests to it to have them counted too. */
  listener: http.RequestListener;
  /** Refuses new requests (their connection is dropped, as by a stopped server) and waits for the rest. */
  drain(maxMs?: number): Promise<void>;
}

/**
 * dynalite's and kinesalite's close() shut their LevelDB before their HTTP server and do not wait for
 * requests in flight, so a request still being handled (e.g. a GetRecords whose caller gave up) reads a
 * closed database and throws an uncaught error. This replaces `server`'s request listener with one that
 * counts each request until it is answered (every path of both ends in `res.end`), so stop() can drain
 * them first. Written by hand: neither library has a hook for it.
 */
export function trackRequests(server: http.Server): TrackedRequests {
  const handling = new Set<Promise<void>>();
  let draining = false;
  const inner = server.listeners('request') as http.RequestListener[];
  const listener: http.RequestListener = (req, res) => {
    if (draining) return void req.socket.destroy();
    const answered = new Promise<void>((resolve) => {
      const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
      res.end = ((...args: unknown[]) => {
        resolve();
        return end(...args);
      }) as typeof res.end;
    });
    handling.add(answered);
    void answered.then(() => handling.delete(answered));
    for (const handle of inner) handle(req, res);
  };
  server.removeAllListeners('request');
  server.on('request', listener);
  return {
    listener,
    async drain(maxMs = DRAIN_MS) {
      draining = true;
      const gaveUp = new Promise((resolve) => setTimeout(resolve, maxMs).unref());
      await Promise.race([Promise.allSettled([...handling]), gaveUp]);
    },
  };
}
