/**
 * The shared webhook receiver: one per source (`stripe`, `reviews`, `catalog`), the same code
 * behind a Lambda function URL and in `pnpm dev`. It is a security boundary (nothing reaches a
 * processor unverified) and the place where a delivery must not be lost or processed twice.
 *
 * Checks, in order — every refusal is a JSON error `{ error: { code, message, request_id } }`,
 * logged with its reason (never a secret or a signature), and publishes nothing:
 *
 * | Check                                              | Status | `code`                               |
 * |----------------------------------------------------|--------|--------------------------------------|
 * | method is not POST                                 | 405    | `method_not_allowed` (`Allow: POST`) |
 * | body over `maxBodyBytes`                           | 413    | `payload_too_large`                  |
 * | no signature header                                | 401    | `missing_signature`                  |
 * | unreadable signature / id / timestamp header       | 401    | `malformed_signature`, `missing_timestamp` |
 * | signing secrets cannot be loaded                   | 503    | `webhook_secrets_unavailable` (`Retry-After`) |
 * | no signature matches any active secret             | 401    | `bad_signature`                      |
 * | signed timestamp outside the tolerance (past or future) | 401 | `timestamp_out_of_tolerance`        |
 * | body not UTF-8 / not JSON                          | 400    | `invalid_utf8` / `malformed_json`    |
 * | payload fails the source's schema                  | 400    | `validation_failed` (with `issues`)  |
 * | payload has no event id                            | 400    | `missing_event_id`                   |
 * | `{source}:{event id}` too long for a key (2 048 B) | 400    | `invalid_event_id`                   |
 * | idempotency store unavailable                      | 503    | `idempotency_unavailable` (`Retry-After`) |
 * | same event being processed by another attempt      | 409    | `delivery_in_progress` (`Retry-After`) |
 *
 * (An unknown source is the router's 404: see `makeWebhookRouter`.)
 *
 * 401, not 403, for every signature refusal: the signature (with its signed timestamp) is the
 * delivery's only credential, so a delivery without a valid one — missing, malformed, not
 * matching, or too old or too new (a replay, or a sender clock too far off) — is
 * unauthenticated (RFC 9110 §15.5.2); 403 would mean "authenticated but not allowed", which no
 * delivery can be. Senders retry every non-2xx alike; the `code` says which check failed.
 *
 * Then exactly-once processing, keyed `{source}:{event id}` in the idempotency store:
 * - already completed: 200 `{ status: "already_processed", result }` with the stored summary,
 *   nothing processed again;
 * - claimed: the processor runs; success is stored and answered 200
 *   `{ status: "processed" | "ignored", events, detail? }`;
 * - the processor throws `WebhookPayloadError` (verified, schema-valid, but not actionable):
 *   400 `payload_rejected` with `issues`, and the claim is released, not stored as done.
 *   Storing the rejection would not stop the sender (it retries every non-2xx until its own
 *   window ends) and would turn a later fix of our schema into lost events; released, a retry
 *   after the fix is processed, and until then each retry costs one re-validation;
 * - the catalog enrichment queue refused items as invalid (`CatalogEnrichmentQueueError` with
 *   `invalid` items: characters SQS refuses, a message too large): 422 `enrichment_rejected` with
 *   an issue per refused item (`items.<index>`: the queue's error code), and the claim is
 *   released — like `payload_rejected`, a retry of the same batch would fail alike, while the
 *   same `batch_id`, fixed, is processed;
 * - any other failure releases the claim so the sender's retry is processed: 503
 *   `processing_timed_out` when processing was aborted (its own timeout, or the door's signal —
 *   the function URL's deadline — whichever fired first; what the processor threw then is a
 *   consequence of the abort), 503 `event_bus_unavailable` (publishing failed), 503
 *   `enrichment_queue_unavailable` (catalog items not queued: throttled, a server error), else
 *   500 `processing_failed`. A processor never partially acknowledges (see `WebhookProcessor`).
 *
 * An event id is refused (400 `invalid_event_id`) when `{source}:{id}` cannot be an idempotency
 * key: no retry can change it, so a 503 would have the sender retry it for days.
 *
 * Signature refusals that no secret could change (no signature, an unreadable one) are decided
 * before the secrets are loaded: junk costs no Secrets Manager call, and is answered 401 even
 * while the secrets store is down.
 */

import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { type WebhookSource, webhookLimits } from '@mangaassist/contracts';
import { EventPublishError } from '@mangaassist/events';
import {
  type ErrorIssue,
  errorResponse,
  type HttpEndpoint,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
  toIssues,
} from '@mangaassist/http';
import {
  assertIdempotencyKey,
  type IdempotencyStore,
  IdempotencyUnavailableError,
  type RunOnceResult,
  runOnce,
} from '@mangaassist/idempotency';
import type * as z from 'zod/mini';
import { CatalogEnrichmentQueueError } from '../processors/catalog-processor.js';
import { WebhookPayloadError } from '../processors/webhook-payload-error.js';
import type { SignatureScheme, SignatureVerdict } from '../signature-scheme.js';
import type { WebhookOutcome, WebhookProcessor } from '../webhook-processor.js';
import type { WebhookSecretProvider } from '../webhook-secret-provider.js';
import type { AcceptedSignature, EventIdSelector } from './event-id.js';

/** How one source is received: its scheme, payload schema, event id and processor. */
export interface WebhookSourceConfig<P> {
  readonly source: WebhookSource;
  readonly scheme: SignatureScheme;
  /** The payload's zod schema, checked after the signature. */
  readonly schema: z.ZodMiniType<P>;
  /** The event id of a schema-valid payload (see `payloadEventId`, `signedDeliveryId`). */
  readonly eventId: EventIdSelector<P>;
  readonly processor: WebhookProcessor<P>;
  /** Accepted distance of the signed timestamp from now, past or future. @default webhookLimits.toleranceSeconds (300) */
  readonly toleranceSeconds?: number;
  /** @default webhookLimits.maxBodyBytes (5 MiB) */
  readonly maxBodyBytes?: number;
}

/** What every source's receiver shares. */
export interface WebhookReceiverDependencies {
  readonly secrets: WebhookSecretProvider;
  readonly idempotency: IdempotencyStore;
  /** The current time, epoch milliseconds (the signed timestamps are checked against it). @default Date.now */
  readonly now?: () => number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * How long a claim blocks other attempts of the same event before a crashed attempt stops
   * blocking the sender's retries.
   * @default webhookLimits.inProgressTtlSeconds (60)
   */
  readonly inProgressSeconds?: number;
  /**
   * Longest a processor may run; then its signal aborts and the claim is released (503). Must be
   * shorter than the in-progress time, so a claim never runs out while its attempt still works —
   * which holds only if the processor hands its signal to everything it waits for (the model,
   * `EventPublisher.publish`).
   * @default 25_000 (under the function's 30 s timeout)
   */
  readonly processingTimeoutMs?: number;
  /** `Retry-After` of the retryable refusals (409, 503). @default 5 */
  readonly retryAfterSeconds?: number;
}

/** A source's receiver: a transport-neutral endpoint (`makeWebhookRouter` mounts several). */
export interface WebhookReceiver {
  readonly source: WebhookSource;
  readonly handle: HttpEndpoint;
}

/** A summary larger than this is stored without its `detail` (the store's limit is 16 KiB). */
const maxStoredSummaryBytes = 8 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Parsed<P> =
  | { readonly ok: true; readonly value: P }
  | { readonly ok: false; readonly response: HttpResponse };

/** Answers (and logs) a refusal. */
type Refuse = (
  status: number,
  code: string,
  message: string,
  extra?: {
    readonly fields?: Record<string, unknown>;
    readonly issues?: readonly ErrorIssue[];
    readonly headers?: Record<string, string>;
  },
) => HttpResponse;

/**
 * Builds the receiver of one source. Never throws for any request: every outcome is a response
 * (an unexpected processor error is a 500 JSON error, logged with its stack).
 *
 * Throws `RangeError` at construction when `processingTimeoutMs` is not shorter than the
 * in-progress time.
 *
 * @example
 * const receiver = makeWebhookReceiver(
 *   { source: 'stripe', scheme: signatureSchemes.stripe, schema: stripeEventSchema,
 *     eventId: payloadEventId('id'), processor: processStripeEvent },
 *   { secrets, idempotency, logger },
 * );
 * const response = await receiver.handle(request);
 */
export function makeWebhookReceiver<P>(
  config: WebhookSourceConfig<P>,
  dependencies: WebhookReceiverDependencies,
): WebhookReceiver {
  const { source, scheme, schema, eventId: selectEventId, processor } = config;
  const toleranceSeconds = config.toleranceSeconds ?? webhookLimits.toleranceSeconds;
  const maxBodyBytes = config.maxBodyBytes ?? webhookLimits.maxBodyBytes;
  const { secrets, idempotency } = dependencies;
  const now = dependencies.now ?? Date.now;
  const logger = dependencies.logger ?? silentLogger;
  const inProgressSeconds = dependencies.inProgressSeconds ?? webhookLimits.inProgressTtlSeconds;
  const processingTimeoutMs = dependencies.processingTimeoutMs ?? 25_000;
  const retryAfter = { 'retry-after': String(dependencies.retryAfterSeconds ?? 5) };
  if (processingTimeoutMs >= inProgressSeconds * 1_000) {
    throw new RangeError(
      `processingTimeoutMs (${processingTimeoutMs}) must be shorter than the in-progress time (${inProgressSeconds} s)`,
    );
  }

  const handle: HttpEndpoint = async (request, signal) => {
    const { requestId } = request;
    const refuse: Refuse = (status, code, message, extra = {}) => {
      logger.warn('webhook refused', { source, requestId, status, code, reason: message, ...extra.fields });
      return errorResponse(status, requestId, code, message, {
        ...(extra.issues ? { issues: extra.issues } : {}),
        ...(extra.headers ? { headers: extra.headers } : {}),
      });
    };
    const refuseSignature = (verdict: Extract<SignatureVerdict, { ok: false }>) =>
      refuse(401, verdict.reason, verdict.message);

    if (request.method.toUpperCase() !== 'POST') {
      return refuse(405, 'method_not_allowed', `Webhooks are delivered with POST, not ${request.method}.`, {
        headers: { allow: 'POST' },
      });
    }
    if (request.body.byteLength > maxBodyBytes) {
      return refuse(
        413,
        'payload_too_large',
        `The body is ${request.body.byteLength} bytes; the limit is ${maxBodyBytes}.`,
      );
    }

    const signed = {
      body: request.body,
      headers: request.headers,
      nowSeconds: Math.floor(now() / 1_000),
      toleranceSeconds,
    };
    const precheck = scheme.verify({ ...signed, secrets: [] });
    if (!precheck.ok && precheck.reason !== 'bad_signature') return refuseSignature(precheck);

    let active: readonly string[];
    try {
      active = await secrets.secrets(source);
    } catch (error) {
      logger.error('webhook secrets unavailable', { source, requestId, error: errorMessage(error) });
      return errorResponse(
        503,
        requestId,
        'webhook_secrets_unavailable',
        'The signing secrets cannot be read right now; retry later.',
        { headers: retryAfter },
      );
    }
    const verdict = scheme.verify({ ...signed, secrets: active });
    if (!verdict.ok) return refuseSignature(verdict);

    const parsed = parsePayload(request, schema, refuse);
    if (!parsed.ok) return parsed.response;
    const eventId = selectEventId(parsed.value, verdict);
    if (eventId === undefined || eventId === '') {
      return refuse(400, 'missing_event_id', 'The delivery carries no event id.');
    }
    return processOnce(request, parsed.value, eventId, verdict, signal, refuse);
  };

  async function processOnce(
    request: HttpRequest,
    payload: P,
    eventId: string,
    signature: AcceptedSignature,
    signal: AbortSignal | undefined,
    refuse: Refuse,
  ): Promise<HttpResponse> {
    const { requestId } = request;
    const key = `${source}:${eventId}`;
    const fields = {
      eventId,
      ...(signature.deliveryId !== undefined ? { deliveryId: signature.deliveryId } : {}),
    };

    try {
      assertIdempotencyKey(key);
    } catch (error) {
      return refuse(
        400,
        'invalid_event_id',
        `The event id cannot be an idempotency key: ${errorMessage(error)}.`,
        {
          fields: { eventIdLength: eventId.length },
        },
      );
    }

    // The processing budget starts with the processing (the claim is not part of it).
    let processing: { readonly signal: AbortSignal; readonly timeout: AbortSignal } | undefined;
    let run: RunOnceResult<WebhookOutcome>;
    try {
      run = await runOnce(
        idempotency,
        key,
        async () => {
          const timeout = AbortSignal.timeout(processingTimeoutMs);
          processing = { timeout, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
          const outcome = await processor(payload, { source, eventId, requestId, signal: processing.signal });
          return { value: outcome, summary: storedSummary(outcome) };
        },
        { inProgressSeconds, logger, label: 'webhook', logFields: { source, requestId } },
      );
    } catch (error) {
      if (error instanceof IdempotencyUnavailableError) {
        logger.error('idempotency store unavailable', {
          source,
          requestId,
          ...fields,
          error: errorMessage(error.cause),
        });
        return errorResponse(
          503,
          requestId,
          'idempotency_unavailable',
          'Deliveries cannot be deduplicated right now; retry later.',
          { headers: retryAfter },
        );
      }
      // The processing failed and its claim is released, so the sender's retry is processed.
      if (error instanceof WebhookPayloadError) {
        return refuse(400, 'payload_rejected', error.message, { fields, issues: error.issues });
      }
      if (processing?.signal.aborted) {
        logger.error('webhook processing aborted; released for the retry', {
          source,
          requestId,
          ...fields,
          cause: processing.timeout.aborted ? 'processing_timeout' : 'request_deadline',
          processingTimeoutMs,
        });
        return errorResponse(
          503,
          requestId,
          'processing_timed_out',
          'Processing took too long; retry later.',
          {
            headers: retryAfter,
          },
        );
      }
      if (error instanceof EventPublishError) {
        logger.error('webhook events not accepted by the bus; released for the retry', {
          source,
          requestId,
          ...fields,
          failed: error.failed.length,
          errorCodes: [...new Set(error.failed.map((failure) => failure.errorCode))],
        });
        return errorResponse(
          503,
          requestId,
          'event_bus_unavailable',
          'The events could not be published; retry later.',
          {
            headers: retryAfter,
          },
        );
      }
      if (error instanceof CatalogEnrichmentQueueError && error.invalid.length > 0) {
        const { invalid } = error;
        return refuse(
          422,
          'enrichment_rejected',
          `The enrichment queue refused ${invalid.length} item${invalid.length === 1 ? '' : 's'} as invalid ` +
            `(${[...new Set(invalid.map((refusal) => refusal.errorCode))].join(', ')}); ` +
            'retrying the same batch cannot succeed.',
          {
            fields: { ...fields, failed: error.failed.length },
            issues: invalid.map(({ message, errorCode }) => ({
              path: `items.${message.item_index}`,
              message: errorCode,
            })),
          },
        );
      }
      if (error instanceof CatalogEnrichmentQueueError) {
        logger.error('catalog items not accepted by the enrichment queue; released for the retry', {
          source,
          requestId,
          ...fields,
          failed: error.failed.length,
          errorCodes: [...new Set(error.failed.map((failure) => failure.errorCode))],
        });
        return errorResponse(
          503,
          requestId,
          'enrichment_queue_unavailable',
          'The items could not be queued for enrichment; retry later.',
          { headers: retryAfter },
        );
      }
      logger.error('webhook processing failed; released for the retry', {
        source,
        requestId,
        ...fields,
        error: error instanceof Error ? error.stack : String(error),
      });
      return errorResponse(
        500,
        requestId,
        'processing_failed',
        'The delivery could not be processed; retry later.',
      );
    }

    if (run.status === 'in_progress') {
      return refuse(
        409,
        'delivery_in_progress',
        'This event is being processed by another delivery; retry later.',
        {
          fields,
          headers: retryAfter,
        },
      );
    }
    if (run.status === 'duplicate') {
      logger.info('webhook duplicate answered from its first processing', { source, requestId, ...fields });
      return jsonResponse(200, requestId, {
        status: 'already_processed',
        source,
        event_id: eventId,
        result: run.summary,
      });
    }
    const outcome = run.value;
    logger.info('webhook processed', {
      source,
      requestId,
      ...fields,
      status: outcome.status,
      events: outcome.events,
    });
    return jsonResponse(200, requestId, {
      status: outcome.status,
      source,
      event_id: eventId,
      events: outcome.events,
      ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
    });
  }

  return { source, handle };
}

/** The body as the source's payload, or the 400 to answer. */
function parsePayload<P>(request: HttpRequest, schema: z.ZodMiniType<P>, refuse: Refuse): Parsed<P> {
  let text: string;
  try {
    text = utf8.decode(request.body);
  } catch {
    return { ok: false, response: refuse(400, 'invalid_utf8', 'The body is not valid UTF-8.') };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, response: refuse(400, 'malformed_json', 'The body is not valid JSON.') };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      response: refuse(400, 'validation_failed', 'The payload does not match the schema.', {
        issues: toIssues(parsed.error.issues),
      }),
    };
  }
  return { ok: true, value: parsed.data };
}

/** The outcome as stored for duplicates: without `detail` when that would make it too large. */
function storedSummary(outcome: WebhookOutcome): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    status: outcome.status,
    events: outcome.events,
    ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
  };
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(summary), 'utf8');
  } catch {
    bytes = Number.POSITIVE_INFINITY;
  }
  return bytes <= maxStoredSummaryBytes
    ? summary
    : { status: outcome.status, events: outcome.events, detail_omitted: true };
}
