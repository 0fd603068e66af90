import {
  type AttentionEntry,
  type AttentionLog,
  type AttentionReason,
  analyticsLimits,
  assertAttentionEntry,
  assertDay,
  attentionKey,
  type DailyInferenceStats,
  dailyStatsFromCounters,
  type InferenceStatus,
  type InferenceUsage,
  inferenceDayKey,
  inferenceIncrements,
} from './analytics-items.js';

export type {
  AttentionEntry,
  AttentionLog,
  AttentionReason,
  DailyInferenceStats,
  InferenceStatus,
  InferenceUsage,
};

/** What `recordAttention` did: kept the entry, knew it already, or counted it past a full list. */
export type AttentionRecordResult = 'recorded' | 'duplicate' | 'dropped';

/**
 * The analytics-store port: InferenceCompleted aggregated per model and UTC day, and each day's
 * bounded list of inferences that need attention (`inferenceAnalyticsTable`).
 *
 * - `recordInference` adds one inference's counters to its `<model>#<day>` aggregate with atomic
 *   increments, so any number of concurrent writers sum exactly. It is not idempotent by itself:
 *   the consumer wrapper's dedupe on the event id keeps a redelivered event from counting twice.
 * - `recordAttention` appends to the day's list (`attention#<day>`) up to `maxAttentionEntries`,
 *   idempotent on the request id while the list has room; past that it only counts (`dropped`).
 * - Reads return `undefined` for a day with nothing recorded.
 *
 * Errors: `RangeError` for a malformed day (`YYYY-MM-DD`), negative or fractional counters, or a
 * non-finite latency; an adapter's I/O errors propagate (the consumer throws, EventBridge retries).
 */
export interface AnalyticsStore {
  recordInference(usage: InferenceUsage): Promise<void>;
  dailyStats(model: string, day: string): Promise<DailyInferenceStats | undefined>;
  recordAttention(day: string, entry: AttentionEntry): Promise<AttentionRecordResult>;
  attention(day: string): Promise<AttentionLog | undefined>;
}

export interface MemoryAnalyticsStoreOptions {
  /** @default analyticsLimits.maxAttentionEntries (100) */
  readonly maxAttentionEntries?: number;
}

/**
 * The analytics store in memory, for tests and `pnpm dev`: the same counters and the same bounded
 * attention list as the DynamoDB adapter, without expiry. Every update runs synchronously, so
 * concurrent calls sum exactly as DynamoDB's `ADD` does.
 */
export class MemoryAnalyticsStore implements AnalyticsStore {
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly lists = new Map<string, { entries: AttentionEntry[]; total: number; dropped: number }>();
  private readonly maxAttentionEntries: number;

  constructor(options: MemoryAnalyticsStoreOptions = {}) {
    this.maxAttentionEntries = options.maxAttentionEntries ?? analyticsLimits.maxAttentionEntries;
  }

  async recordInference(usage: InferenceUsage): Promise<void> {
    const increments = inferenceIncrements(usage);
    const key = inferenceDayKey(usage.model, usage.day);
    const counters = this.counters.get(key) ?? new Map<string, number>();
    for (const [name, increment] of Object.entries(increments)) {
      counters.set(name, (counters.get(name) ?? 0) + increment);
    }
    this.counters.set(key, counters);
  }

  async dailyStats(model: string, day: string): Promise<DailyInferenceStats | undefined> {
    const counters = this.counters.get(inferenceDayKey(model, day));
    return counters === undefined
      ? undefined
      : dailyStatsFromCounters(model, day, Object.fromEntries(counters));
  }

  async recordAttention(day: string, entry: AttentionEntry): Promise<AttentionRecordResult> {
    assertDay(day);
    assertAttentionEntry(entry);
    const key = attentionKey(day);
    const list = this.lists.get(key) ?? { entries: [], total: 0, dropped: 0 };
    this.lists.set(key, list);
    if (list.entries.some((kept) => kept.requestId === entry.requestId)) return 'duplicate';
    list.total += 1;
    if (list.entries.length >= this.maxAttentionEntries) {
      list.dropped += 1;
      return 'dropped';
    }
    list.entries.push(entry);
    return 'recorded';
  }

  async attention(day: string): Promise<AttentionLog | undefined> {
    assertDay(day);
    const list = this.lists.get(attentionKey(day));
    return list === undefined
      ? undefined
      : { day, entries: [...list.entries], total: list.total, dropped: list.dropped };
  }
}
