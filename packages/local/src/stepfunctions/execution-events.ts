import { truncateUtf8, utf8ByteLength } from '@mangaassist/commons';
import type { StateMachine } from 'aws-local-stepfunctions';

/** An event of aws-local-stepfunctions' execution log (its type is not exported). */
export type LibraryEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

/** A payload too large for the listing: its size and the start of its JSON text. */
export interface TruncatedPayload {
  readonly truncated: true;
  /** UTF-8 bytes of the whole JSON text. */
  readonly bytes: number;
  readonly preview: string;
}

/**
 * One step of an execution as `GET /_local/executions` lists it. `type` is the library's event
 * type: `ExecutionStarted|Succeeded|Failed|Aborted|Timeout`, `StateEntered|Exited|Failed|Retried|
 * Caught`, `MapIterationStarted|Succeeded|Failed`, `ParallelBranchStarted|Succeeded|Failed`.
 */
export interface ListedExecutionEvent {
  readonly type: string;
  /** ISO 8601, when the event was recorded. */
  readonly time: string;
  /** The state the event is about; for a Map iteration or Parallel branch, the Map or Parallel. */
  readonly state?: string;
  readonly stateType?: string;
  /** The Map iteration the event belongs to (an index into the Map's items). */
  readonly mapIndex?: number;
  /** On `ExecutionStarted` and `StateEntered`; truncated (`TruncatedPayload`) when large. */
  readonly input?: unknown;
  /** On `ExecutionSucceeded` and `StateExited`; truncated (`TruncatedPayload`) when large. */
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** On `StateRetried`: which retry this is for its retrier (1 for the first). */
  readonly attempt?: number;
  /** On `StateCaught`: the catcher's Next state. */
  readonly next?: string;
}

/** `value`, or a `TruncatedPayload` when its JSON text is over `maxBytes`. */
export function payloadForListing(value: unknown, maxBytes: number): unknown {
  const text = JSON.stringify(value) ?? 'null';
  const bytes = utf8ByteLength(text);
  if (bytes <= maxBytes) return value;
  const truncated: TruncatedPayload = { truncated: true, bytes, preview: truncateUtf8(text, maxBytes) };
  return truncated;
}

/** `text` cut to `maxBytes` of UTF-8, marked with an ellipsis when cut. */
export function textForListing(text: string, maxBytes: number): string {
  const kept = truncateUtf8(text, maxBytes);
  return kept === text ? text : `${kept}…`;
}

/**
 * The listing form of a library event: the state's input only where it is entered, the output
 * where it is left (the library repeats the input on every state event, and the whole Map input
 * on every iteration event), payloads and causes cut to `maxPayloadBytes`.
 */
export function listedEvent(
  event: LibraryEvent,
  time: string,
  maxPayloadBytes: number,
): ListedExecutionEvent {
  const payload = (value: unknown) => payloadForListing(value, maxPayloadBytes);
  const failure = (error: string, cause: unknown) => ({
    error,
    cause: textForListing(typeof cause === 'string' ? cause : (JSON.stringify(cause) ?? ''), maxPayloadBytes),
  });
  const { type } = event;
  switch (event.type) {
    case 'ExecutionStarted':
      return { type, time, input: payload(event.input) };
    case 'ExecutionSucceeded':
      return { type, time, output: payload(event.output) };
    case 'ExecutionFailed':
      return { type, time, ...failure(event.Error, event.Cause) };
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
      return { type, time };
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
      return { type, time, state: event.parentState.name, stateType: 'Map', mapIndex: event.index };
    case 'MapIterationFailed':
      return {
        type,
        time,
        state: event.parentState.name,
        stateType: 'Map',
        mapIndex: event.index,
        ...failure(event.Error, event.Cause),
      };
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
      return { type, time, state: event.parentState.name, stateType: 'Parallel' };
    case 'ParallelBranchFailed':
      return {
        type,
        time,
        state: event.parentState.name,
        stateType: 'Parallel',
        ...failure(event.Error, event.Cause),
      };
    default: {
      const state = {
        type,
        time,
        state: event.state.name,
        stateType: event.state.type,
        mapIndex: event.index,
      };
      switch (event.type) {
        case 'StateEntered':
          return { ...state, input: payload(event.state.input) };
        case 'StateExited':
          return { ...state, output: payload(event.state.output) };
        case 'StateFailed':
          return { ...state, ...failure(event.Error, event.Cause) };
        case 'StateRetried':
          return { ...state, attempt: event.retry.attempt };
        case 'StateCaught':
          return { ...state, next: event.catch.catcher.Next };
      }
    }
  }
}

/**
 * An execution's events, bounded: the first half of `maxEvents` and the latest half are kept
 * (how it started, and how it ended or where it is now), those between only counted.
 */
export class BoundedEventLog {
  readonly #head: ListedExecutionEvent[] = [];
  readonly #tail: ListedExecutionEvent[] = [];
  readonly #headSize: number;
  readonly #tailSize: number;
  #dropped = 0;

  constructor(maxEvents: number) {
    this.#headSize = Math.ceil(maxEvents / 2);
    this.#tailSize = maxEvents - this.#headSize;
  }

  add(event: ListedExecutionEvent): void {
    if (this.#head.length < this.#headSize) {
      this.#head.push(event);
      return;
    }
    this.#tail.push(event);
    if (this.#tail.length > this.#tailSize) {
      this.#tail.shift();
      this.#dropped++;
    }
  }

  /** Oldest first. */
  events(): ListedExecutionEvent[] {
    return [...this.#head, ...this.#tail];
  }

  /** Events recorded but no longer kept. */
  get dropped(): number {
    return this.#dropped;
  }
}
