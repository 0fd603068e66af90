import {
  type Clock,
  Deadline,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  untilAborted,
} from '@mangaassist/commons';
import {
  assertListLimit,
  type ConsumerModel,
  eventConsumersTenant,
  type ProductCatalogReader,
} from '@mangaassist/consumers';
import { busEvents, recommendationSegmentSchema, type SegmentRecommendations } from '@mangaassist/contracts';
import { type EventPublisher, withChainMetadata } from '@mangaassist/events';
import { AllModelsFailedError, type GatewayResult, isThrottleCode } from '@mangaassist/fm-gateway';
import * as z from 'zod/mini';
import {
  defaultRecommendationSegments,
  parseRecommendations,
  recommendationLimits,
  recommendationPrompt,
  segmentCandidates,
} from './recommendation-picks.js';
import type { RecommendationStore } from './recommendation-store.js';
import { recommendationStepErrors } from './recommendation-workflow.js';

/** A step failed in a way the state machine acts on: `name` is the ASL error it matches. */
export class RecommendationStepError extends Error {
  constructor(
    override readonly name: (typeof recommendationStepErrors)[keyof typeof recommendationStepErrors],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const runId = z.string().check(z.minLength(1), z.maxLength(80));
const segment = recommendationSegmentSchema;
/** Step Functions' `$$.Execution.StartTime` (ISO 8601, UTC). */
const instant = z.iso.datetime({ offset: true });

/** What one segment came to: its list (`generated`), an older run's (`stale`), or nothing. */
const segmentOutcomeSchema = z.object({
  segment,
  status: z.enum(['generated', 'stale', 'skipped', 'failed']),
  /** The ASL error of a failed segment, or why one was skipped. */
  error: z.optional(z.string()),
  reason: z.optional(z.string()),
});
export type SegmentOutcome = z.infer<typeof segmentOutcomeSchema>;

/** Each step's input, as its Task state's `Parameters` build it. */
export const recommendationStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), run_id: runId, started_at: instant }),
  z.object({ step: z.literal('recommend-segment'), segment, run_id: runId, generated_at: instant }),
  z.object({
    step: z.literal('summarize'),
    run_id: runId,
    results: z.array(segmentOutcomeSchema).check(z.maxLength(100)),
  }),
]);
export type RecommendationStepInput = z.infer<typeof recommendationStepInputSchema>;

export interface RecommendationStepsDependencies {
  readonly catalog: Pick<ProductCatalogReader, 'list'>;
  /** The FM gateway (`FmGateway`). */
  readonly model: ConsumerModel;
  readonly store: RecommendationStore;
  /** Where `Recommendation.Generated` goes. */
  readonly events: EventPublisher;
  /** Catalog key or alias. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of one segment's answer. @default 60 000 (the Task's limit is 120 s) */
  readonly deadlineMs?: number;
  /** Segment name -> its genre words. @default defaultRecommendationSegments */
  readonly segments?: Readonly<Record<string, readonly string[]>>;
  /** Products read per step, 1 to 1 000. @default 200 */
  readonly maxProducts?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Drives the model deadline. @default systemClock */
  readonly clock?: Clock;
}

/**
 * The recommendation workflow's steps, one function for every Task state (`step` in the input):
 *
 * - `plan`: reads up to `maxProducts` products and names the segments that have candidates, with
 *   the run's id (the execution's name) and time (its start, `generated_at` of every list).
 * - `recommend-segment`: reads the catalog again (states carry no product lists), asks the model
 *   for the segment's picks (one call, never answered from the response cache), keeps only
 *   candidate ids (`parseRecommendations`), stores the list unless a later run's is stored
 *   (`stale`), and announces a stored one (`Recommendation.Generated`, chain depth 1: a schedule
 *   starts a chain). A retry of the step that finds this run's list already stored (the
 *   announcement failed) announces that list without asking the model again; an announcement may
 *   so go out twice, each carrying the same list. A segment whose candidates vanished since `plan`
 *   is `skipped`.
 * - `summarize`: the run's outcome by segment; throws `NoSegmentRecommended` when segments failed
 *   and none got a list, so that the execution fails and its alarm fires.
 *
 * Errors are named for the state machine: `ModelThrottled` (every model refused for load),
 * `ModelUnavailable` (no fresh answer in time), `UnusableRecommendations` (an answer without a
 * candidate id, or not the JSON asked for), `StoreUnavailable`. Throws `RangeError` at
 * construction for `maxProducts` outside 1 to 1 000, and `TypeError` for input no state sends.
 */
export function makeRecommendationSteps(dependencies: RecommendationStepsDependencies) {
  const { catalog, model, store, events } = dependencies;
  const segments = dependencies.segments ?? defaultRecommendationSegments;
  const maxProducts = dependencies.maxProducts ?? recommendationLimits.maxProducts;
  const deadlineMs = dependencies.deadlineMs ?? 60_000;
  const logger = dependencies.logger ?? silentLogger;
  const picks = recommendationLimits.picksPerSegment;
  assertListLimit(maxProducts);

  async function products() {
    try {
      return await catalog.list(maxProducts);
    } catch (error) {
      throw new RecommendationStepError(
        recommendationStepErrors.storeUnavailable,
        'The product catalog could not be read.',
        { cause: error },
      );
    }
  }

  async function plan(runId: string, startedAt: string) {
    const candidates = segmentCandidates(await products(), segments);
    return {
      run_id: runId,
      generated_at: new Date(startedAt).toISOString(),
      segments: [...candidates.keys()],
    };
  }

  async function recommendSegment(name: string, runId: string, generatedAt: string): Promise<SegmentOutcome> {
    const words = segments[name];
    if (words === undefined) return { segment: name, status: 'skipped', reason: 'unknown-segment' };
    const candidates = segmentCandidates(await products(), { [name]: words });
    if (candidates.size === 0) return { segment: name, status: 'skipped', reason: 'no-candidates' };

    // A retry of this step (the list stored, then the announcement failed) announces what this
    // run stored instead of asking the model again.
    const stored = await current(name);
    if (stored !== undefined && Date.parse(stored.generated_at) === Date.parse(generatedAt)) {
      await announce(stored, runId);
      return { segment: name, status: 'generated' };
    }

    const result = await answer(name, runId, candidates);
    const parsed = parseRecommendations(result.text, candidates, picks);
    const productIds = parsed.ok ? parsed.picks.get(name) : undefined;
    if (productIds === undefined) {
      throw new RecommendationStepError(
        recommendationStepErrors.unusableAnswer,
        `The model's recommendations for ${name} cannot be used: ${parsed.ok ? 'no candidate id in the answer' : parsed.problem}.`,
      );
    }
    if (parsed.ok && parsed.unknownIds.length > 0) {
      logger.warn('recommendations: the model named ids that are not candidates', {
        runId,
        segment: name,
        unknownIds: parsed.unknownIds.slice(0, 20),
      });
    }
    const list: SegmentRecommendations = {
      segment: name,
      product_ids: [...productIds],
      model_id: result.modelId,
      generated_at: new Date(generatedAt).toISOString(),
    };
    if ((await put(list)) === 'stale') return { segment: name, status: 'stale' };
    await announce(list, runId);
    return { segment: name, status: 'generated' };
  }

  /**
   * The model's fresh answer for the segment. Every model refusing for load (thrown, or a
   * degraded answer after throttles only) is `ModelThrottled`; any other failure, a timeout or a
   * degraded answer is `ModelUnavailable`: a list is better late than an apology.
   */
  async function answer(name: string, runId: string, candidates: ReturnType<typeof segmentCandidates>) {
    const deadline = new Deadline(deadlineMs, { clock: dependencies.clock ?? systemClock });
    let result: GatewayResult;
    try {
      result = await untilAborted(
        model.complete(
          {
            tenantId: eventConsumersTenant,
            model: dependencies.modelKey ?? 'fast',
            system: 'You recommend manga for a Japanese manga store. You answer with JSON only.',
            messages: [{ role: 'user', content: recommendationPrompt(candidates, picks) }],
            maxTokens: 400,
            temperature: 0.3,
            requestId: `${runId}:${name}`,
            chain: { depth: 1, sourceEventId: runId },
            // Each run is a fresh regeneration; an unusable answer must not come back from the cache.
            useCache: false,
          },
          { signal: deadline.signal, deadlineMs },
        ),
        deadline.signal,
      );
    } catch (error) {
      const throttled = error instanceof AllModelsFailedError && error.kind === 'throttled';
      const why = deadline.expired ? `no answer within ${deadlineMs} ms` : errorMessage(error);
      throw new RecommendationStepError(
        throttled ? recommendationStepErrors.modelThrottled : recommendationStepErrors.modelUnavailable,
        `The model did not answer for ${name}: ${why}.`,
        { cause: error },
      );
    } finally {
      deadline.dispose();
    }
    if (result.degraded) {
      const failures = result.attempts.filter((attempt) => attempt.outcome === 'failed');
      const throttled =
        failures.length > 0 && failures.every((attempt) => isThrottleCode(attempt.error ?? ''));
      throw new RecommendationStepError(
        throttled ? recommendationStepErrors.modelThrottled : recommendationStepErrors.modelUnavailable,
        `No model answered for ${name} (${throttled ? 'throttled' : 'unavailable'}); the degraded answer is not used.`,
      );
    }
    return result;
  }

  async function current(name: string) {
    try {
      return await store.get(name);
    } catch (error) {
      throw new RecommendationStepError(
        recommendationStepErrors.storeUnavailable,
        'The recommendations table could not be read.',
        { cause: error },
      );
    }
  }

  async function put(list: SegmentRecommendations) {
    try {
      return await store.put(list);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      throw new RecommendationStepError(
        recommendationStepErrors.storeUnavailable,
        'The recommendations table could not be written.',
        { cause: error },
      );
    }
  }

  async function announce(list: SegmentRecommendations, runId: string) {
    const { source, detailType } = busEvents['Recommendation.Generated'];
    try {
      await events.publish([
        { source, detailType, detail: withChainMetadata({ ...list }, { depth: 1, sourceEventId: runId }) },
      ]);
    } catch (error) {
      throw new RecommendationStepError(
        recommendationStepErrors.storeUnavailable,
        'Recommendation.Generated could not be published.',
        { cause: error },
      );
    }
  }

  function summarize(runId: string, results: readonly SegmentOutcome[]) {
    const named = (status: SegmentOutcome['status']) =>
      results.filter((outcome) => outcome.status === status).map((outcome) => outcome.segment);
    const summary = {
      run_id: runId,
      generated: named('generated'),
      stale: named('stale'),
      skipped: named('skipped'),
      failed: named('failed'),
    };
    if (summary.failed.length > 0 && summary.generated.length + summary.stale.length === 0) {
      throw new RecommendationStepError(
        recommendationStepErrors.noSegmentRecommended,
        `No segment got recommendations; failed: ${summary.failed.join(', ')}.`,
      );
    }
    return summary;
  }

  return async (input: unknown): Promise<unknown> => {
    const parsed = recommendationStepInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new TypeError(`not a recommendation step input: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const step = parsed.data;
    switch (step.step) {
      case 'plan':
        return plan(step.run_id, step.started_at);
      case 'recommend-segment':
        return recommendSegment(step.segment, step.run_id, step.generated_at);
      case 'summarize':
        return summarize(step.run_id, step.results);
    }
  };
}
