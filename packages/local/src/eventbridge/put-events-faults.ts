import * as z from 'zod/mini';
import { type EventBridgeErrorName, eventBridgeErrorNames } from './eventbridge-errors.js';

/**
 * The error codes a `PutEventsResultEntry` reports (EventBridge API reference). The first two
 * are the ones a sender should retry.
 */
export const putEventsEntryErrorCodes = [
  'InternalFailure',
  'ThrottlingException',
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
] as const;

export type PutEventsEntryErrorCode = (typeof putEventsEntryErrorCodes)[number];

const limits = {
  count: z.optional(z.int().check(z.positive())).register(z.globalRegistry, {
    description: 'Fail at most this many, then the fault is spent; without it, until cleared.',
  }),
  rate: z
    ._default(z.number().check(z.minimum(0), z.maximum(1)), 1)
    .register(z.globalRegistry, { description: 'Probability that each candidate fails.' }),
  errorMessage: z.optional(z.string().check(z.maxLength(512))),
};

/**
 * A fault for single entries: valid entries (matching `source` / `detailType` when given) fail
 * in the PutEvents result with `errorCode`, while the rest of the request is accepted — a
 * partial failure, as EventBridge reports one.
 */
export const entryFaultSpecSchema = z.strictObject({
  scope: z._default(z.literal('entry'), 'entry'),
  errorCode: z._default(z.enum(putEventsEntryErrorCodes), 'InternalFailure'),
  source: z.optional(z.string().check(z.minLength(1))),
  detailType: z.optional(z.string().check(z.minLength(1))),
  ...limits,
});

/** A fault for whole requests: the call fails with `errorType` and nothing is accepted. */
export const requestFaultSpecSchema = z.strictObject({
  scope: z.literal('request'),
  errorType: z._default(z.enum(eventBridgeErrorNames), 'InternalException'),
  ...limits,
});

/** `POST /_local/eventbridge/faults` body: an entry fault (the default scope) or a request fault. */
export const putEventsFaultSpecSchema = z.union([requestFaultSpecSchema, entryFaultSpecSchema]);

export type EntryFaultSpec = z.input<typeof entryFaultSpecSchema>;
export type RequestFaultSpec = z.input<typeof requestFaultSpecSchema>;
export type PutEventsFaultSpec = z.input<typeof putEventsFaultSpecSchema>;

/** A fault as it stands: `remaining` counts down for a fault with a `count`. */
export type ActiveFault = z.output<typeof putEventsFaultSpecSchema> & { readonly remaining?: number };

interface Fault {
  readonly spec: z.output<typeof putEventsFaultSpecSchema>;
  remaining: number;
}

export interface EntryFailure {
  readonly errorCode: PutEventsEntryErrorCode;
  readonly errorMessage: string;
}

export interface RequestFailure {
  readonly errorType: EventBridgeErrorName;
  readonly message: string;
}

/**
 * Injected PutEvents failures, consulted in the order they were added: the first fault that
 * applies (and whose random draw fails) decides. A spent fault (its `count` used up) is removed.
 */
export class PutEventsFaults {
  readonly #faults: Fault[] = [];
  readonly #random: () => number;

  /** @param random Uniform in [0, 1), for fractional rates. @default Math.random */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** @throws $ZodError when the spec does not satisfy `putEventsFaultSpecSchema`. */
  add(spec: PutEventsFaultSpec): void {
    const parsed = putEventsFaultSpecSchema.parse(spec);
    this.#faults.push({ spec: parsed, remaining: parsed.count ?? Number.POSITIVE_INFINITY });
  }

  /** Fails the next `count` valid entries with `errorCode` (`InternalFailure` by default). */
  failNext(options: { readonly count: number } & Omit<EntryFaultSpec, 'count' | 'rate' | 'scope'>): void {
    this.add({ ...options, scope: 'entry' });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  list(): ActiveFault[] {
    return this.#faults.map(({ spec, remaining }) =>
      Number.isFinite(remaining) ? { ...spec, remaining } : { ...spec },
    );
  }

  /** Whether this request fails as a whole, and how. */
  requestFailure(): RequestFailure | undefined {
    const fault = this.#draw((spec) => spec.scope === 'request');
    if (fault?.scope !== 'request') return undefined;
    return {
      errorType: fault.errorType,
      message: fault.errorMessage ?? `${fault.errorType} (injected by the local EventBridge endpoint).`,
    };
  }

  /** Whether this otherwise valid entry fails, and how. */
  entryFailure(entry: { readonly source: string; readonly detailType: string }): EntryFailure | undefined {
    const fault = this.#draw(
      (spec) =>
        spec.scope === 'entry' &&
        (spec.source === undefined || spec.source === entry.source) &&
        (spec.detailType === undefined || spec.detailType === entry.detailType),
    );
    if (fault?.scope !== 'entry') return undefined;
    return {
      errorCode: fault.errorCode,
      errorMessage: fault.errorMessage ?? `${fault.errorCode} (injected by the local EventBridge endpoint).`,
    };
  }

  #draw(applies: (spec: Fault['spec']) => boolean): z.output<typeof putEventsFaultSpecSchema> | undefined {
    for (const fault of this.#faults) {
      if (!applies(fault.spec)) continue;
      if (fault.spec.rate < 1 && this.#random() >= fault.spec.rate) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.#faults.splice(this.#faults.indexOf(fault), 1);
      return fault.spec;
    }
    return undefined;
  }
}
