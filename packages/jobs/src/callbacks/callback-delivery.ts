import { type Logger, silentLogger } from '@mangaassist/commons';
import { addTraceAnnotations } from '@mangaassist/commons/tracing';
import { jobLimits } from '@mangaassist/contracts';
import { signedWebhookHeaders } from '@mangaassist/webhooks';
import * as z from 'zod/mini';
import type { DocumentStore } from '../document-store.js';
import { toJobDocument } from '../job.js';
import type { JobStore } from '../job-store.js';
import type { CallbackSender } from './callback-sender.js';

/** Each tenant's callback signing secret (Standard Webhooks, `whsec_` + base64). */
export interface CallbackSecrets {
  /** The secret callbacks to this tenant are signed with; `undefined` when it has none. */
  signingSecret(tenantId: string): Promise<string | undefined>;
}

/**
 * Seconds before each retry of a callback that was not delivered: doubling from 30 s to 8 h, so
 * that the 13 attempts (the first and 12 retries) span 24 hours. The queue's `maxReceiveCount` is
 * the number of attempts: after the last, SQS moves the message to the dead-letter queue.
 */
export const callbackRetrySeconds = [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 28_800, 28_800];

/** Attempts a callback gets: the first and one per `callbackRetrySeconds`. */
export const callbackAttempts = callbackRetrySeconds.length + 1;

/** A queued callback's body. */
export const callbackMessageSchema = z.strictObject({
  job_id: z.string(),
  status: z.enum(['succeeded', 'failed']),
});

/** What became of one delivery attempt. */
export type CallbackOutcome =
  | { readonly outcome: 'delivered'; readonly status: number }
  /** Try again later (the receiver failed, or was unreachable, or the tenant has no secret yet). */
  | { readonly outcome: 'retry'; readonly reason: string }
  /** Nothing to deliver: the job is gone or has no callback URL. */
  | { readonly outcome: 'dropped'; readonly reason: string };

/**
 * Delivers a settled job's callback: `POST callback_url` with the job document (as `GET
 * /v1/jobs/{id}` shows it), signed as Standard Webhooks with the tenant's secret. `webhook-id`
 * is the same on every attempt (`msg_<job id>_<status>`), so a receiver can drop a repeat.
 * A malformed message throws (it is retried, then dead-lettered, where it can be seen).
 */
export function makeCallbackDeliverer(deps: {
  readonly jobs: JobStore;
  readonly secrets: CallbackSecrets;
  readonly sender: CallbackSender;
  /** To link a long result (`result_url`). @default - no link */
  readonly documents?: DocumentStore;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
}) {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  return async (body: string): Promise<CallbackOutcome> => {
    const message = callbackMessageSchema.parse(JSON.parse(body));
    addTraceAnnotations({ job_id: message.job_id });
    const job = await deps.jobs.get(message.job_id);
    if (!job) return { outcome: 'dropped', reason: 'the job no longer exists' };
    addTraceAnnotations({ tenant: job.tenantId });
    if (!job.callbackUrl) return { outcome: 'dropped', reason: 'the job has no callback URL' };
    const secret = await deps.secrets.signingSecret(job.tenantId);
    if (!secret) {
      logger.error('no callback secret for the tenant', { tenantId: job.tenantId, jobId: job.jobId });
      return { outcome: 'retry', reason: `tenant ${job.tenantId} has no callback secret` };
    }
    const resultKey = job.result?.resultKey;
    const resultUrl =
      resultKey && deps.documents
        ? await deps.documents.presignDownload(resultKey, { expiresInSeconds: jobLimits.uploadUrlSeconds })
        : undefined;
    const document = JSON.stringify(toJobDocument(job, resultUrl));
    const headers = signedWebhookHeaders('standard-webhooks', {
      body: document,
      secret,
      timestampSeconds: Math.floor(now() / 1000),
      deliveryId: `msg_${job.jobId}_${message.status}`,
    });
    const response = await deps.sender.post(job.callbackUrl, document, headers);
    if (response.delivered) {
      logger.info('job callback delivered', { jobId: job.jobId, status: response.status });
      return { outcome: 'delivered', status: response.status };
    }
    logger.warn('job callback not delivered', {
      jobId: job.jobId,
      status: response.status,
      reason: response.reason,
    });
    return { outcome: 'retry', reason: response.reason };
  };
}

export type CallbackDeliverer = ReturnType<typeof makeCallbackDeliverer>;
