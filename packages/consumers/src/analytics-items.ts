/**
 * The layout of the analytics table (`inferenceAnalyticsTable`), shared by the memory and DynamoDB
 * analytics stores so both count and read alike.
 *
 * `<model>#<day>` items hold counters only (plus `model`, `day`, `expires_at`): `requests`,
 * `status_<status>`, `cached_requests`, the four token counts, `cost_nano_usd`, `latency_ms_sum`
 * and one `latency_b<index>` per latency-sketch bucket touched. `attention#<day>` items hold
 * `entries` (a list), `request_ids` (a string set), `total` and `dropped` — names disjoint from the
 * counters, so even a model named `attention` could not corrupt a list.
 */
import type { InferenceCompletedDetail } from '@mangaassist/contracts';
import {
  type LatencyCounts,
  latencyBucket,
  latencyPercentiles,
  latencySketchSpec,
} from './latency-sketch.js';
import { nanoToUsd } from './nano-usd.js';

/** An InferenceCompleted status: `success | degraded | error | timeout`. */
export type InferenceStatus = InferenceCompletedDetail['status'];
export const inferenceStatuses = [
  'success',
  'degraded',
  'error',
  'timeout',
] as const satisfies readonly InferenceStatus[];

/** Why an inference needs attention (see `inference-post-processor.ts`). */
export type AttentionReason = 'degraded' | 'error' | 'timeout' | 'cost-above-threshold' | 'latency-above-sla';

export const analyticsLimits = {
  /** How long aggregates and attention lists are kept after their day began. */
  ttlDays: 400,
  /** Entries an `attention#<day>` list keeps; later ones are only counted. */
  maxAttentionEntries: 100,
} as const;

/** What one InferenceCompleted adds to its model's day. */
export interface InferenceUsage {
  /** Catalog key (`none` for a degraded answer). */
  readonly model: string;
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly status: InferenceStatus;
  readonly cached: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Whole nano-dollars (`usdToNano`). */
  readonly costNanoUsd: number;
  readonly latencyMs: number;
}

/** One model's day, as read back. */
export interface DailyInferenceStats {
  readonly model: string;
  readonly day: string;
  readonly requests: number;
  readonly byStatus: Readonly<Record<InferenceStatus, number>>;
  /** Requests answered from the response cache. */
  readonly cachedRequests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  readonly costNanoUsd: number;
  /** `costNanoUsd` as a decimal string (`"0.012345"`). */
  readonly costUsd: string;
  readonly latencyMsSum: number;
  /** The mergeable latency sketch (bucket index -> count). */
  readonly latencyCounts: LatencyCounts;
  /** From the sketch, within its 2 % error bound; `undefined` when no latency was recorded. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number } | undefined;
}

/** One inference that needs attention. */
export interface AttentionEntry {
  readonly requestId: string;
  readonly tenantId: string;
  readonly model: string;
  readonly status: InferenceStatus;
  readonly reasons: readonly AttentionReason[];
  readonly latencyMs: number;
  /** Decimal USD, as the event carried it. */
  readonly costUsd: string;
  /** The InferenceCompleted event's id. */
  readonly eventId: string;
  /** When the inference completed (the event's time), ISO 8601. */
  readonly at: string;
}

/** A day's attention list. `total` = entries kept + `dropped` (counted past a full list). */
export interface AttentionLog {
  readonly day: string;
  readonly entries: readonly AttentionEntry[];
  readonly total: number;
  readonly dropped: number;
}

const dayPattern = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Throws `RangeError` unless `day` is a `YYYY-MM-DD` calendar day. */
export function assertDay(day: string): void {
  if (!dayPattern.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
}

/** `<model>#<day>`: the key of a model's daily aggregate. Throws `RangeError` for an empty model. */
export function inferenceDayKey(model: string, day: string): string {
  if (model === '') throw new RangeError('model must not be empty');
  assertDay(day);
  return `${model}#${day}`;
}

/** `attention#<day>`: the key of a day's attention list. */
export function attentionKey(day: string): string {
  assertDay(day);
  return `attention#${day}`;
}

/** `expires_at` (epoch seconds) of a day's items: `ttlDays` after the day began, UTC. */
export function analyticsExpiresAt(day: string, ttlDays: number = analyticsLimits.ttlDays): number {
  assertDay(day);
  assertTtlDays(ttlDays);
  return Date.parse(`${day}T00:00:00Z`) / 1_000 + ttlDays * 86_400;
}

/** Throws `RangeError` unless `ttlDays` is a positive integer. */
export function assertTtlDays(ttlDays: number): void {
  if (!Number.isSafeInteger(ttlDays) || ttlDays < 1) {
    throw new RangeError(`ttlDays must be a positive integer, got ${ttlDays}`);
  }
}

/** The latency-sketch counter of bucket `index`. */
export function latencyCounterName(index: number): string {
  return `latency_b${index}`;
}

const latencyCounterPattern = /^latency_b(\d+)$/;

/**
 * Counter name -> increment for one inference: what `ADD` applies to its `<model>#<day>` item.
 * Status and cache counters appear only when they count; token and cost counters always (so every
 * aggregate has them). Throws `RangeError` for a malformed day, an empty model, negative or
 * fractional token or cost counts, or a negative or non-finite latency.
 */
export function inferenceIncrements(usage: InferenceUsage): Record<string, number> {
  inferenceDayKey(usage.model, usage.day);
  const counts = {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    cache_write_input_tokens: usage.cacheWriteInputTokens,
    cost_nano_usd: usage.costNanoUsd,
  };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  const bucket = latencyBucket(usage.latencyMs);
  return {
    requests: 1,
    [`status_${usage.status}`]: 1,
    ...(usage.cached ? { cached_requests: 1 } : {}),
    ...counts,
    latency_ms_sum: Math.round(usage.latencyMs),
    [latencyCounterName(bucket)]: 1,
  };
}

/** A model's day from its counters (absent counters are 0; anything not a counter is ignored). */
export function dailyStatsFromCounters(
  model: string,
  day: string,
  item: Readonly<Record<string, unknown>>,
): DailyInferenceStats {
  const count = (name: string) => {
    const value = item[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : 0;
  };
  const latencyCounts = new Map<number, number>();
  for (const [name, value] of Object.entries(item)) {
    const match = latencyCounterPattern.exec(name);
    const index = match === null ? Number.NaN : Number(match[1]);
    if (index <= latencySketchSpec.maxIndex && typeof value === 'number' && value > 0) {
      latencyCounts.set(index, value);
    }
  }
  const costNanoUsd = count('cost_nano_usd');
  return {
    model,
    day,
    requests: count('requests'),
    byStatus: Object.fromEntries(
      inferenceStatuses.map((status) => [status, count(`status_${status}`)]),
    ) as Record<InferenceStatus, number>,
    cachedRequests: count('cached_requests'),
    inputTokens: count('input_tokens'),
    outputTokens: count('output_tokens'),
    cacheReadInputTokens: count('cache_read_input_tokens'),
    cacheWriteInputTokens: count('cache_write_input_tokens'),
    costNanoUsd,
    costUsd: nanoToUsd(costNanoUsd),
    latencyMsSum: count('latency_ms_sum'),
    latencyCounts,
    latencyMs: latencyPercentiles(latencyCounts),
  };
}

/** Throws `RangeError` for an attention entry without a request id or reasons. */
export function assertAttentionEntry(entry: AttentionEntry): void {
  if (entry.requestId === '') throw new RangeError('an attention entry needs a request id');
  if (entry.reasons.length === 0) throw new RangeError('an attention entry needs at least one reason');
}

/** An attention entry as stored in the list (snake_case, as the table's other attributes). */
export function attentionEntryItem(entry: AttentionEntry): Record<string, unknown> {
  return {
    request_id: entry.requestId,
    tenant_id: entry.tenantId,
    model: entry.model,
    status: entry.status,
    reasons: [...entry.reasons],
    latency_ms: entry.latencyMs,
    cost_usd: entry.costUsd,
    event_id: entry.eventId,
    at: entry.at,
  };
}

/** A stored attention entry back; `undefined` for one that does not have the shape. */
export function attentionEntryFromItem(item: unknown): AttentionEntry | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const record = item as Record<string, unknown>;
  const text = (name: string) => (typeof record[name] === 'string' ? (record[name] as string) : undefined);
  const requestId = text('request_id');
  const status = inferenceStatuses.find((candidate) => candidate === record.status);
  const reasons = Array.isArray(record.reasons)
    ? record.reasons.filter((reason): reason is AttentionReason => attentionReasons.includes(reason))
    : [];
  if (requestId === undefined || status === undefined || typeof record.latency_ms !== 'number') {
    return undefined;
  }
  return {
    requestId,
    tenantId: text('tenant_id') ?? '',
    model: text('model') ?? '',
    status,
    reasons,
    latencyMs: record.latency_ms,
    costUsd: text('cost_usd') ?? '0',
    eventId: text('event_id') ?? '',
    at: text('at') ?? '',
  };
}

const attentionReasons: readonly unknown[] = [
  'degraded',
  'error',
  'timeout',
  'cost-above-threshold',
  'latency-above-sla',
] satisfies AttentionReason[];
