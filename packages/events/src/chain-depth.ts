import { type ChainMetadata, eventChainLimits } from '@mangaassist/contracts';

/** Why a consumer must not process an event. */
export type ChainRefusalReason = 'max-depth-reached' | 'malformed-chain-depth';

export type ChainDepthCheck =
  /** Process the event; whatever it makes carries `depth`. */
  | { readonly ok: true; readonly depth: number }
  /** Acknowledge and drop the event (never throw: a retry would be refused the same way). */
  | {
      readonly ok: false;
      /** The depth the event stands at; `max` for a malformed one. */
      readonly depth: number;
      readonly reason: ChainRefusalReason;
      /** One line for the log. */
      readonly message: string;
    };

/**
 * Loop guard #3 (seed 000 §5.3 `check_chain_depth`, fixed): whether a consumer may process an
 * event whose detail is `detail`, and the `chain_depth` of what it emits in response.
 *
 * - no `chain_depth` key (an event that starts a chain: webhook, chat, schedule): depth 0, so
 *   the consumer's output has depth 1;
 * - a non-negative integer `d` below `max`: allowed, output depth `d + 1`;
 * - `d >= max`: refused (`max-depth-reached`);
 * - anything else — negative, fractional, `NaN`, `Infinity`, a string such as `"2"`, `null`, an
 *   object — and a detail that is not an object: refused (`malformed-chain-depth`), as if the
 *   chain were at the limit. The seed's `detail.get("_chain_depth", 0)` trusted any value (`-5`
 *   buys eight more hops, and in JavaScript `"2" + 1` is `"21"`); a counter that cannot be read
 *   is never taken to mean "fresh".
 *
 * Throws `RangeError` when `max` is not a positive integer.
 *
 * @example
 * const check = nextChainDepth(event.detail);
 * if (!check.ok) { logger.warn(check.message); return; }
 * await publisher.publish([{ source, detailType, detail: withChainMetadata(detail, { depth: check.depth, sourceEventId: event.id }) }]);
 */
export function nextChainDepth(
  detail: unknown,
  max: number = eventChainLimits.maxChainDepth,
): ChainDepthCheck {
  if (!Number.isSafeInteger(max) || max < 1)
    throw new RangeError(`max must be a positive integer, got ${max}`);
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return malformed(max, 'the event detail is not an object');
  }
  if (!('chain_depth' in detail) || detail.chain_depth === undefined) return { ok: true, depth: 1 };
  const current = detail.chain_depth;
  if (typeof current !== 'number' || !Number.isSafeInteger(current) || current < 0) {
    return malformed(max, `chain_depth ${describe(current)} is not a non-negative integer`);
  }
  if (current >= max) {
    return {
      ok: false,
      depth: current,
      reason: 'max-depth-reached',
      message: `event chain depth ${current} reached the maximum ${max}: possible event loop, event dropped`,
    };
  }
  return { ok: true, depth: current + 1 };
}

/**
 * A copy of `detail` with the chain metadata of an event a consumer emits (seed 000 §5.3
 * `add_chain_metadata`, without mutating its argument): `chain_depth`, `source_event_id` and
 * `processing_stage: 'processed'`, replacing any values `detail` had for them.
 *
 * Throws `RangeError` when `depth` is not a positive integer or `sourceEventId` is empty.
 */
export function withChainMetadata<T extends Record<string, unknown>>(
  detail: T,
  chain: { readonly depth: number; readonly sourceEventId: string },
): Omit<T, keyof ChainMetadata> & ChainMetadata {
  if (!Number.isSafeInteger(chain.depth) || chain.depth < 1) {
    throw new RangeError(`chain depth must be a positive integer, got ${chain.depth}`);
  }
  if (chain.sourceEventId === '') throw new RangeError('sourceEventId must not be empty');
  return {
    ...detail,
    chain_depth: chain.depth,
    source_event_id: chain.sourceEventId,
    processing_stage: 'processed',
  };
}

function malformed(max: number, why: string): ChainDepthCheck {
  return {
    ok: false,
    depth: max,
    reason: 'malformed-chain-depth',
    message: `${why}: treated as at the maximum chain depth ${max}, event dropped`,
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null) return String(value);
  return `of type ${Array.isArray(value) ? 'array' : typeof value}`;
}
