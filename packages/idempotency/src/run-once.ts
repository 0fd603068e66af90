import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { IdempotencyStore } from './idempotency-store.js';

/** What `work` hands back: its result, and the summary a duplicate is later answered with. */
export interface OnceOutcome<T> {
  readonly value: T;
  /** Stored with the completed claim; a summary the store refuses (too large) is cut to its `status`. */
  readonly summary: Readonly<Record<string, unknown>>;
}

/** What `runOnce` did with the key. */
export type RunOnceResult<T> =
  /** This call did the work (its outcome stored, or the failure to store it logged). */
  | { readonly status: 'done'; readonly value: T }
  /** Done before: nothing ran; the first run's summary. */
  | { readonly status: 'duplicate'; readonly summary: Readonly<Record<string, unknown>> }
  /** Another attempt holds the claim right now: nothing ran; retry later. */
  | { readonly status: 'in_progress' };

export interface RunOnceOptions {
  /** How long the claim holds before a crashed attempt stops blocking the retries. */
  readonly inProgressSeconds: number;
  /** Where failures to complete or release the claim are logged. @default silentLogger */
  readonly logger?: Logger;
  /** Begins those log messages, e.g. `'webhook'` or `'event consumer:'`. @default 'work' */
  readonly label?: string;
  /** Added to those logs (request id, source, …). */
  readonly logFields?: Readonly<Record<string, unknown>>;
}

/** The idempotency store could not be asked (claim failed): nothing ran. */
export class IdempotencyUnavailableError extends Error {
  override readonly name = 'IdempotencyUnavailableError';

  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`could not claim ${key}: ${errorMessage(cause)}`, { cause });
  }
}

/**
 * Runs `work` at most once per `key` across concurrent attempts and instances: claims the key,
 * runs `work`, stores its summary; a key done before answers `duplicate` with the stored summary,
 * one claimed by another attempt `in_progress` (both without running anything).
 *
 * Failure semantics: a claim that cannot be taken throws `IdempotencyUnavailableError` (nothing
 * ran). When `work` throws, the claim is released, so a retry runs it, and the error is rethrown
 * (a work whose failures are final returns them as an outcome instead, to be recorded). Once the
 * work is done, storing its outcome never fails the call — retrying would do the work twice — so
 * a failed completion, or a claim that lapsed meanwhile, is logged and the result is `done`.
 *
 * @example
 * const result = await runOnce(store, `stripe:${event.id}`, async () => {
 *   const events = await publish(event);
 *   return { value: events, summary: { status: 'processed', events } };
 * }, { inProgressSeconds: 60, logger, label: 'webhook' });
 */
export async function runOnce<T>(
  store: IdempotencyStore,
  key: string,
  work: () => Promise<OnceOutcome<T>>,
  options: RunOnceOptions,
): Promise<RunOnceResult<T>> {
  const logger = options.logger ?? silentLogger;
  const label = options.label ?? 'work';
  const fields = { ...options.logFields, key };
  let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
  try {
    claim = await store.claim(key, { inProgressSeconds: options.inProgressSeconds });
  } catch (error) {
    throw new IdempotencyUnavailableError(key, error);
  }
  if (claim.status === 'completed') return { status: 'duplicate', summary: claim.summary };
  if (claim.status === 'in_progress') return { status: 'in_progress' };

  const { token } = claim;
  let outcome: OnceOutcome<T>;
  try {
    outcome = await work();
  } catch (error) {
    try {
      await store.release(key, token);
    } catch (releaseError) {
      // The claim lapses after inProgressSeconds; until then a retry is told in_progress.
      logger.error(`${label} claim not released; retries wait for it to lapse`, {
        ...fields,
        error: errorMessage(releaseError),
      });
    }
    throw error;
  }
  try {
    const stored = await completeWithFallback(store, key, token, outcome.summary);
    if (stored === 'claim_lost') {
      logger.warn(`${label} claim lapsed before completion; a retry may process it again`, fields);
    }
  } catch (error) {
    logger.error(`${label} completion not stored; a retry may process it again`, {
      ...fields,
      error: errorMessage(error),
    });
  }
  return { status: 'done', value: outcome.value };
}

/** Completes the claim; a summary the store cannot take (too large, not JSON) is cut to its status. */
async function completeWithFallback(
  store: IdempotencyStore,
  key: string,
  token: string,
  summary: Readonly<Record<string, unknown>>,
): ReturnType<IdempotencyStore['complete']> {
  try {
    return await store.complete(key, token, summary);
  } catch (error) {
    if (!(error instanceof RangeError) && !(error instanceof TypeError)) throw error;
    return store.complete(key, token, { status: summary.status, summary: 'omitted: too large' });
  }
}
