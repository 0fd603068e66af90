import { toUsageJson } from '@mangaassist/chat';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { addTraceAnnotations, withTraceAnnotations } from '@mangaassist/commons/tracing';
import { type JobType, jobIdSchema, jobLimits } from '@mangaassist/contracts';
import {
  AllModelsFailedError,
  type FmGateway,
  fallbackLadder,
  GatewayTimeoutError,
  type ModelCatalog,
  ModelRequestRejectedError,
  resolveModelKey,
  TextRejectedError,
  validateUserText,
} from '@mangaassist/fm-gateway';
import type { TenantBudget } from '@mangaassist/tenants';
import * as z from 'zod/mini';
import { chunkText } from '../chunking/chunk-text.js';
import { type DocumentStore, DocumentStoreUnavailableError, documentKeys } from '../document-store.js';
import type { JobRecord } from '../job.js';
import { type JobStore, JobStoreUnavailableError } from '../job-store.js';
import { jobStepErrors } from './job-workflow.js';

/** A step failed in a way the state machine acts on: `name` is the ASL error it matches. */
export class JobStepError extends Error {
  constructor(
    override readonly name: (typeof jobStepErrors)[keyof typeof jobStepErrors],
    message: string,
  ) {
    super(message);
  }
}

/** Tokens and cost summed over a job's model calls, as the states carry them. */
export const jobUsageSchema = z.object({
  input_tokens: z.int().check(z.nonnegative()),
  output_tokens: z.int().check(z.nonnegative()),
  cache_read_input_tokens: z.int().check(z.nonnegative()),
  cache_write_input_tokens: z.int().check(z.nonnegative()),
  cost_usd: z.number().check(z.nonnegative()),
});

export type JobUsage = z.infer<typeof jobUsageSchema>;

const noUsage: JobUsage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_write_input_tokens: 0,
  cost_usd: 0,
};

const jobId = jobIdSchema;
const round = z.int().check(z.nonnegative());

/** Each step's input, as its Task state's `Parameters` build it. */
export const jobStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('prepare'), job_id: jobId, execution_id: z.optional(z.string()) }),
  z.object({
    step: z.literal('process-chunk'),
    job_id: jobId,
    round,
    index: z.int().check(z.nonnegative()),
    /** The round's chunks, for the prompt's "part i of n". */
    count: z.int().check(z.positive()),
    rung: z.int().check(z.nonnegative()),
  }),
  z.object({
    step: z.literal('reduce'),
    job_id: jobId,
    round,
    count: z.int().check(z.positive()),
    usage: jobUsageSchema,
  }),
  z.object({ step: z.literal('finish'), job_id: jobId, model: z.string(), usage: jobUsageSchema }),
  z.object({
    step: z.literal('record-failure'),
    job_id: jobId,
    failure: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  }),
]);

export type JobStepInput = z.infer<typeof jobStepInputSchema>;

/** What the model answered for one chunk: the chunk's checkpoint in the document store. */
const chunkAnswerSchema = z.object({ text: z.string(), model: z.string(), usage: jobUsageSchema });

type ChunkAnswer = z.infer<typeof chunkAnswerSchema>;

/** The gateway as the steps use it (a test passes a fake). */
export type JobModel = Pick<FmGateway, 'complete'>;

export interface JobStepsDependencies {
  readonly jobs: JobStore;
  readonly documents: DocumentStore;
  readonly model: JobModel;
  /** The deployment's catalog: resolves the job's model and its fallback ladder. */
  readonly catalog: ModelCatalog;
  /** The tenants' daily budgets: checked before every model call, charged after. @default - none */
  readonly budget?: TenantBudget;
  /** Called once a job has ended succeeded or failed (callbacks, events). @default - nothing */
  readonly onSettled?: (job: JobRecord) => Promise<void>;
  /** Characters per chunk (the first round's; a very long document gets longer ones). @default 6000 */
  readonly chunkChars?: number;
  /** Chunks per round at most: longer documents get longer chunks. @default 2000 */
  readonly maxChunks?: number;
  /** Rounds of reduction before a job gives up (answers that do not shrink). @default 6 */
  readonly maxRounds?: number;
  /**
   * Characters of answers one combining call reads: several answers each, so every round of
   * reduction has a fraction of the calls of the one before. @default 24 000
   */
  readonly reduceChunkChars?: number;
  /** Characters of the answer kept on the job; beyond it `result_url` has the whole. @default 30 000 */
  readonly inlineResultChars?: number;
  /** One model call's budget. @default 120 000 */
  readonly callDeadlineMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** The model a job type uses when it asks for `auto`. */
const autoModel: Record<JobType, string> = {
  summarize: 'balanced',
  analyze: 'quality',
  translate: 'balanced',
  extract: 'fast',
};

/** Translations are as long as their source: smaller chunks keep each answer within max_tokens. */
const translationChunkChars = 2000;

const personas: Record<JobType, string> = {
  summarize: 'You summarise documents for the staff of a Japanese manga store, in the language of the text.',
  analyze:
    'You are an analyst for a Japanese manga store. You analyse documents carefully and explain your ' +
    'reasoning, in the language of the text.',
  translate: 'You are a professional translator for a Japanese manga store. You output only the translation.',
  extract:
    'You extract facts for a Japanese manga store: titles, authors, volumes, ISBNs, prices, dates, ' +
    'names and figures, as a plain list, one item per line, nothing else.',
};

function prompt(job: JobRecord, round: number, part: { index: number; count: number }, text: string): string {
  const focus = job.instructions ? `\nFocus: ${job.instructions}` : '';
  const language = job.language ? `\nAnswer in the language with the BCP 47 tag "${job.language}".` : '';
  const where = part.count > 1 ? ` (part ${part.index + 1} of ${part.count})` : '';
  switch (job.type) {
    case 'summarize':
      return round === 0
        ? `Summarize this document${where}.${focus}${language}\n\n<document>\n${text}\n</document>`
        : `These are summaries of consecutive parts of one document${where}. Combine them into one ` +
            `summary.${focus}${language}\n\n<summaries>\n${text}\n</summaries>`;
    case 'analyze':
      return round === 0
        ? `Analyze this document${where}.${focus}${language}\n\n<document>\n${text}\n</document>`
        : `These are analyses of consecutive parts of one document${where}. Combine them into one ` +
            `analysis.${focus}${language}\n\n<analyses>\n${text}\n</analyses>`;
    case 'translate':
      return (
        `Translate this text into the language with the BCP 47 tag "${job.language ?? 'en'}".${focus}\n\n` +
        `<text>\n${text}\n</text>`
      );
    case 'extract':
      return `Extract the facts of this document${where}.${focus}${language}\n\n<document>\n${text}\n</document>`;
  }
}

/** The answers of translation and extraction are joined; summaries and analyses are reduced. */
function reducesByModel(type: JobType): boolean {
  return type === 'summarize' || type === 'analyze';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The first `limit` code points of `text` (never half a surrogate pair). */
function firstCodePoints(text: string, limit: number): string {
  let end = 0;
  let count = 0;
  while (end < text.length && count < limit) {
    const code = text.charCodeAt(end);
    end += code >= 0xd800 && code <= 0xdbff && end + 1 < text.length ? 2 : 1;
    count += 1;
  }
  return text.slice(0, end);
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The job workflow's steps over their ports: what the Task states of `jobWorkflowDefinition` run
 * (one Lambda, `step` in the input; locally the same functions). Every step may be retried: a
 * chunk's answer is its checkpoint (a retried chunk never asks the model again), and every job
 * write is a conditional transition, so a cancelled job stays cancelled.
 */
export function makeJobSteps(deps: JobStepsDependencies) {
  const { jobs, documents, catalog } = deps;
  const logger = deps.logger ?? silentLogger;
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const maxChunks = deps.maxChunks ?? 2000;
  const maxRounds = deps.maxRounds ?? 6;
  const inlineResultChars = deps.inlineResultChars ?? 30_000;
  const reduceChunkChars = deps.reduceChunkChars ?? 24_000;

  async function readJob(id: string): Promise<JobRecord> {
    const job = await jobs.get(id);
    if (!job) throw new Error(`job ${id} does not exist`);
    // The rest of the step's calls are traced as the job's tenant's.
    addTraceAnnotations({ tenant: job.tenantId });
    return job;
  }

  async function readText(key: string): Promise<string> {
    const bytes = await documents.get(key);
    if (!bytes) throw new Error(`document store object ${key} is missing`);
    return utf8.decode(bytes);
  }

  function chunkCharsFor(job: JobRecord, textLength: number): number {
    const base = job.type === 'translate' ? translationChunkChars : (deps.chunkChars ?? 6000);
    // Chunks end at a boundary no earlier than half their size: twice the even share keeps the
    // count within maxChunks however the boundaries fall.
    return Math.max(base, Math.ceil((2 * textLength) / maxChunks));
  }

  /** Writes `texts` as round `round`'s chunks; their indexes for the Map. */
  async function writeRound(job: JobRecord, round: number, texts: readonly string[]): Promise<number[]> {
    const indexes = texts.map((_, index) => index);
    await forEachLimited(indexes, 16, async (index) => {
      await documents.put(documentKeys.chunk(job.jobId, round, index), texts[index] ?? '');
    });
    return indexes;
  }

  /** Reads the document, checks it, and writes round 0's chunks; `skip` when the job cannot run. */
  async function prepare(input: Extract<JobStepInput, { step: 'prepare' }>) {
    const job = await readJob(input.job_id);
    const running = await jobs.transition(job.jobId, ['queued', 'running'], {
      status: 'running',
      ...(input.execution_id ? { executionId: input.execution_id } : {}),
      updatedAt: now(),
    });
    if (!running) return { job_id: job.jobId, skip: true };

    const size = await documents.size(job.documentKey);
    if (size === undefined) {
      throw new JobStepError(
        jobStepErrors.documentRejected,
        'The document was not uploaded (or has expired).',
      );
    }
    if (size > jobLimits.maxDocumentBytes) {
      throw new JobStepError(
        jobStepErrors.documentRejected,
        `The document is ${size} bytes; the limit is ${jobLimits.maxDocumentBytes}.`,
      );
    }
    let text: string;
    try {
      text = await readText(job.documentKey);
    } catch (error) {
      if (error instanceof TypeError) {
        throw new JobStepError(jobStepErrors.documentRejected, 'The document is not valid UTF-8 text.');
      }
      throw error;
    }
    try {
      text = validateUserText(text, { maxBytes: size + 1 }).text;
    } catch (error) {
      if (error instanceof TextRejectedError) {
        throw new JobStepError(jobStepErrors.documentRejected, error.message);
      }
      throw error;
    }
    if (job.type === 'translate' && text.length > (maxChunks * translationChunkChars) / 2) {
      // A translation is as long as its source: its chunks cannot grow with the document.
      throw new JobStepError(
        jobStepErrors.documentRejected,
        `A translation takes at most ${(maxChunks * translationChunkChars) / 2} characters; split the document.`,
      );
    }
    const chunks = chunkText(text, { maxChars: chunkCharsFor(job, text.length) });
    const indexes = await writeRound(job, 0, chunks);
    await jobs.transition(job.jobId, ['running'], { chunksTotal: chunks.length, updatedAt: now() });
    logger.info('job prepared', { jobId: job.jobId, bytes: size, chunks: chunks.length });
    // `skip` is always present: a Choice on a missing path fails the execution (States.Runtime).
    return { job_id: job.jobId, skip: false, round: 0, indexes, usage: noUsage };
  }

  /** Asks the ladder's `rung`th model about one chunk, unless its answer is already stored. */
  async function processChunk(
    input: Extract<JobStepInput, { step: 'process-chunk' }>,
    signal: AbortSignal | undefined,
  ) {
    const job = await readJob(input.job_id);
    if (job.status !== 'running') {
      throw new JobStepError(jobStepErrors.jobNotRunning, `The job is ${job.status}.`);
    }
    const answerKey = documentKeys.answer(job.jobId, input.round, input.index);
    if ((await documents.size(answerKey)) !== undefined) return { index: input.index, checkpoint: true };

    const requested = job.model === 'auto' ? autoModel[job.type] : job.model;
    const key = resolveModelKey(catalog, requested);
    const ladder = key ? fallbackLadder(catalog, key) : [];
    const model = ladder[input.rung];
    if (!model) {
      throw new JobStepError(
        jobStepErrors.noModelLeft,
        `No model of the ladder of "${requested}" (${ladder.join(' → ') || 'unknown'}) could answer.`,
      );
    }
    const decision = await deps.budget?.check(job.tenantId);
    if (decision && !decision.allowed) {
      throw new JobStepError(
        jobStepErrors.budgetExhausted,
        `The daily model budget of $${decision.budgetUsd} is spent; it resets at midnight UTC.`,
      );
    }
    const text = await readText(documentKeys.chunk(job.jobId, input.round, input.index));
    const part = { index: input.index, count: input.count };
    const answer = await ask(job, model, input, prompt(job, input.round, part, text), signal);
    await deps.budget?.record(job.tenantId, {
      costUsd: answer.usage.cost_usd,
      inputTokens: answer.usage.input_tokens,
      outputTokens: answer.usage.output_tokens,
    });
    await documents.put(answerKey, JSON.stringify(answer));
    await jobs.addProgress(job.jobId, 1, now());
    return { index: input.index, model: answer.model };
  }

  async function ask(
    job: JobRecord,
    model: string,
    part: { round: number; index: number; rung: number },
    content: string,
    signal: AbortSignal | undefined,
  ): Promise<ChunkAnswer> {
    try {
      const result = await deps.model.complete(
        {
          tenantId: job.tenantId,
          requestId: `${job.jobId}:${part.round}:${part.index}:${part.rung}`,
          model,
          system: personas[job.type],
          messages: [{ role: 'user', content }],
          maxTokens: job.type === 'translate' ? 4096 : 1024,
        },
        { deadlineMs: deps.callDeadlineMs ?? 120_000, ...(signal ? { signal } : {}) },
      );
      // A degraded answer is a stand-in for chat, never part of a document's result.
      if (result.degraded) {
        throw new JobStepError(jobStepErrors.modelUnavailable, `${model} gave no answer (degraded).`);
      }
      // A translation or an extraction cut at the output limit would lose text without a sign.
      if (result.stopReason === 'max_tokens' && (job.type === 'translate' || job.type === 'extract')) {
        throw new JobStepError(
          jobStepErrors.documentRejected,
          `An answer reached the model's output limit (part ${part.index + 1}); split the document or use a model with more output.`,
        );
      }
      return {
        text: result.text,
        model: result.model,
        usage: { ...toUsageJson(result.usage), cost_usd: result.costUsd },
      };
    } catch (error) {
      throw modelStepError(error, model);
    }
  }

  /** Sums a round's answers; then either the job's answer (`done`) or the next round's chunks. */
  async function reduce(input: Extract<JobStepInput, { step: 'reduce' }>) {
    const job = await readJob(input.job_id);
    const answers: ChunkAnswer[] = new Array(input.count);
    await forEachLimited([...answers.keys()], 16, async (index) => {
      const stored = await readText(documentKeys.answer(job.jobId, input.round, index));
      answers[index] = chunkAnswerSchema.parse(JSON.parse(stored));
    });
    const usage = answers.reduce(addUsage, input.usage);
    const last = answers.at(-1);
    if (!last) throw new Error(`round ${input.round} of ${job.jobId} has no answers`);
    const separator = job.type === 'translate' ? '\n' : '\n\n';
    const joined = answers.map((answer) => answer.text).join(separator);
    if (answers.length === 1 || !reducesByModel(job.type)) {
      await documents.put(documentKeys.result(job.jobId), joined);
      return { job_id: job.jobId, round: input.round, done: true, model: last.model, usage };
    }
    const round = input.round + 1;
    const chunks = chunkText(joined, {
      maxChars: Math.max(reduceChunkChars, chunkCharsFor(job, joined.length)),
    });
    // Ours, not the caller's: answers too long to combine (an Error, so an operator is told).
    if (round >= maxRounds || chunks.length >= answers.length) {
      throw new Error(
        `The answers of round ${input.round} did not shrink (${answers.length} → ${chunks.length}).`,
      );
    }
    const indexes = await writeRound(job, round, chunks);
    // Every earlier chunk is done by now: the total is set, not added to, so a retried Reduce
    // counts the next round once.
    await jobs.transition(job.jobId, ['running'], {
      chunksTotal: job.chunksDone + chunks.length,
      updatedAt: now(),
    });
    return { job_id: job.jobId, round, indexes, done: false, usage };
  }

  /**
   * Tells whoever waits that the job ended (events, callback). A failure is the store kind, so the
   * state retries the step; the retry finds the job settled and tells again (at least once).
   */
  async function notify(job: JobRecord): Promise<void> {
    try {
      await deps.onSettled?.(job);
    } catch (error) {
      logger.error('telling that a job ended failed', { jobId: job.jobId, error: String(error) });
      throw new JobStepError(
        jobStepErrors.storeUnavailable,
        'The job’s events or callback could not be queued.',
      );
    }
  }

  /** Records the answer on the job (its start, when long) and tells whoever waits. */
  async function finish(input: Extract<JobStepInput, { step: 'finish' }>) {
    const job = await readJob(input.job_id);
    if (job.status === 'succeeded') {
      // A retry after the answer was recorded: only the telling may not have happened.
      await notify(job);
      return { job_id: job.jobId, status: job.status };
    }
    const resultKey = documentKeys.result(job.jobId);
    const text = await readText(resultKey);
    const inline = firstCodePoints(text, inlineResultChars);
    const finished = await jobs.transition(job.jobId, ['running'], {
      status: 'succeeded',
      chunksDone: job.chunksTotal,
      result: {
        text: inline,
        model: input.model,
        usage: {
          inputTokens: input.usage.input_tokens,
          outputTokens: input.usage.output_tokens,
          cacheReadInputTokens: input.usage.cache_read_input_tokens,
          cacheWriteInputTokens: input.usage.cache_write_input_tokens,
        },
        costUsd: input.usage.cost_usd,
        ...(inline.length < text.length ? { resultKey } : {}),
      },
      updatedAt: now(),
    });
    if (finished) await notify(finished);
    return { job_id: job.jobId, status: finished?.status ?? job.status };
  }

  /** Puts the failure on the job, unless it has already ended (a cancel got there first). */
  async function recordFailure(input: Extract<JobStepInput, { step: 'record-failure' }>) {
    if (input.failure.Error === jobStepErrors.jobNotRunning) {
      // Cancelled (or ended) under a running step: the job already says so; nothing failed.
      return { job_id: input.job_id, status: 'unchanged', operator_attention: false };
    }
    const error = describeFailure(input.failure);
    const failed = await jobs.transition(input.job_id, ['queued', 'running'], {
      status: 'failed',
      error,
      updatedAt: now(),
    });
    if (failed) {
      logger.warn('job failed', { jobId: input.job_id, code: error.code, reason: input.failure.Error });
      await notify(failed);
    } else {
      // A retry after the failure was recorded tells again; a job that ended otherwise is left alone.
      const current = await jobs.get(input.job_id);
      if (current?.status === 'failed') await notify(current);
    }
    // The caller's document or budget is no operator's concern; everything else is.
    const operatorAttention = !callerCausedFailures.has(error.code);
    return {
      job_id: input.job_id,
      status: failed?.status ?? 'unchanged',
      operator_attention: operatorAttention,
    };
  }

  return { prepare, processChunk, reduce, finish, recordFailure };
}

export type JobSteps = ReturnType<typeof makeJobSteps>;

function addUsage(total: JobUsage, answer: ChunkAnswer): JobUsage {
  return {
    input_tokens: total.input_tokens + answer.usage.input_tokens,
    output_tokens: total.output_tokens + answer.usage.output_tokens,
    cache_read_input_tokens: total.cache_read_input_tokens + answer.usage.cache_read_input_tokens,
    cache_write_input_tokens: total.cache_write_input_tokens + answer.usage.cache_write_input_tokens,
    cost_usd: total.cost_usd + answer.usage.cost_usd,
  };
}

/** What a gateway failure means for the workflow: retry, the next model, or the end of the job. */
function modelStepError(error: unknown, model: string): unknown {
  if (error instanceof JobStepError) return error;
  if (error instanceof AllModelsFailedError && error.kind === 'throttled') {
    return new JobStepError(jobStepErrors.modelThrottled, `${model} is throttled.`);
  }
  if (error instanceof AllModelsFailedError || error instanceof GatewayTimeoutError) {
    return new JobStepError(jobStepErrors.modelUnavailable, `${model} did not answer: ${error.message}.`);
  }
  if (error instanceof ModelRequestRejectedError) {
    return error.code === 'ValidationException'
      ? new JobStepError(jobStepErrors.documentRejected, `The model rejected the text: ${error.detail}`)
      : new JobStepError(jobStepErrors.modelUnavailable, `${model} is not available to this deployment.`);
  }
  return error;
}

/** Failures of the caller's making: the job says why, and no operator is alarmed. */
const callerCausedFailures: ReadonlySet<string> = new Set(['document_rejected', 'budget_exhausted']);

/** The public error of a failed execution: stable codes; internal errors never leak their text. */
export function describeFailure(failure: { readonly Error?: string; readonly Cause?: string }): {
  code: string;
  message: string;
} {
  const message = causeMessage(failure.Cause);
  switch (failure.Error) {
    case jobStepErrors.documentRejected:
      return { code: 'document_rejected', message: message ?? 'The document cannot be processed.' };
    case jobStepErrors.budgetExhausted:
      return { code: 'budget_exhausted', message: message ?? 'The daily model budget is spent.' };
    case jobStepErrors.noModelLeft:
    case jobStepErrors.modelUnavailable:
    case jobStepErrors.modelThrottled:
      return { code: 'model_unavailable', message: message ?? 'No model could process the document.' };
    case 'States.Timeout':
      return { code: 'timeout', message: 'The job took longer than its time limit.' };
    default:
      return { code: 'internal_error', message: 'The job failed; the operators have its details.' };
  }
}

/** A Lambda error's `Cause` is JSON with `errorMessage`; a local one is the message itself. */
function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : undefined;
    }
  } catch {
    // Not JSON: the message itself.
  }
  return cause;
}

/**
 * The steps function: one handler for every Task state of the job workflow, by `step`. An input
 * that does not parse is a bug in the definition and throws (the execution fails and says so).
 */
export function makeJobStepsHandler(steps: JobSteps) {
  return async (event: unknown, context: { readonly signal?: AbortSignal } = {}): Promise<unknown> => {
    const input = jobStepInputSchema.parse(event);
    try {
      // Every SDK call of the step is traced under the job it works for.
      return await withTraceAnnotations({ job_id: input.job_id, job_step: input.step }, () =>
        runStep(input, context.signal),
      );
    } catch (error) {
      // The stores' outages are the one error the state machine retries in place.
      if (error instanceof JobStoreUnavailableError || error instanceof DocumentStoreUnavailableError) {
        throw new JobStepError(jobStepErrors.storeUnavailable, error.message);
      }
      throw error;
    }
  };

  function runStep(input: JobStepInput, signal: AbortSignal | undefined): Promise<unknown> {
    switch (input.step) {
      case 'prepare':
        return steps.prepare(input);
      case 'process-chunk':
        return steps.processChunk(input, signal);
      case 'reduce':
        return steps.reduce(input);
      case 'finish':
        return steps.finish(input);
      case 'record-failure':
        return steps.recordFailure(input);
    }
  }
}
