import * as z from 'zod/mini';
import { usageSchema } from './chat.js';

/**
 * Asynchronous document jobs (seed 001 skill 2.4.1: 202, a job id, status, results, callbacks):
 * `POST /v1/uploads` hands out a presigned PUT for a document, `POST /v1/jobs` queues work on a
 * document, `GET /v1/jobs/{id}` reports it and `DELETE /v1/jobs/{id}` cancels it. A job is not
 * bound by API Gateway's 29 s: it runs as a state machine, chunk by chunk.
 */

export const jobRoutes = {
  uploads: '/v1/uploads',
  jobs: '/v1/jobs',
  /** `GET` and `DELETE` of one job: `/v1/jobs/<job id>`. */
  jobPrefix: '/v1/jobs/',
} as const;

export const jobTypes = ['summarize', 'analyze', 'translate', 'extract'] as const;
export type JobType = (typeof jobTypes)[number];

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** A job in one of these statuses never changes again. */
export const terminalJobStatuses: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export const jobPriorities = ['normal', 'low'] as const;
export type JobPriority = (typeof jobPriorities)[number];

/** One of something per priority lane (a queue, an alarm), built by `make` in lane order. */
export function byPriority<T>(make: (priority: JobPriority) => T): Record<JobPriority, T> {
  const normal = make('normal');
  return { normal, low: make('low') };
}

export const jobLimits = {
  /** An uploaded document's largest size: the presigned PUT refuses more. */
  maxDocumentBytes: 20 * 1024 * 1024,
  /** A document sent inline in `POST /v1/jobs` (under Lambda's 6 MB synchronous payload). */
  maxInlineTextBytes: 5 * 1024 * 1024,
  /** How long a presigned upload URL is valid, in seconds. */
  uploadUrlSeconds: 900,
  maxInstructionsChars: 2000,
  /** An `Idempotency-Key` header: 1 to 255 printable ASCII characters (as Stripe's). */
  maxIdempotencyKeyChars: 255,
  /** Jobs, their idempotency keys and their results are kept this long. */
  retentionDays: 30,
} as const;

/** Job and upload ids: `job_` / `upl_` and 26 lowercase base-32 characters (random, 130 bits). */
export const jobIdSchema = z
  .string()
  .check(z.regex(/^job_[a-z2-7]{26}$/, 'a job id: job_ and 26 characters'));
export const uploadIdSchema = z
  .string()
  .check(z.regex(/^upl_[a-z2-7]{26}$/, 'an upload id: upl_ and 26 characters'));

export const jobDocumentInputSchema = z.union([
  z.strictObject({ text: z.string().check(z.minLength(1)) }),
  z.strictObject({ upload_id: uploadIdSchema }),
]);

export type JobDocumentInput = z.output<typeof jobDocumentInputSchema>;

/** Builds the `POST /v1/jobs` schema for a catalog's model names (keys and aliases); `auto` is always allowed. */
export function makeCreateJobRequestSchema(modelNames: readonly string[]) {
  const names = [...new Set(['auto', ...modelNames])] as [string, ...string[]];
  return z.strictObject({
    type: z.enum(jobTypes),
    document: jobDocumentInputSchema,
    instructions: z.optional(z.string().check(z.minLength(1), z.maxLength(jobLimits.maxInstructionsChars))),
    /** The answer's language (BCP 47, e.g. `ja`, `en-US`); `translate` needs it. */
    language: z.optional(
      z.string().check(z.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'a BCP 47 language tag')),
    ),
    model: z._default(z.enum(names), 'auto'),
    callback_url: z.optional(z.url({ protocol: /^https?$/ })),
    priority: z._default(z.enum(jobPriorities), 'normal'),
  });
}

export type CreateJobRequest = z.output<ReturnType<typeof makeCreateJobRequestSchema>>;

export const uploadResponseSchema = z.object({
  upload_id: uploadIdSchema,
  url: z.string(),
  method: z.literal('PUT'),
  expires_in: z.int(),
  max_bytes: z.int(),
});

export type UploadResponse = z.infer<typeof uploadResponseSchema>;

export const jobAcceptedSchema = z.object({
  job_id: jobIdSchema,
  status: z.literal('queued'),
  status_url: z.string(),
});

export type JobAccepted = z.infer<typeof jobAcceptedSchema>;

export const jobErrorSchema = z.object({ code: z.string(), message: z.string() });

/** `GET /v1/jobs/{id}`, the callback's body and the detail of `JobCompleted` / `JobFailed`. */
export const jobDocumentSchema = z.object({
  job_id: jobIdSchema,
  type: z.enum(jobTypes),
  status: z.enum(jobStatuses),
  progress: z.object({ chunks_done: z.int(), chunks_total: z.int() }),
  created_at: z.string(),
  updated_at: z.string(),
  result: z.optional(
    z.object({
      text: z.string(),
      model: z.string(),
      usage: usageSchema,
      cost_usd: z.number().check(z.nonnegative()),
      result_url: z.optional(z.string()),
    }),
  ),
  error: z.optional(jobErrorSchema),
});

export type JobDocument = z.infer<typeof jobDocumentSchema>;
