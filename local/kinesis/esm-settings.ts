import { CHANGE_CONSUMER } from '../../topology';

/**
 * The settings of Lambda's event source mapping for a Kinesis stream, with the ranges AWS accepts
 * (CreateEventSourceMapping, https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
 */
export interface EsmSettings {
  /** Records per invocation at most: 1–10,000, as on AWS for Kinesis (one GetRecords returns at most 10,000). */
  batchSize: number;
  /** How long to gather records before invoking (0–300 s); 0 invokes as soon as a poll returns records. */
  maximumBatchingWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires; else 0–10,000. */
  maximumRetryAttempts: number;
  /** -1 = no age limit; else 60–604,800 s. */
  maximumRecordAgeSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * Batches of one shard delivered at once, 1–10 (ParallelizationFactor); records of one partition key stay
   * in order whatever the factor (esm-lanes.ts).
   */
  parallelizationFactor: number;
  /**
   * Local only: the longest wait between polls of an idle shard. After a poll that returned records the
   * shard is polled again at once; after empty polls the wait grows from a few ms up to this.
   */
  pollingIntervalMs: number;
}

/** Defaults (topology's CHANGE_CONSUMER) merged with `overrides`, checked against the limits AWS enforces. */
export function esmSettings(overrides: Partial<EsmSettings> = {}): EsmSettings {
  const settings: EsmSettings = {
    batchSize: CHANGE_CONSUMER.batchSize,
    maximumBatchingWindowSeconds: CHANGE_CONSUMER.maximumBatchingWindowSeconds,
    bisectBatchOnFunctionError: CHANGE_CONSUMER.bisectBatchOnFunctionError,
    maximumRetryAttempts: CHANGE_CONSUMER.maximumRetryAttempts,
    maximumRecordAgeSeconds: CHANGE_CONSUMER.maximumRecordAgeSeconds,
    startingPosition: CHANGE_CONSUMER.startingPosition,
    parallelizationFactor: CHANGE_CONSUMER.parallelizationFactor,
    pollingIntervalMs: CHANGE_CONSUMER.pollingIntervalMs,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`Invalid event source mapping setting: ${what}`);
  };
  const int = (n: number) => Number.isInteger(n);
  check(int(settings.batchSize) && settings.batchSize >= 1 && settings.batchSize <= 10_000, `batchSize ${settings.batchSize} (1–10000)`);
  check(Number.isFinite(settings.maximumBatchingWindowSeconds) && settings.maximumBatchingWindowSeconds >= 0 && settings.maximumBatchingWindowSeconds <= 300, `maximumBatchingWindowSeconds ${settings.maximumBatchingWindowSeconds} (0–300)`);
  check(int(settings.maximumRetryAttempts) && settings.maximumRetryAttempts >= -1 && settings.maximumRetryAttempts <= 10_000, `maximumRetryAttempts ${settings.maximumRetryAttempts} (-1–10000)`);
  // AWS accepts -1 or 60–604800; shorter ages are allowed locally so tests need not wait a minute.
  check(int(settings.maximumRecordAgeSeconds) && settings.maximumRecordAgeSeconds >= -1 && settings.maximumRecordAgeSeconds <= 604_800, `maximumRecordAgeSeconds ${settings.maximumRecordAgeSeconds} (-1–604800)`);
  check(int(settings.parallelizationFactor) && settings.parallelizationFactor >= 1 && settings.parallelizationFactor <= 10, `parallelizationFactor ${settings.parallelizationFactor} (1–10)`);
  check(settings.startingPosition === 'TRIM_HORIZON' || settings.startingPosition === 'LATEST', `startingPosition ${settings.startingPosition}`);
  check(Number.isFinite(settings.pollingIntervalMs) && settings.pollingIntervalMs >= 1 && settings.pollingIntervalMs <= 60_000, `pollingIntervalMs ${settings.pollingIntervalMs} (1–60000)`);
  return settings;
}
