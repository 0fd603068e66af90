/**
 * How a request ended: `ok`, the error type it was answered with (including
 * `ModelStreamErrorException` mid-stream), or `aborted` when the client went away.
 */
export type RequestOutcome = string;

/** Which wire protocol a request came over. */
export type WireProtocol = 'h2' | 'http/1.1' | 'http/1.0';

export interface RequestRecord {
  readonly region: string;
  readonly modelId: string;
  readonly operation: string;
  readonly protocol: WireProtocol;
}

/** Counts for one region + model pair. */
export interface StatsEntry {
  readonly region: string;
  readonly modelId: string;
  readonly attempts: number;
  readonly outcomes: Readonly<Partial<Record<RequestOutcome, number>>>;
  readonly operations: Readonly<Partial<Record<string, number>>>;
  readonly protocols: Readonly<Partial<Record<WireProtocol, number>>>;
}

/** Totals over the entries a filter selected, plus those entries. */
export interface EmulatorStats {
  readonly attempts: number;
  readonly outcomes: Readonly<Partial<Record<RequestOutcome, number>>>;
  readonly operations: Readonly<Partial<Record<string, number>>>;
  readonly protocols: Readonly<Partial<Record<WireProtocol, number>>>;
  readonly entries: readonly StatsEntry[];
}

/** Exact-match filter on region and/or model id; omitted fields match everything. */
export interface StatsFilter {
  readonly region?: string;
  readonly modelId?: string;
}

interface MutableEntry {
  region: string;
  modelId: string;
  attempts: number;
  outcomes: Record<string, number>;
  operations: Record<string, number>;
  protocols: Partial<Record<WireProtocol, number>>;
}

/** Every attempt the emulator saw, so tests can count what the SDK really sent (retries included). */
export class RequestStats {
  private readonly entries = new Map<string, MutableEntry>();

  /** Counts one finished attempt (an attempt is counted once its response is complete). */
  record(record: RequestRecord, outcome: RequestOutcome): void {
    const entry = this.entryFor(record.region, record.modelId);
    entry.attempts += 1;
    increment(entry.outcomes, outcome);
    increment(entry.operations, record.operation);
    increment(entry.protocols, record.protocol);
  }

  snapshot(filter: StatsFilter = {}): EmulatorStats {
    const entries = [...this.entries.values()]
      .filter(
        (entry) =>
          (filter.region === undefined || entry.region === filter.region) &&
          (filter.modelId === undefined || entry.modelId === filter.modelId),
      )
      .map((entry) => ({
        ...entry,
        outcomes: { ...entry.outcomes },
        operations: { ...entry.operations },
        protocols: { ...entry.protocols },
      }));
    return {
      attempts: entries.reduce((sum, entry) => sum + entry.attempts, 0),
      outcomes: sumCounts(entries.map((entry) => entry.outcomes)),
      operations: sumCounts(entries.map((entry) => entry.operations)),
      protocols: sumCounts(entries.map((entry) => entry.protocols)),
      entries,
    };
  }

  reset(): void {
    this.entries.clear();
  }

  private entryFor(region: string, modelId: string): MutableEntry {
    const key = `${region}\n${modelId}`;
    const existing = this.entries.get(key);
    if (existing !== undefined) return existing;
    const created: MutableEntry = {
      region,
      modelId,
      attempts: 0,
      outcomes: {},
      operations: {},
      protocols: {},
    };
    this.entries.set(key, created);
    return created;
  }
}

function increment<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sumCounts<K extends string>(
  counts: readonly Partial<Record<K, number>>[],
): Partial<Record<K, number>> {
  const total: Partial<Record<K, number>> = {};
  for (const count of counts) {
    for (const [key, value] of Object.entries(count) as [K, number | undefined][]) {
      total[key] = (total[key] ?? 0) + (value ?? 0);
    }
  }
  return total;
}
