/**
 * The raw numbers CloudWatch would get from Lambda and API Gateway, kept by the local runtime: one
 * sample per settled invocation (function, version, duration, error) and per API response (status).
 * Bounded, oldest first out; each sample has a sequence number so a reader can fetch only what is new.
 */
export type MetricSample =
  | { kind: 'invocation'; seq: number; at: number; function: string; version: string; durationMs?: number; error?: string }
  | { kind: 'request'; seq: number; at: number; statusCode: number };

type NewSample = MetricSample extends infer S ? (S extends MetricSample ? Omit<S, 'seq'> : never) : never;

/** Enough for the longest alarm window at local request rates (a few hundred per second for five minutes). */
const DEFAULT_CAPACITY = 100_000;

export class MetricLog {
  private readonly samples: MetricSample[] = [];
  private seq = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  record(sample: NewSample): void {
    this.samples.push({ ...sample, seq: ++this.seq } as MetricSample);
    if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity);
  }

  /** Samples recorded after sequence number `seq` (0: all kept), and the latest sequence number. */
  after(seq: number, limit = 10_000): { samples: MetricSample[]; last: number } {
    // Sequence numbers are consecutive, so the first newer sample's index is arithmetic.
    const first = this.samples[0]?.seq ?? this.seq + 1;
    const start = Math.max(0, seq - first + 1);
    const samples = this.samples.slice(start, start + limit);
    return { samples, last: samples.at(-1)?.seq ?? Math.max(seq, this.seq) };
  }
}
