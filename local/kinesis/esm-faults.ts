import type { KinesisStreamEvent } from 'aws-lambda';

/** Test-only faults: duplicate and reordered deliveries, and invocations reported failed after the function ran. */
export interface EsmFaults {
  duplicateRate?: number;
  reorder?: boolean;
  failRate?: number;
}

export interface InjectedFaults {
  duplicates: number;
  reorders: number;
  failures: number;
}

type Invoke = (event: KinesisStreamEvent) => Promise<unknown>;

/**
 * Wraps the mapping's `invoke` so the emulation itself stays fault-free: records are duplicated and
 * shuffled on their way to the function, and a call that succeeded is reported failed (an at-least-once
 * redelivery, as when Lambda loses the response). `injected` counts what was done.
 */
export function withFaults(invoke: Invoke, faults: EsmFaults, random: () => number = Math.random): { invoke: Invoke; injected: InjectedFaults } {
  const injected: InjectedFaults = { duplicates: 0, reorders: 0, failures: 0 };
  if (!faults.duplicateRate && !faults.reorder && !faults.failRate) return { invoke, injected };
  const wrapped: Invoke = async (event) => {
    let records = event.Records;
    if (faults.duplicateRate) {
      records = records.flatMap((r) => (random() < faults.duplicateRate! ? (injected.duplicates++, [r, r]) : [r]));
    }
    if (faults.reorder && records.length > 1) {
      injected.reorders++;
      records = shuffle(records, random);
    }
    const response = await invoke({ ...event, Records: records });
    if (faults.failRate && random() < faults.failRate) {
      injected.failures++;
      throw new Error('injected failure after the function ran');
    }
    return response;
  };
  return { invoke: wrapped, injected };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
