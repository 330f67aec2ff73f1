/**
 * Per-key order as the consumer sees it, for tests and the bench: Lambda promises that records with the same
 * partition key are processed in shard order whatever the parallelization factor ("Using Lambda to process
 * records from Amazon Kinesis Data Streams", Polling and batching streams). A violation is a record reaching
 * the function for the first time after a later record of its key did; a redelivery of a record already seen
 * (a retry, at-least-once) is not one. The replicator's version condition would hide a reorder in the
 * replica, so this looks at the deliveries themselves.
 */
export class KeyOrder {
  private readonly latest = new Map<string, bigint>();
  private readonly seen = new Set<string>();
  violations = 0;
  records = 0;

  /** Notes one delivered record (sequence numbers are decimal strings, ordered within a shard). */
  see(partitionKey: string, sequenceNumber: string): void {
    this.records++;
    const seq = BigInt(sequenceNumber);
    const id = `${partitionKey}\u0000${sequenceNumber}`;
    const first = !this.seen.has(id);
    this.seen.add(id);
    const latest = this.latest.get(partitionKey);
    if (latest !== undefined && seq < latest) {
      if (first) this.violations++;
      return;
    }
    this.latest.set(partitionKey, seq);
  }

  /** Notes every record of a Kinesis event. */
  seeEvent(event: { Records: ReadonlyArray<{ kinesis: { partitionKey: string; sequenceNumber: string } }> }): void {
    for (const r of event.Records) this.see(r.kinesis.partitionKey, r.kinesis.sequenceNumber);
  }
}
