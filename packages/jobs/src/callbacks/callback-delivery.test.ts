import { installRecordingTraceSink, recordingLogger } from '@mangaassist/commons/testing';
import { traceAnnotations, withTraceAnnotations } from '@mangaassist/commons/tracing';
import { jobLimits } from '@mangaassist/contracts';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../job.js';
import { toJobDocument } from '../job.js';
import { MemoryJobStore } from '../memory-job-store.js';
import { jobRecord, jobResult, newJobId } from '../testing/job-store-contract.js';
import { MemoryDocumentStore } from '../testing/memory-document-store.js';
import { type CallbackSecrets, makeCallbackDeliverer } from './callback-delivery.js';
import type { CallbackResponse, CallbackSender } from './callback-sender.js';

/** The Standard Webhooks spec's example secret. */
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** 2026-01-01T00:10:00.750Z: not on a whole second, so the timestamp must be floored. */
const fixedNow = Date.UTC(2026, 0, 1, 0, 10, 0, 750);
const callbackUrl = 'https://partner.example.com/callbacks/jobs';

interface SentCallback {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A `CallbackSender` that records each POST and answers with the next of `responses` (the last one repeats). */
function recordingSender(...responses: CallbackResponse[]) {
  const sent: SentCallback[] = [];
  const sender: CallbackSender = {
    async post(url, body, headers) {
      sent.push({ url, body, headers });
      return responses[Math.min(sent.length, responses.length) - 1] ?? { delivered: true, status: 200 };
    },
  };
  return { sender, sent };
}

/** Tenant secrets from a plain list of pairs; a tenant not listed has none. */
function staticSecrets(entries: readonly (readonly [string, string])[]): CallbackSecrets {
  const byTenant = new Map(entries);
  return { signingSecret: async (tenantId) => byTenant.get(tenantId) };
}

/** A `MemoryDocumentStore` that also records the options each download URL was presigned with. */
class PresignRecordingDocuments extends MemoryDocumentStore {
  readonly presigned: { readonly key: string; readonly expiresInSeconds: number | undefined }[] = [];

  override async presignDownload(key: string, options?: { readonly expiresInSeconds: number }) {
    this.presigned.push({ key, expiresInSeconds: options?.expiresInSeconds });
    return super.presignDownload(key);
  }
}

/** A succeeded job with a callback URL, stored, and a deliverer over it. */
async function harness(
  options: {
    readonly job?: Partial<JobRecord>;
    readonly responses?: CallbackResponse[];
    readonly secrets?: CallbackSecrets;
    readonly documents?: MemoryDocumentStore;
  } = {},
) {
  const jobs = new MemoryJobStore();
  const { job } = await jobs.create(
    jobRecord({
      status: 'succeeded',
      callbackUrl,
      result: jobResult(),
      chunksTotal: 2,
      chunksDone: 2,
      ...options.job,
    }),
  );
  const { sender, sent } = recordingSender(...(options.responses ?? []));
  const logger = recordingLogger();
  const deliver = makeCallbackDeliverer({
    jobs,
    secrets: options.secrets ?? staticSecrets([[job.tenantId, secret]]),
    sender,
    ...(options.documents ? { documents: options.documents } : {}),
    now: () => fixedNow,
    logger,
  });
  return { job, deliver, sent, logger };
}

const message = (jobId: string, status: 'succeeded' | 'failed' = 'succeeded') =>
  JSON.stringify({ job_id: jobId, status });

/** Verifies with the official package, its clock set to `fixedNow`; returns the parsed payload. */
function verifiedByStandardWebhooks(callback: SentCallback, signingSecret = secret): unknown {
  vi.useFakeTimers({ now: fixedNow, toFake: ['Date'] });
  try {
    return new Webhook(signingSecret).verify(callback.body, { ...callback.headers });
  } finally {
    vi.useRealTimers();
  }
}

describe('makeCallbackDeliverer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('posts the job document, as GET /v1/jobs/{id} shows it, to the callback URL and reports it delivered', async () => {
    const { job, deliver, sent } = await harness({ responses: [{ delivered: true, status: 204 }] });

    const outcome = await deliver(message(job.jobId));

    expect(outcome).toEqual({ outcome: 'delivered', status: 204 });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(callbackUrl);
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual(toJobDocument(job));
  });

  it("reads the tenant's secret under the job and its tenant in the trace", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const inScope: unknown[] = [];
    const secrets: CallbackSecrets = {
      signingSecret: async () => {
        inScope.push(traceAnnotations());
        return secret;
      },
    };
    const { job, deliver } = await harness({ secrets });
    await withTraceAnnotations({}, () => deliver(message(job.jobId)));
    expect(inScope).toEqual([{ job_id: job.jobId, tenant: job.tenantId }]);
  });

  it('signs the callback with Standard Webhooks headers that the standardwebhooks package accepts', async () => {
    const { job, deliver, sent } = await harness();

    await deliver(message(job.jobId));

    const [callback] = sent;
    if (callback === undefined) throw new Error('Expected a callback to be sent');
    expect(callback.headers).toEqual({
      'webhook-id': `msg_${job.jobId}_succeeded`,
      'webhook-timestamp': String(Math.floor(fixedNow / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+={0,2}$/),
    });
    expect(verifiedByStandardWebhooks(callback)).toEqual(toJobDocument(job));
  });

  it('signs with the tenant’s own secret, which another secret does not verify', async () => {
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { job, deliver, sent } = await harness({
      job: { tenantId: 'tenant-7' },
      secrets: staticSecrets([['tenant-7', otherSecret]]),
    });

    await deliver(message(job.jobId));

    const [callback] = sent;
    if (callback === undefined) throw new Error('Expected a callback to be sent');
    expect(verifiedByStandardWebhooks(callback, otherSecret)).toEqual(toJobDocument(job));
    expect(() => verifiedByStandardWebhooks(callback, secret)).toThrow(/signature/i);
  });

  it('sends the same webhook-id, msg_<job id>_<status>, on every attempt', async () => {
    const { job, deliver, sent } = await harness({
      responses: [
        { delivered: false, status: 503, reason: 'receiver answered 503' },
        { delivered: false, status: 0, reason: 'connection refused' },
        { delivered: true, status: 200 },
      ],
    });

    await deliver(message(job.jobId));
    await deliver(message(job.jobId));
    await deliver(message(job.jobId));

    expect(sent.map((callback) => callback.headers['webhook-id'])).toEqual([
      `msg_${job.jobId}_succeeded`,
      `msg_${job.jobId}_succeeded`,
      `msg_${job.jobId}_succeeded`,
    ]);
  });

  it('takes the status of the webhook-id from the message, so a failed job’s callback has its own id', async () => {
    const { job, deliver, sent } = await harness({
      job: {
        status: 'failed',
        result: undefined,
        error: { code: 'model_failed', message: 'The model failed.' },
      },
    });

    await deliver(message(job.jobId, 'failed'));

    expect(sent[0]?.headers['webhook-id']).toBe(`msg_${job.jobId}_failed`);
    expect(JSON.parse(sent[0]?.body ?? '')).toMatchObject({
      status: 'failed',
      error: { code: 'model_failed', message: 'The model failed.' },
    });
  });

  it('links a long result with result_url, presigned by the document store for the upload URL lifetime', async () => {
    const documents = new PresignRecordingDocuments();
    const resultKey = 'jobs/job_long/result.txt';
    const { job, deliver, sent } = await harness({ job: { result: jobResult({ resultKey }) }, documents });

    await deliver(message(job.jobId));

    const body: unknown = JSON.parse(sent[0]?.body ?? '');
    expect(body).toEqual(toJobDocument(job, `memory://get/${resultKey}`));
    expect(body).toHaveProperty('result.result_url', `memory://get/${resultKey}`);
    expect(documents.presigned).toEqual([{ key: resultKey, expiresInSeconds: jobLimits.uploadUrlSeconds }]);
  });

  it('presigns nothing for a result that is whole', async () => {
    const documents = new PresignRecordingDocuments();
    const { job, deliver, sent } = await harness({ documents });

    await deliver(message(job.jobId));

    expect(documents.presigned).toEqual([]);
    expect(JSON.parse(sent[0]?.body ?? '')).not.toHaveProperty('result.result_url');
  });

  it('sends a long result without result_url when it has no document store', async () => {
    const { job, deliver, sent } = await harness({
      job: { result: jobResult({ resultKey: 'jobs/x/result.txt' }) },
    });

    await deliver(message(job.jobId));

    expect(JSON.parse(sent[0]?.body ?? '')).not.toHaveProperty('result.result_url');
  });

  it('drops the callback of a job that no longer exists, sending nothing', async () => {
    const { deliver, sent } = await harness();

    expect(await deliver(message(newJobId()))).toEqual({
      outcome: 'dropped',
      reason: 'the job no longer exists',
    });
    expect(sent).toEqual([]);
  });

  it('drops the callback of a job without a callback URL, sending nothing', async () => {
    const { job, deliver, sent } = await harness({ job: { callbackUrl: undefined } });

    expect(await deliver(message(job.jobId))).toEqual({
      outcome: 'dropped',
      reason: 'the job has no callback URL',
    });
    expect(sent).toEqual([]);
  });

  it('retries, sending nothing and logging an error, when the tenant has no callback secret', async () => {
    const { job, deliver, sent, logger } = await harness({ secrets: staticSecrets([]) });

    const outcome = await deliver(message(job.jobId));

    expect(outcome).toEqual({ outcome: 'retry', reason: `tenant ${job.tenantId} has no callback secret` });
    expect(sent).toEqual([]);
    expect(logger.entries).toContainEqual({
      level: 'error',
      message: 'no callback secret for the tenant',
      fields: { tenantId: job.tenantId, jobId: job.jobId },
    });
  });

  it('retries with the sender’s reason when the receiver did not take the callback', async () => {
    const { job, deliver, logger } = await harness({
      responses: [{ delivered: false, status: 500, reason: 'receiver answered 500' }],
    });

    expect(await deliver(message(job.jobId))).toEqual({ outcome: 'retry', reason: 'receiver answered 500' });
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'job callback not delivered',
      fields: { jobId: job.jobId, status: 500, reason: 'receiver answered 500' },
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['a missing status', JSON.stringify({ job_id: 'job_x' })],
    ['a status that notifies no one', JSON.stringify({ job_id: 'job_x', status: 'cancelled' })],
    ['an unknown field', JSON.stringify({ job_id: 'job_x', status: 'failed', tenant_id: 't' })],
    ['a job id that is not a string', JSON.stringify({ job_id: 7, status: 'failed' })],
  ])('throws on a message body with %s, sending nothing', async (_, body) => {
    const { deliver, sent } = await harness();

    await expect(deliver(body)).rejects.toThrow();
    expect(sent).toEqual([]);
  });
});
