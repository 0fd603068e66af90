import { EventBridgeServiceError } from './eventbridge-errors.js';
import type { JsonObject, LocalEventBus } from './local-event-bus.js';
import type { PutEventsFaults } from './put-events-faults.js';

/** PutEvents quotas as this endpoint enforces them. */
export const putEventsQuotas = {
  maxEntries: 10,
  /** Entry sizes summed over the request (EventBridge's size rule); the platform batches to it. */
  maxRequestBytes: 256 * 1024,
} as const;

/** One result per request entry, in request order: an id, or why the entry was not accepted. */
export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

export interface PutEventsResponse {
  readonly FailedEntryCount: number;
  readonly Entries: readonly PutEventsResultEntry[];
}

export interface PutEventsContext {
  readonly bus: LocalEventBus;
  readonly faults: PutEventsFaults;
  /** The region the request was signed for. */
  readonly region: string;
  /** @default putEventsQuotas.maxRequestBytes */
  readonly maxRequestBytes?: number;
}

const bytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);

/**
 * An entry's size by EventBridge's rule ("Calculating PutEvents event entry size"): UTF-8 bytes
 * of Source, DetailType, Detail and each Resources item, plus 14 when Time is set.
 */
export function requestEntrySize(entry: Readonly<Record<string, unknown>>): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce((sum: number, resource: unknown) => sum + bytes(resource), 0)
  );
}

const validation = (message: string) =>
  new EventBridgeServiceError('ValidationException', `1 validation error detected: ${message}`);

/**
 * Serves one `AWSEvents.PutEvents` request body as EventBridge does.
 *
 * Whole-request errors (thrown as `EventBridgeServiceError`): a body that is not a JSON object
 * (`SerializationException`), `Entries` missing, empty or over 10 entries, or entries over the
 * size limit together (`ValidationException`), a closed bus (`ServiceUnavailableException`, 503:
 * the local runtime is shutting down), or an injected request fault. Otherwise each
 * entry is judged alone, in order: Source, DetailType and Detail are required (`InvalidArgument`),
 * Detail must be a JSON object (`MalformedDetail`), then injected entry faults apply; the rest
 * go on the bus. `FailedEntryCount` counts the entries that did not.
 */
export function putEvents(body: unknown, context: PutEventsContext): PutEventsResponse {
  if (!isRecord(body)) {
    throw new EventBridgeServiceError('SerializationException', 'The request body is not a JSON object.');
  }
  const entries = body.Entries;
  if (entries === undefined || entries === null) {
    throw validation("Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (!Array.isArray(entries) || !entries.every(isRecord)) {
    throw new EventBridgeServiceError('SerializationException', 'Entries must be a list of structures.');
  }
  if (entries.length < 1) {
    throw validation(
      "Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (entries.length > putEventsQuotas.maxEntries) {
    throw validation(
      `Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${putEventsQuotas.maxEntries}`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + requestEntrySize(entry), 0);
  if (total > (context.maxRequestBytes ?? putEventsQuotas.maxRequestBytes)) {
    throw new EventBridgeServiceError(
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  }
  if (context.bus.closed) {
    throw new EventBridgeServiceError('ServiceUnavailableException', 'The local event bus is closed.');
  }
  const requestFault = context.faults.requestFailure();
  if (requestFault) throw new EventBridgeServiceError(requestFault.errorType, requestFault.message);

  const results = entries.map((entry) => putEntry(entry, context));
  return {
    FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
    Entries: results,
  };
}

function putEntry(entry: Readonly<Record<string, unknown>>, context: PutEventsContext): PutEventsResultEntry {
  const { Source: source, DetailType: detailType, Detail: detail } = entry;
  if (!isText(source)) return missing('Source');
  if (!isText(detailType)) return missing('DetailType');
  if (!isText(detail)) return missing('Detail');
  const parsed = parseObject(detail);
  if (!parsed) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const time = parseTime(entry.Time);
  if (time === 'invalid') return invalid('Time', 'Time is not a valid timestamp.');
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((resource) => typeof resource === 'string')) {
    return invalid('Resources', 'Resources must be a list of strings.');
  }

  const fault = context.faults.entryFailure({ source, detailType });
  if (fault) return { ErrorCode: fault.errorCode, ErrorMessage: fault.errorMessage };

  const event = context.bus.put({
    eventBusName: busName(entry.EventBusName),
    source,
    detailType,
    detail: parsed,
    resources,
    region: context.region,
    ...(time === undefined ? {} : { time }),
  });
  return { EventId: event.id };
}

const missing = (field: string): PutEventsResultEntry => invalid(field, `${field} is a required argument.`);

const invalid = (field: string, reason: string): PutEventsResultEntry => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
});

/** A bus name, or the name in a bus ARN (`arn:aws:events:…:event-bus/<name>`). */
function busName(value: unknown): string {
  if (!isText(value)) return 'default';
  const arn = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(value);
  return arn?.[1] ?? value;
}

/** The SDK sends Time as epoch seconds (AWS JSON 1.1); an ISO string is tolerated. */
function parseTime(value: unknown): Date | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  const date =
    typeof value === 'number'
      ? new Date(value * 1000)
      : typeof value === 'string'
        ? new Date(value)
        : undefined;
  return date === undefined || Number.isNaN(date.getTime()) ? 'invalid' : date;
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
