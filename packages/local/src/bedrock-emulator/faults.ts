import * as z from 'zod/mini';
import { type BedrockErrorName, bedrockErrorNames } from './errors.js';

/** Error names a fault may inject: every Bedrock Runtime error, plus the mid-stream one. */
export const faultErrorNames = [...bedrockErrorNames, 'ModelStreamErrorException'] as const;

export type FaultErrorName = BedrockErrorName | 'ModelStreamErrorException';

const delayMs = z.int().check(z.minimum(0), z.maximum(600_000));

/**
 * Body of `POST /_local/bedrock/faults`: make matching requests fail and/or slow down.
 * `region` matches the SigV4 scope exactly, `model` is a substring of the model id, `match` a
 * case-sensitive substring of the prompt (system text or any turn, as scripts match); a fault
 * with none of them matches every request. `match` can single out one record of a batch job.
 * `rate` defaults to 1.
 */
export const faultSpecSchema = z
  .strictObject({
    region: z.optional(z.string().check(z.minLength(1))),
    model: z.optional(z.string().check(z.minLength(1))),
    match: z.optional(z.string().check(z.minLength(1))),
    error: z.optional(z.enum(faultErrorNames)),
    rate: z._default(z.number().check(z.minimum(0), z.maximum(1)), 1),
    ttftMs: z.optional(delayMs),
    tokenDelayMs: z.optional(delayMs),
  })
  .check(
    z.refine(
      (fault) => fault.error !== undefined || fault.ttftMs !== undefined || fault.tokenDelayMs !== undefined,
      {
        message: 'A fault needs an error, ttftMs or tokenDelayMs.',
      },
    ),
  );

/** A fault as callers write it (`rate` may be left out). */
export type FaultSpec = z.input<typeof faultSpecSchema>;

/** What the faults decide for one request. */
export interface FaultPlan {
  readonly error: FaultErrorName | undefined;
  /** Delay before the first token (streams) or the whole response. */
  readonly ttftMs: number;
  /** Delay between stream deltas. */
  readonly tokenDelayMs: number;
}

/** What a fault is matched against. */
export interface FaultTarget {
  readonly region: string;
  readonly modelId: string;
  /** Everything the model reads (`fullPromptText`); without it, faults with `match` never apply. */
  readonly promptText?: string;
}

export interface LatencyDefaults {
  readonly ttftMs?: number;
  readonly tokenDelayMs?: number;
}

/**
 * The active faults. Each matching fault with an error fires with probability `rate`, checked
 * in the order they were added; the first that fires wins. A `rate` of 0 or 1 never draws from
 * the random source, so scripted random sequences only advance for fractional rates.
 * Latency from every matching fault and the defaults combines by taking the largest.
 */
export class FaultBook {
  private faults: z.output<typeof faultSpecSchema>[] = [];

  constructor(
    private readonly random: () => number,
    private readonly defaults: LatencyDefaults = {},
  ) {}

  /** @throws $ZodError when the spec is invalid. */
  add(spec: FaultSpec): void {
    this.faults.push(faultSpecSchema.parse(spec));
  }

  clear(): void {
    this.faults = [];
  }

  list(): FaultSpec[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  plan(target: FaultTarget): FaultPlan {
    const matching = this.faults.filter((fault) => matches(fault, target));
    const firing = matching.find((fault) => fault.error !== undefined && this.fires(fault.rate));
    return {
      error: firing?.error,
      ttftMs: Math.max(this.defaults.ttftMs ?? 0, ...matching.map((fault) => fault.ttftMs ?? 0)),
      tokenDelayMs: Math.max(
        this.defaults.tokenDelayMs ?? 0,
        ...matching.map((fault) => fault.tokenDelayMs ?? 0),
      ),
    };
  }

  private fires(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.random() < rate;
  }
}

function matches(fault: FaultSpec, target: FaultTarget): boolean {
  const regionMatches = fault.region === undefined || fault.region.toLowerCase() === target.region;
  const modelMatches =
    fault.model === undefined || target.modelId.toLowerCase().includes(fault.model.toLowerCase());
  const promptMatches = fault.match === undefined || target.promptText?.includes(fault.match) === true;
  return regionMatches && modelMatches && promptMatches;
}
