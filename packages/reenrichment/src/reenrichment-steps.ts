import { createHash } from 'node:crypto';
import { type Clock, errorMessage, type Logger, silentLogger, systemClock } from '@mangaassist/commons';
import {
  type CatalogProduct,
  type ConsumerModel,
  eventConsumersTenant,
  holdsLaterUpdate,
  modelAnswer,
  type ProductCatalogReader,
  type ProductStore,
  parseDescriptionAndTags,
  productDescriptionPrompt,
  TransientConsumerError,
} from '@mangaassist/consumers';
import {
  BatchAccessDeniedError,
  type BatchInference,
  BatchJobNotFoundError,
  BatchValidationError,
} from '@mangaassist/fm-gateway/batch';
import {
  BatchOutputLineError,
  type BatchRecordResult,
  batchInputLine,
  parseBatchOutputLine,
} from '@mangaassist/fm-gateway/bedrock-batch';
import * as z from 'zod/mini';
import { batchJobName, reenrichmentKeys } from './reenrichment-objects.js';
import { batchJobTimeoutHours, reenrichmentStepErrors } from './reenrichment-workflow.js';

/** The bucket the manifest, the batch files and the task tokens live in (the documents bucket). */
export interface ReenrichmentObjects {
  /** The object's bytes, or `undefined` when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes `start` to `end` (exclusive): fewer where the object ends; `undefined` when there is none. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  put(key: string, body: string | Uint8Array): Promise<void>;
}

/** A step's failure, named for the state machine's Retry and Catch. */
export class ReenrichmentStepError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ReenrichmentStepsDependencies {
  readonly catalog: Pick<ProductCatalogReader, 'page'>;
  readonly products: ProductStore;
  readonly objects: ReenrichmentObjects;
  /** The objects' bucket, as the Map's ItemReader and Bedrock name it. */
  readonly bucket: string;
  /** The FM gateway, for the on-demand path. */
  readonly model: ConsumerModel;
  /** Bedrock batch inference, for the batch path. */
  readonly batch: Pick<BatchInference, 'submit' | 'stop'>;
  /** The Bedrock id batch jobs run (the fast model's inference profile). */
  readonly batchModelId: string;
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly batchRoleArn: string;
  /** Deployment stage: batch job names start `mangaassist-<stage>-reenrich-`. */
  readonly stage: string;
  /**
   * A catalog of this many products or more is re-enriched by one batch job (Bedrock takes at
   * least 100 records per job). @default 1000
   */
  readonly batchThreshold?: number;
  /** The most products one run takes, on demand or in batch (a batch job takes 50 000 records). @default 50 000 */
  readonly maxProducts?: number;
  /** Output records applied per ApplyBatchResults step. @default 2000 */
  readonly applyPageSize?: number;
  /**
   * Bytes of the output one ApplyBatchResults step reads at most (a record is a few KB); a record
   * longer than this is read in a window grown to fit it. @default 8 MiB
   */
  readonly applyWindowBytes?: number;
  /** Catalog key or alias of the on-demand model. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of one on-demand answer. @default 20 000 */
  readonly deadlineMs?: number;
  /**
   * How long one `enrich-products` call starts new products; past it the call fails as
   * `ChildUnfinished` (retried: what it did is skipped then), well before the function's timeout.
   * @default 200 000
   */
  readonly childBudgetMs?: number;
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

const runId = z.string().check(z.minLength(1), z.maxLength(80));
const isoTime = z.iso.datetime({ offset: true });
const manifestProduct = z.object({
  product_id: z.string().check(z.minLength(1)),
  title: z.optional(z.string()),
  genre: z.optional(z.string()),
});
type ManifestProduct = z.output<typeof manifestProduct>;
const manifestSchema = z.array(manifestProduct);
const location = z.object({ bucket: z.string(), key: z.string() });
const batchFiles = z.object({ input_uri: z.string(), output_uri: z.string(), model_id: z.string() });
const applied = z.object({
  /** Where in the output file the next page starts, in bytes. */
  cursor: z.int().check(z.nonnegative()),
  done: z.boolean(),
  enriched: z.int(),
  skipped: z.int(),
  failed: z.int(),
});
type Applied = z.output<typeof applied>;
const enrichedCounts = z.object({ enriched: z.int(), skipped: z.int(), failed: z.int() });

/** What each Task state sends the steps function. */
export const reenrichmentStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), run_id: runId, started_at: isoTime }),
  z.object({
    step: z.literal('enrich-products'),
    run_id: runId,
    at: isoTime,
    products: z.array(manifestProduct).check(z.maxLength(100)),
  }),
  z.object({ step: z.literal('prepare-batch'), run_id: runId, manifest: location }),
  z.object({
    step: z.literal('submit-batch'),
    run_id: runId,
    task_token: z.string().check(z.minLength(1)),
    batch: batchFiles,
  }),
  z.object({ step: z.literal('stop-batch'), run_id: runId }),
  z.object({ step: z.literal('apply-batch'), run_id: runId, at: isoTime, output_file: z.string(), applied }),
  z.object({
    step: z.literal('summarize'),
    run_id: runId,
    outcome: z.object({
      count: z.int(),
      mode: z.string(),
      truncated: z.optional(z.boolean()),
      children: z.optional(z.array(z.unknown())),
      applied: z.optional(applied),
      batch_failure: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
    }),
  }),
]);
export type ReenrichmentStepInput = z.output<typeof reenrichmentStepInputSchema>;

/** Where a task token waits for its batch job's state change, by job name. */
export const batchTaskSchema = z.object({
  task_token: z.string(),
  run_id: runId,
  /** Recorded once Bedrock has taken the job: what `stop-batch` stops. */
  job_arn: z.optional(z.string()),
});
export type BatchTask = z.output<typeof batchTaskSchema>;

/**
 * The re-enrichment's steps, one function for every Lambda Task state (`step` in the input):
 *
 * - `plan`: reads the whole catalog page by page (at most `maxProducts`) into
 *   `reenrichment/<run>/manifest.json` and answers its location, the count, the run's position
 *   (`at`: the execution's start) and the mode (`batch` from `batchThreshold` products).
 * - `enrich-products`: one Map child's products, one at a time: skipped when the product already
 *   holds this run's content (a retried child) or content of a catalog update first seen after
 *   the run started; else the fast model's description and tags, written at the run's position.
 *   An unusable answer fails that product alone; a throttled model fails the child
 *   (`ModelThrottled`, retried: the products done are skipped then).
 * - `prepare-batch`: the batch input, one record per manifest product (`r<index>`), in the body the
 *   gateway would send, at `reenrichment/<run>/batch/input.jsonl`.
 * - `submit-batch`: records the state's task token under the job's name, then submits the job
 *   (idempotent on the run: a retry finds the job it started). Its state change completes the
 *   token (`completeBatchTask`).
 * - `apply-batch`: the next `applyPageSize` records of the output from its byte `cursor` (a ranged
 *   read: the output of 50 000 records is far more than a step should hold), written as
 *   `enrich-products` writes; a record Bedrock failed or an unusable answer counts as failed.
 * - `summarize`: the counts; `NothingEnriched` when products failed and none was enriched.
 */
export function makeReenrichmentSteps(dependencies: ReenrichmentStepsDependencies) {
  const { catalog, products, objects, bucket, batch, logger = silentLogger } = dependencies;
  const batchThreshold = dependencies.batchThreshold ?? 1_000;
  const maxProducts = dependencies.maxProducts ?? 50_000;
  const applyPageSize = dependencies.applyPageSize ?? 2_000;
  const applyWindowBytes = dependencies.applyWindowBytes ?? 8 * 1024 * 1024;
  const deadlineMs = dependencies.deadlineMs ?? 20_000;
  if (!Number.isSafeInteger(batchThreshold) || batchThreshold < 100) {
    throw new RangeError(
      `batchThreshold must be an integer of at least 100 (Bedrock's minimum), got ${batchThreshold}`,
    );
  }
  // Fails at construction for a stage too long for Bedrock's 63-character job names.
  batchJobName(dependencies.stage, 'probe');

  const unavailable = (what: string, error: unknown) =>
    new ReenrichmentStepError(reenrichmentStepErrors.storeUnavailable, `${what}: ${errorMessage(error)}`, {
      cause: error,
    });

  async function read(key: string): Promise<string> {
    let body: Uint8Array | undefined;
    try {
      body = await objects.get(key);
    } catch (error) {
      throw unavailable(`s3://${bucket}/${key} could not be read`, error);
    }
    if (body === undefined) throw new TypeError(`s3://${bucket}/${key} does not exist`);
    return new TextDecoder().decode(body);
  }

  async function readIfAny(key: string): Promise<string | undefined> {
    try {
      const body = await objects.get(key);
      return body === undefined ? undefined : new TextDecoder().decode(body);
    } catch (error) {
      throw unavailable(`s3://${bucket}/${key} could not be read`, error);
    }
  }

  async function write(key: string, body: string) {
    try {
      await objects.put(key, body);
    } catch (error) {
      throw unavailable(`s3://${bucket}/${key} could not be written`, error);
    }
  }

  async function manifestOf(runId: string): Promise<ManifestProduct[]> {
    return manifestSchema.parse(JSON.parse(await read(reenrichmentKeys.manifest(runId))));
  }

  async function plan(run: string, startedAt: string) {
    const listed: ManifestProduct[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await catalog.page(cursor, Math.min(1_000, maxProducts - listed.length));
        listed.push(...page.products.map(manifestEntry));
        cursor = page.cursor;
      } while (cursor !== undefined && listed.length < maxProducts);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      throw unavailable('the catalog could not be read', error);
    }
    const truncated = cursor !== undefined;
    if (truncated) {
      logger.warn('re-enrichment: the catalog holds more products than one run takes', { run, maxProducts });
    }
    const key = reenrichmentKeys.manifest(run);
    await write(key, JSON.stringify(listed));
    return {
      run_id: run,
      at: new Date(startedAt).toISOString(),
      count: listed.length,
      mode: listed.length >= batchThreshold ? 'batch' : 'on-demand',
      manifest: { bucket, key },
      // More products than one run takes: the rest are not in this run (see the summary).
      truncated,
    };
  }

  /** Whether the product needs this run's content: not written by it, nor by a later update. */
  async function needs(productId: string, run: string, at: string): Promise<boolean> {
    let stored: Awaited<ReturnType<ProductStore['get']>>;
    try {
      stored = await products.get(productId);
    } catch (error) {
      throw unavailable(`product ${productId} could not be read`, error);
    }
    if (stored?.ai?.sourceEventId === sourceOf(run)) return false;
    return !holdsLaterUpdate(stored, { at });
  }

  /** Writes an answer at the run's position; `false` when the answer cannot be used. */
  async function store(productId: string, run: string, at: string, text: string, modelId: string) {
    const answer = parseDescriptionAndTags(text);
    if (!answer.ok) {
      logger.warn('re-enrichment: unusable description', { run, productId, problem: answer.problem });
      return 'failed' as const;
    }
    try {
      const written = await products.putAiContent(productId, {
        description: answer.description,
        tags: answer.tags,
        model: modelId,
        updatedAt: at,
        sourceEventId: sourceOf(run),
      });
      return written === 'stale' ? ('skipped' as const) : ('enriched' as const);
    } catch (error) {
      throw unavailable(`product ${productId} could not be written`, error);
    }
  }

  async function enrichProducts(run: string, at: string, items: readonly ManifestProduct[]) {
    const counts = { enriched: 0, skipped: 0, failed: 0 };
    const clock = dependencies.clock ?? systemClock;
    const stopAt = clock.now() + (dependencies.childBudgetMs ?? 200_000);
    for (const item of items) {
      if (clock.now() >= stopAt) {
        throw new ReenrichmentStepError(
          reenrichmentStepErrors.childUnfinished,
          `${counts.enriched + counts.skipped + counts.failed} of ${items.length} products done within the child's budget; the retry does the rest.`,
        );
      }
      if (!(await needs(item.product_id, run, at))) {
        counts.skipped++;
        continue;
      }
      let result: Awaited<ReturnType<typeof modelAnswer>>;
      try {
        result = await modelAnswer(
          dependencies.model,
          {
            tenantId: eventConsumersTenant,
            model: dependencies.modelKey ?? 'fast',
            messages: [{ role: 'user', content: promptOf(item) }],
            maxTokens: 300,
            temperature: 0.6,
            requestId: `${run}:${item.product_id}`,
          },
          { deadlineMs, ...(dependencies.clock ? { clock: dependencies.clock } : {}) },
        );
      } catch (error) {
        if (!(error instanceof TransientConsumerError)) throw error;
        throw new ReenrichmentStepError(
          reenrichmentStepErrors.modelThrottled,
          `No model answered for ${item.product_id}: ${error.message}`,
          { cause: error },
        );
      }
      counts[await store(item.product_id, run, at, result.text, result.modelId)]++;
    }
    return counts;
  }

  async function prepareBatch(run: string) {
    const manifest = await manifestOf(run);
    const lines = manifest.map((item, index) =>
      batchInputLine(recordIdOf(index), {
        modelId: dependencies.batchModelId,
        messages: [{ role: 'user', content: promptOf(item) }],
        maxTokens: 300,
        temperature: 0.6,
      }),
    );
    const key = reenrichmentKeys.batchInput(run);
    await write(key, `${lines.join('\n')}\n`);
    return {
      input_uri: `s3://${bucket}/${key}`,
      output_uri: `s3://${bucket}/${reenrichmentKeys.batchOutput(run)}`,
      model_id: dependencies.batchModelId,
    };
  }

  async function submitBatch(run: string, taskToken: string, files: z.output<typeof batchFiles>) {
    const jobName = batchJobName(dependencies.stage, run);
    const task = reenrichmentKeys.batchTask(jobName);
    // The token first: the job's state change must find it, however fast the job ends.
    await write(task, JSON.stringify({ task_token: taskToken, run_id: run }));
    let submitted: string;
    try {
      const jobArn = await batch.submit({
        jobName,
        modelId: files.model_id,
        inputUri: files.input_uri,
        outputUri: files.output_uri,
        roleArn: dependencies.batchRoleArn,
        clientRequestToken: `reenrich-${digest(run, 40)}`,
        timeoutHours: batchJobTimeoutHours,
      });
      logger.info('re-enrichment: batch job submitted', { run, jobName, jobArn });
      submitted = jobArn;
    } catch (error) {
      // Refused for what it is: no retry helps, the on-demand Map runs instead. Anything else
      // (throttled, over quota, a server error) may pass on a retry.
      const refused = error instanceof BatchValidationError || error instanceof BatchAccessDeniedError;
      throw new ReenrichmentStepError(
        refused ? reenrichmentStepErrors.batchRejected : reenrichmentStepErrors.batchUnavailable,
        `Bedrock did not take the batch job ${jobName}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    // The job's ARN beside its token, for `stop-batch` should the run give up waiting.
    await write(task, JSON.stringify({ task_token: taskToken, run_id: run, job_arn: submitted }));
    return { job_arn: submitted };
  }

  /**
   * Stops the run's batch job, best effort (the run gave up waiting for it and enriches on demand):
   * a job already over, or one never recorded, is left alone.
   */
  async function stopBatch(run: string) {
    const recorded = batchTaskSchema.safeParse(
      JSON.parse(
        (await readIfAny(reenrichmentKeys.batchTask(batchJobName(dependencies.stage, run)))) ?? '{}',
      ),
    );
    const jobArn = recorded.success ? recorded.data.job_arn : undefined;
    if (jobArn === undefined) return { stopped: false };
    try {
      await batch.stop(jobArn);
    } catch (error) {
      if (error instanceof BatchValidationError || error instanceof BatchJobNotFoundError)
        return { stopped: false };
      throw unavailable(`the batch job ${jobArn} could not be stopped`, error);
    }
    logger.warn('re-enrichment: batch job stopped; the run enriches on demand', { run, jobArn });
    return { stopped: true, job_arn: jobArn };
  }

  /**
   * The next page of the output from byte `cursor` on: at most `applyPageSize` whole lines, read
   * in a window of `applyWindowBytes` (grown for a longer line), never the whole file. `next` is
   * the byte after the last line taken; `done` once nothing follows it.
   */
  async function outputPage(key: string, cursor: number) {
    for (let window = applyWindowBytes; ; window *= 2) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await objects.getRange(key, cursor, cursor + window);
      } catch (error) {
        throw unavailable(`s3://${bucket}/${key} could not be read`, error);
      }
      if (bytes === undefined) throw new TypeError(`s3://${bucket}/${key} does not exist`);
      const page = linesOf(bytes, bytes.length < window, applyPageSize);
      if (page.lines.length > 0 || bytes.length < window) {
        return {
          lines: page.lines,
          next: cursor + page.consumed,
          done: page.rest === 0 && bytes.length < window,
        };
      }
    }
  }

  async function applyBatch(run: string, at: string, outputFile: string, so: Applied): Promise<Applied> {
    const prefix = `s3://${bucket}/`;
    if (!outputFile.startsWith(prefix)) throw new TypeError(`${outputFile} is not in s3://${bucket}`);
    const [manifest, page] = await Promise.all([
      manifestOf(run),
      outputPage(outputFile.slice(prefix.length), so.cursor),
    ]);
    const counts = { enriched: so.enriched, skipped: so.skipped, failed: so.failed };
    for (const line of page.lines) {
      const result = readOutputLine(line);
      const item = result === undefined ? undefined : manifest[indexOfRecord(result.recordId)];
      if (result === undefined || item === undefined || 'error' in result) {
        counts.failed++;
        continue;
      }
      if (!(await needs(item.product_id, run, at))) {
        counts.skipped++;
        continue;
      }
      counts[await store(item.product_id, run, at, result.text, dependencies.batchModelId)]++;
    }
    return { cursor: page.next, done: page.done, ...counts };
  }

  function summarize(run: string, outcome: Extract<ReenrichmentStepInput, { step: 'summarize' }>['outcome']) {
    const children = (outcome.children ?? []).map((child) => enrichedCounts.safeParse(child));
    const fromChildren = children.reduce(
      (sum, child) =>
        child.success
          ? {
              enriched: sum.enriched + child.data.enriched,
              skipped: sum.skipped + child.data.skipped,
              failed: sum.failed + child.data.failed,
            }
          : sum,
      { enriched: 0, skipped: 0, failed: 0 },
    );
    const counts = outcome.applied ?? fromChildren;
    const summary = {
      run_id: run,
      mode: outcome.applied ? 'batch' : 'on-demand',
      products: outcome.count,
      enriched: counts.enriched,
      skipped: counts.skipped,
      failed: counts.failed,
      failed_children: children.filter((child) => !child.success).length,
      ...(outcome.truncated ? { truncated: true } : {}),
      ...(outcome.batch_failure ? { batch_failure: outcome.batch_failure.Error ?? 'unknown' } : {}),
    };
    if (summary.enriched === 0 && summary.skipped === 0 && summary.failed + summary.failed_children > 0) {
      throw new ReenrichmentStepError(
        reenrichmentStepErrors.nothingEnriched,
        `No product was enriched: ${summary.failed} products and ${summary.failed_children} children failed.`,
      );
    }
    logger.info('re-enrichment finished', summary);
    return summary;
  }

  return async (input: unknown): Promise<unknown> => {
    const parsed = reenrichmentStepInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new TypeError(`not a re-enrichment step input: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const step = parsed.data;
    switch (step.step) {
      case 'plan':
        return plan(step.run_id, step.started_at);
      case 'enrich-products':
        return enrichProducts(step.run_id, new Date(step.at).toISOString(), step.products);
      case 'prepare-batch':
        return prepareBatch(step.run_id);
      case 'submit-batch':
        return submitBatch(step.run_id, step.task_token, step.batch);
      case 'stop-batch':
        return stopBatch(step.run_id);
      case 'apply-batch':
        return applyBatch(step.run_id, new Date(step.at).toISOString(), step.output_file, step.applied);
      case 'summarize':
        return summarize(step.run_id, step.outcome);
    }
  };
}

/** The `sourceEventId` a run writes its content under. */
function sourceOf(run: string): string {
  return `reenrichment:${run}`;
}

function manifestEntry(product: CatalogProduct): ManifestProduct {
  return {
    product_id: product.productId,
    ...(product.title === undefined ? {} : { title: product.title }),
    ...(product.genre === undefined ? {} : { genre: product.genre }),
  };
}

function promptOf(item: ManifestProduct): string {
  return productDescriptionPrompt({
    title: item.title ?? item.product_id,
    data: item.genre === undefined ? {} : { genre: item.genre },
  });
}

const newline = 0x0a;

/**
 * Up to `max` non-blank lines of `bytes` (UTF-8: a newline byte is never inside a character):
 * whole lines only, and the last unterminated one too when `atEnd`. `consumed` counts the bytes
 * of the lines taken and of the blank lines among them; `rest` the bytes left after them.
 */
function linesOf(bytes: Uint8Array, atEnd: boolean, max: number) {
  const decoder = new TextDecoder();
  const lines: string[] = [];
  let start = 0;
  while (lines.length < max && start < bytes.length) {
    const found = bytes.indexOf(newline, start);
    if (found === -1 && !atEnd) break;
    const end = found === -1 ? bytes.length : found;
    const line = decoder.decode(bytes.subarray(start, end));
    if (line.trim() !== '') lines.push(line);
    start = found === -1 ? bytes.length : found + 1;
  }
  return { lines, consumed: start, rest: bytes.length - start };
}

/** One record of the output, or `undefined` for a line that is not one (counted as failed). */
function readOutputLine(line: string): BatchRecordResult | undefined {
  try {
    return parseBatchOutputLine(line);
  } catch (error) {
    if (error instanceof BatchOutputLineError) return undefined;
    throw error;
  }
}

/** `r` and the manifest index in 10 digits: 11 letters and digits, as Bedrock's record ids. */
function recordIdOf(index: number): string {
  return `r${String(index).padStart(10, '0')}`;
}

function indexOfRecord(recordId: string): number {
  return /^r\d{10}$/.test(recordId) ? Number(recordId.slice(1)) : -1;
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
