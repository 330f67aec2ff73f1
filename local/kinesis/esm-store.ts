import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OnFailureRecord } from './kinesis-event';

/**
 * Per-shard checkpoints (the last sequence number the function finished) and the on-failure destination.
 * With a dataDir both live on disk, so a restarted mapping resumes where it stopped: a batch in flight
 * when the process died is delivered again (at-least-once), never skipped.
 */
export class EsmStore {
  private checkpoints: Record<string, string> = {};
  private saving: Promise<void> = Promise.resolve();
  readonly failures: OnFailureRecord[] = [];

  private constructor(private readonly dir: string | undefined, private readonly streamName: string) {}

  static async open(dataDir: string | undefined, streamName: string): Promise<EsmStore> {
    const store = new EsmStore(dataDir, streamName);
    if (dataDir) {
      await mkdir(dataDir, { recursive: true });
      try {
        const saved = JSON.parse(await readFile(store.checkpointFile, 'utf8'));
        store.checkpoints = saved?.[streamName] ?? {};
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return store;
  }

  get checkpointFile(): string {
    return path.join(this.dir ?? '.', 'esm-checkpoints.json');
  }

  get failureFile(): string {
    return path.join(this.dir ?? '.', 'on-failure.jsonl');
  }

  checkpoint(shardId: string): string | undefined {
    return this.checkpoints[shardId];
  }

  /** Saves in order; a write goes to a temporary file first so a crash never leaves a torn checkpoint. */
  async setCheckpoint(shardId: string, sequenceNumber: string): Promise<void> {
    this.checkpoints[shardId] = sequenceNumber;
    if (!this.dir) return;
    const snapshot = JSON.stringify({ [this.streamName]: this.checkpoints }, null, 2);
    this.saving = this.saving.then(async () => {
      const tmp = `${this.checkpointFile}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.checkpointFile);
    });
    await this.saving;
  }

  async sendToOnFailure(record: OnFailureRecord): Promise<void> {
    this.failures.push(record);
    if (this.failures.length > 1000) this.failures.shift();
    if (this.dir) await appendFile(this.failureFile, `${JSON.stringify(record)}\n`);
  }
}
