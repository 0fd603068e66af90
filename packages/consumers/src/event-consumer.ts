import { type Logger, silentLogger } from '@mangaassist/commons';
import {
  type BusEventDefinition,
  type BusEventName,
  busEventSchema,
  busEvents,
  type ConsumerName,
  consumerEmissions,
  eventChainLimits,
} from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { nextChainDepth, withChainMetadata } from '@mangaassist/events';
import {
  type IdempotencyStore,
  IdempotencyUnavailableError,
  type RunOnceResult,
  runOnce,
} from '@mangaassist/idempotency';
import * as z from 'zod/mini';
import {
  EmissionNotAllowedError,
  PermanentConsumerError,
  TransientConsumerError,
} from './consumer-errors.js';

export {
  EmissionNotAllowedError,
  PermanentConsumerError,
  TransientConsumerError,
} from './consumer-errors.js';

/** Limits every consumer shares. */
export const consumerLimits = {
  /**
   * How long a handled event (and an order's confirmation) is remembered, seconds: longer than
   * the bus archive's 30-day retention plus the targets' one-hour maximum event age, so a replay
   * of any archived event still finds its record. Give the consumed-events store this TTL.
   */
  dedupeTtlSeconds: 35 * 24 * 3_600,
  /**
   * How long a claim stays in progress before a crashed attempt stops blocking redeliveries,
   * seconds. Must exceed the consumer function's timeout (keep that at 60 s or less).
   */
  inProgressSeconds: 120,
} as const;

/**
 * An EventBridge event as a rule's Lambda target receives it (the whole event, no input
 * transformer). `replay-name` is set on events replayed from an archive. Unknown envelope fields
 * are dropped.
 */
export const busEventEnvelopeSchema = z.object({
  version: z.optional(z.string()),
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  'detail-type': z.string().check(z.minLength(1), z.maxLength(256)),
  source: z.string().check(z.minLength(1), z.maxLength(256)),
  account: z.optional(z.string()),
  time: z.iso.datetime({ offset: true }),
  region: z.optional(z.string()),
  resources: z.optional(z.array(z.string())),
  detail: z.record(z.string(), z.unknown()),
  'replay-name': z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/** An EventBridge event; after the wrapper, `detail` is the output of its detail schema. */
export type BusEventEnvelope = z.infer<typeof busEventEnvelopeSchema>;

/** What reading a consumer's input found: an envelope, or why there is none. */
export type EnvelopeReading =
  | { readonly ok: true; readonly event: BusEventEnvelope }
  | { readonly ok: false; readonly message: string; readonly issues: readonly string[] };

/** Turns a consumer's raw input into an envelope (input-transformed targets bring their own). */
export type EnvelopeReader = (input: unknown) => EnvelopeReading;

/** The detail schema of an event; `undefined` for an event outside the consumer's contract. */
export type DetailSchemaLookup = (
  source: string,
  detailType: string,
) => z.ZodMiniType<Record<string, unknown>> | undefined;

/** Reads an EventBridge event envelope (the default `EnvelopeReader`). Never throws. */
export function readEventBridgeEnvelope(input: unknown): EnvelopeReading {
  const parsed = busEventEnvelopeSchema.safeParse(input);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, message: 'not an EventBridge event', issues: describeIssues(parsed.error) };
}

/** What a consumer made of an event; the wrapper stores it as the event's outcome. */
export type ConsumerOutcome =
  | { readonly status: 'processed'; readonly summary?: Readonly<Record<string, unknown>> }
  /** Nothing to do (a discontinued item, a confirmation already sent): acknowledged and recorded. */
  | {
      readonly status: 'skipped';
      readonly reason: string;
      readonly summary?: Readonly<Record<string, unknown>>;
    };

/** What the wrapper hands a consumer with each event. */
export interface ConsumerContext {
  readonly consumer: ConsumerName;
  readonly eventId: string;
  /** Set when EventBridge replays the event from the archive (`replay-name`). */
  readonly replay: { readonly name: string } | undefined;
  /** The chain metadata of what the consumer emits in response (`withChainMetadata`). */
  readonly chain: { readonly depth: number; readonly sourceEventId: string };
  /**
   * Publishes one event of the bus contract with this event's chain metadata added (for chained
   * events), validated against its schema. Throws `EmissionNotAllowedError` for an event the
   * consumer may not emit (`consumerEmissions`) or one that breaks its schema, and the
   * publisher's `EventPublishError` when the bus refuses it (retried like any transient failure).
   */
  readonly emit: (name: BusEventName, detail: Readonly<Record<string, unknown>>) => Promise<void>;
  readonly logger: Logger;
  /** Wall-clock epoch ms (`at` fields, `hidden_at` …). */
  readonly now: () => number;
}

/** Handles one validated event; throws `TransientConsumerError` or `PermanentConsumerError`. */
export type ConsumeEvent = (event: BusEventEnvelope, context: ConsumerContext) => Promise<ConsumerOutcome>;

/** What became of one delivery (for logs, the local bus's outcomes and tests). */
export interface ConsumerResult {
  readonly consumer: ConsumerName;
  /** Absent for an input that was not an event. */
  readonly eventId?: string;
  /**
   * `processed` / `skipped`: handled now; `duplicate`: handled before (the stored outcome is in
   * `summary`); `rejected`: acknowledged without processing — malformed, outside the contract, past
   * the chain-depth limit, or a permanent failure.
   */
  readonly status: 'processed' | 'skipped' | 'duplicate' | 'rejected';
  readonly reason?: string;
  /** The replay's name, for a replayed event. */
  readonly replay?: string;
  readonly summary?: Readonly<Record<string, unknown>>;
}

/** A consumer as its Lambda function (or the local bus) calls it. */
export type ConsumerFunction = (input: unknown) => Promise<ConsumerResult>;

export interface EventConsumerOptions {
  readonly name: ConsumerName;
  readonly consume: ConsumeEvent;
  /**
   * The consumed-events store (`consumedEventsTable`, TTL `consumerLimits.dedupeTtlSeconds`):
   * one claim per `<consumer>:<event id>`.
   */
  readonly dedupe: IdempotencyStore;
  /**
   * What names one unit of work in the claim `<consumer>:<key>`, read from the envelope before
   * its detail is validated (so it must accept any detail). Two deliveries with the same key are
   * one piece of work, whatever their event ids.
   * @default the event id
   */
  readonly dedupeKey?: (event: BusEventEnvelope) => string;
  /** Where `context.emit` publishes. @default - `emit` throws */
  readonly events?: EventPublisher;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms handed to consumers. @default Date.now */
  readonly now?: () => number;
  /** @default readEventBridgeEnvelope */
  readonly readEnvelope?: EnvelopeReader;
  /** @default busEventSchema (the bus contract) */
  readonly detailSchema?: DetailSchemaLookup;
  /** @default consumerLimits.inProgressSeconds */
  readonly inProgressSeconds?: number;
  /** @default eventChainLimits.maxChainDepth (3) */
  readonly maxChainDepth?: number;
}

const maxStoredIssues = 10;
const maxStoredMessageChars = 500;

/**
 * The wrapper every event consumer goes through: EventBridge semantics once, so each consumer is
 * only its own logic.
 *
 * 1. Reads the envelope; an input that is not an event is logged and acknowledged (`rejected`,
 *    nothing stored: there is no id to store it under).
 * 2. Loop guard #3: `nextChainDepth` refuses an event at or past the maximum depth (or with a
 *    malformed depth) — logged and acknowledged, since every retry would be refused alike — and
 *    gives the consumer the depth of what it emits (`context.chain`, used by `context.emit`).
 * 3. At-least-once delivery and archive replays: claims `<consumer>:<event id>` (or the key
 *    `options.dedupeKey` gives) in `dedupe`. A completed claim is a duplicate (acknowledged with
 *    the stored outcome); a claim in progress elsewhere throws `TransientConsumerError`, so EventBridge retries once that attempt is done.
 *    A replayed event (`replay-name`) is logged as one and flagged in `context.replay`; it is
 *    deduplicated like any other delivery.
 * 4. Validates the detail with its schema (the bus contract by default). An unknown event or a
 *    detail that breaks its schema is permanent: logged, stored as the outcome, acknowledged.
 * 5. Runs the consumer. Its outcome is stored and returned. A `PermanentConsumerError` is logged,
 *    stored and acknowledged (`rejected`). So is a `RangeError`, core's refusal of an input its
 *    schema let through (an empty `model`, an empty `product_id`; reason `invalid-input`) —
 *    retrying would be refused alike; consumers therefore validate their own options when built,
 *    never per event. Anything else — `TransientConsumerError`, an SDK error, a bug (a stack
 *    overflow included, though a `RangeError`) — releases the claim and is rethrown, so the
 *    delivery is retried and the DLQ catches what never succeeds.
 *
 * Never throws for bad input. Throws (rejects) only for what a retry may fix. A failure to store
 * the outcome after the work is done is logged and not thrown: retrying would do the work twice.
 *
 * @example
 * export const consume = makeEventConsumer({ name: 'moderation-handler', dedupe, logger,
 *   consume: async (event, context) => ({ status: 'processed' }) });
 */
export function makeEventConsumer(options: EventConsumerOptions): ConsumerFunction {
  const { name, consume, dedupe } = options;
  const dedupeKey = options.dedupeKey ?? ((event: BusEventEnvelope) => event.id);
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const readEnvelope = options.readEnvelope ?? readEventBridgeEnvelope;
  const detailSchema = options.detailSchema ?? busEventSchema;
  const inProgressSeconds = options.inProgressSeconds ?? consumerLimits.inProgressSeconds;
  const maxChainDepth = options.maxChainDepth ?? eventChainLimits.maxChainDepth;
  const emitter = emitterFor(name, options.events);

  return async (input) => {
    const reading = readEnvelope(input);
    if (!reading.ok) {
      logger.error('event consumer: input is not an event; acknowledged without processing', {
        consumer: name,
        message: reading.message,
        issues: reading.issues.slice(0, maxStoredIssues),
      });
      return { consumer: name, status: 'rejected', reason: 'malformed-envelope' };
    }
    const event = reading.event;
    const replayName = event['replay-name'];
    const fields = {
      consumer: name,
      eventId: event.id,
      source: event.source,
      detailType: event['detail-type'],
      ...(replayName === undefined ? {} : { replayName }),
    };
    const result = (
      status: ConsumerResult['status'],
      extra: { reason?: string; summary?: Readonly<Record<string, unknown>> } = {},
    ): ConsumerResult => ({
      consumer: name,
      eventId: event.id,
      status,
      ...extra,
      ...(replayName === undefined ? {} : { replay: replayName }),
    });
    if (replayName !== undefined) logger.info('event consumer: replayed event received', fields);

    const depth = nextChainDepth(event.detail, maxChainDepth);
    if (!depth.ok) {
      logger.warn(`event consumer: ${depth.message}`, { ...fields, chainDepth: depth.depth });
      return result('rejected', { reason: depth.reason });
    }

    const key = `${name}:${dedupeKey(event)}`;
    let run: RunOnceResult<ConsumerResult>;
    try {
      run = await runOnce(
        dedupe,
        key,
        async () => {
          try {
            const schema = detailSchema(event.source, event['detail-type']);
            if (schema === undefined) {
              throw new PermanentConsumerError(
                `no contract for ${event.source} / ${event['detail-type']}`,
                'unknown-event',
              );
            }
            const detail = schema.safeParse(event.detail);
            if (!detail.success) {
              throw new InvalidDetailError(describeIssues(detail.error));
            }
            const context: ConsumerContext = {
              consumer: name,
              eventId: event.id,
              replay: replayName === undefined ? undefined : { name: replayName },
              chain: { depth: depth.depth, sourceEventId: event.id },
              emit: (eventName, emitted) =>
                emitter(eventName, emitted, { depth: depth.depth, sourceEventId: event.id }),
              logger,
              now,
            };
            const outcome = await consume({ ...event, detail: detail.data }, context);
            const reason = outcome.status === 'skipped' ? outcome.reason : undefined;
            logger.info('event consumer: event handled', {
              ...fields,
              status: outcome.status,
              ...(reason === undefined ? {} : { reason }),
            });
            return {
              value: result(outcome.status, {
                ...(reason === undefined ? {} : { reason }),
                ...(outcome.summary === undefined ? {} : { summary: outcome.summary }),
              }),
              summary: {
                status: outcome.status,
                ...(reason === undefined ? {} : { reason }),
                ...outcome.summary,
              },
            };
          } catch (thrown) {
            const error = asInputRefusal(thrown) ?? thrown;
            if (!(error instanceof PermanentConsumerError)) throw error;
            // A permanent failure is this event's outcome: recorded, acknowledged, never retried.
            const issues =
              error instanceof InvalidDetailError ? error.issues.slice(0, maxStoredIssues) : undefined;
            logger.error('event consumer: permanent failure; recorded and acknowledged', {
              ...fields,
              reason: error.reason,
              error: error.message,
              ...(issues ? { issues } : {}),
            });
            return {
              value: result('rejected', { reason: error.reason }),
              summary: {
                status: 'rejected',
                reason: error.reason,
                message: error.message.slice(0, maxStoredMessageChars),
                ...(issues ? { issues } : {}),
              },
            };
          }
        },
        { inProgressSeconds, logger, label: 'event consumer:', logFields: fields },
      );
    } catch (error) {
      if (error instanceof IdempotencyUnavailableError) {
        throw new TransientConsumerError(error.message, { cause: error.cause });
      }
      logger.warn('event consumer: failed; the delivery will be retried', {
        ...fields,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
    if (run.status === 'duplicate') {
      logger.info('event consumer: duplicate delivery acknowledged', fields);
      return result('duplicate', { summary: run.summary });
    }
    if (run.status === 'in_progress') {
      throw new TransientConsumerError(`${key} is being processed by another attempt; retry later`);
    }
    return run.value;
  };
}

/** RangeErrors of the JavaScript engine, not of a validation: a bug or exhaustion, never the input's fault. */
const engineRangeError =
  /^(?:Maximum call stack size exceeded|Invalid (?:array|string|typed array) length|Array buffer allocation failed)/u;

/** A validation `RangeError` thrown while consuming, as the permanent failure it is. */
function asInputRefusal(error: unknown): PermanentConsumerError | undefined {
  if (!(error instanceof RangeError) || engineRangeError.test(error.message)) return undefined;
  return new PermanentConsumerError(error.message, 'invalid-input', { cause: error });
}

/** A detail that breaks its schema. */
class InvalidDetailError extends PermanentConsumerError {
  override readonly name = 'InvalidDetailError';
  constructor(readonly issues: readonly string[]) {
    super(`the event detail breaks its schema: ${issues.slice(0, 3).join('; ')}`, 'invalid-detail');
  }
}

type Emitter = (
  name: BusEventName,
  detail: Readonly<Record<string, unknown>>,
  chain: { readonly depth: number; readonly sourceEventId: string },
) => Promise<void>;

/** `context.emit` of one consumer: only what `consumerEmissions` lists, valid, with chain metadata. */
function emitterFor(consumer: ConsumerName, events: EventPublisher | undefined): Emitter {
  const allowed: ReadonlySet<BusEventName> = new Set(consumerEmissions[consumer]);
  return async (eventName, detail, chain) => {
    if (!allowed.has(eventName)) {
      throw new EmissionNotAllowedError(`${consumer} may not emit ${eventName} (consumerEmissions)`);
    }
    const definition: BusEventDefinition = busEvents[eventName];
    if (definition.detailTypePrefix !== undefined) {
      throw new EmissionNotAllowedError(`${eventName} is a family; emit one of its detail types`);
    }
    if (events === undefined) {
      throw new EmissionNotAllowedError(`${consumer} was built without an event publisher`);
    }
    const full = definition.chained ? withChainMetadata({ ...detail }, chain) : detail;
    const parsed = definition.schema.safeParse(full);
    if (!parsed.success) {
      throw new EmissionNotAllowedError(
        `${consumer} emitted a ${eventName} that breaks its schema: ${describeIssues(parsed.error).join('; ')}`,
      );
    }
    await events.publish([
      { source: definition.source, detailType: definition.detailType, detail: parsed.data },
    ]);
  };
}

function describeIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
