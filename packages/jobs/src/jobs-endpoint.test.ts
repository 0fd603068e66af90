import type { HttpRequest, HttpResponse } from '@mangaassist/http';
import { beforeEach, describe, expect, it } from 'vitest';
import { JobService } from './job-service.js';
import { JobStoreUnavailableError } from './job-store.js';
import { makeJobsEndpoint } from './jobs-endpoint.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemoryDocumentStore } from './testing/memory-document-store.js';
import { RecordingJobExecutions, RecordingJobQueue } from './testing/recording-job-queue.js';

function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; tenantId?: string } = {},
): HttpRequest {
  return {
    method,
    path,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: new TextEncoder().encode(options.body === undefined ? '' : JSON.stringify(options.body)),
    requestId: 'req-1',
    tenantId: options.tenantId ?? 'store',
  };
}

const body = (response: HttpResponse) => JSON.parse(response.body);
const summarize = { type: 'summarize', document: { text: '進撃の巨人。' } };

describe('the jobs endpoint', () => {
  let jobs: MemoryJobStore;
  let endpoint: ReturnType<typeof makeJobsEndpoint>;

  beforeEach(() => {
    jobs = new MemoryJobStore();
    const service = new JobService({
      jobs,
      documents: new MemoryDocumentStore(),
      queue: new RecordingJobQueue(),
      executions: new RecordingJobExecutions(),
    });
    endpoint = makeJobsEndpoint({
      service,
      modelNames: ['fast', 'balanced'],
      callbackPolicy: { allowLoopbackHttp: false },
      callbackSecrets: {
        signingSecret: async (tenant) => (tenant === 'store' ? 'whsec_c2VjcmV0' : undefined),
      },
    });
  });

  it('answers POST /v1/uploads with 201 and a presigned PUT', async () => {
    const response = await endpoint(call('POST', '/v1/uploads'));
    expect(response.statusCode).toBe(201);
    expect(body(response)).toMatchObject({ method: 'PUT', expires_in: 900, max_bytes: 20971520 });
  });

  it('accepts a job with 202, its status URL and Location', async () => {
    const response = await endpoint(call('POST', '/v1/jobs', { body: summarize }));
    expect(response.statusCode).toBe(202);
    const accepted = body(response);
    expect(accepted).toEqual({
      job_id: expect.stringMatching(/^job_/),
      status: 'queued',
      status_url: `/v1/jobs/${accepted.job_id}`,
    });
    expect(response.headers.location).toBe(accepted.status_url);
  });

  it('links the job under the stage the client called', async () => {
    const response = await endpoint({ ...call('POST', '/v1/jobs', { body: summarize }), basePath: '/prod' });
    const accepted = body(response);
    expect(accepted.status_url).toBe(`/prod/v1/jobs/${accepted.job_id}`);
    expect(response.headers.location).toBe(accepted.status_url);
  });

  it('returns the same job for the same Idempotency-Key and body, and 409 for another body', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = body(await endpoint(call('POST', '/v1/jobs', { body: summarize, headers })));
    const again = await endpoint(call('POST', '/v1/jobs', { body: summarize, headers }));
    expect(again.statusCode).toBe(202);
    expect(body(again).job_id).toBe(first.job_id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await endpoint(
      call('POST', '/v1/jobs', { body: { ...summarize, type: 'analyze' }, headers }),
    );
    expect(other.statusCode).toBe(409);
    expect(body(other).error.code).toBe('idempotency_key_reused');
  });

  it.each([
    ['an unknown type', { ...summarize, type: 'poem' }, 'type'],
    ['no document', { type: 'summarize' }, 'document'],
    ['an empty text', { type: 'summarize', document: { text: '' } }, 'document'],
    ['a malformed upload id', { type: 'summarize', document: { upload_id: 'x' } }, 'document'],
    ['an unknown model', { ...summarize, model: 'gpt' }, 'model'],
    ['a callback that is not a URL', { ...summarize, callback_url: 'ftp://x' }, 'callback_url'],
    ['a translation without a language', { ...summarize, type: 'translate' }, 'language'],
    ['an unknown field', { ...summarize, colour: 'red' }, '(body)'],
  ])('refuses %s with 400 naming the field', async (_, request, field) => {
    const response = await endpoint(call('POST', '/v1/jobs', { body: request }));
    expect(response.statusCode).toBe(400);
    expect(body(response).error.issues.map((issue: { path: string }) => issue.path.split('.')[0])).toContain(
      field,
    );
  });

  it('takes a public HTTPS callback URL from a tenant with a signing secret', async () => {
    const response = await endpoint(
      call('POST', '/v1/jobs', { body: { ...summarize, callback_url: 'https://hooks.example.com/jobs' } }),
    );
    expect(response.statusCode).toBe(202);
  });

  it.each([
    'http://hooks.example.com/jobs',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.7/hook',
    'https://localhost/hook',
  ])('refuses the callback URL %s with 400 naming callback_url', async (url) => {
    const response = await endpoint(call('POST', '/v1/jobs', { body: { ...summarize, callback_url: url } }));
    expect(response.statusCode).toBe(400);
    expect(body(response).error.issues[0].path).toBe('callback_url');
  });

  it('refuses a callback from a tenant with no signing secret with 422, never calling unsigned', async () => {
    const response = await endpoint(
      call('POST', '/v1/jobs', {
        body: { ...summarize, callback_url: 'https://hooks.example.com/jobs' },
        tenantId: 'mobile',
      }),
    );
    expect(response.statusCode).toBe(422);
    expect(body(response).error.code).toBe('callback_secret_missing');
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const response = await endpoint(
      call('POST', '/v1/jobs', { body: summarize, headers: { 'idempotency-key': 'has space' } }),
    );
    expect(response.statusCode).toBe(400);
    expect(body(response).error.code).toBe('invalid_idempotency_key');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await endpoint(
      call('POST', '/v1/jobs', { body: summarize, headers: { 'content-type': 'text/plain' } }),
    );
    expect(response.statusCode).toBe(415);
  });

  it('refuses an upload id with no document with 422', async () => {
    const upload = body(await endpoint(call('POST', '/v1/uploads')));
    const response = await endpoint(
      call('POST', '/v1/jobs', { body: { type: 'summarize', document: { upload_id: upload.upload_id } } }),
    );
    expect(response.statusCode).toBe(422);
    expect(body(response).error.code).toBe('upload_not_found');
  });

  it('shows the job to its tenant and 404 to anyone else or for a malformed id', async () => {
    const { job_id } = body(await endpoint(call('POST', '/v1/jobs', { body: summarize })));
    const mine = await endpoint(call('GET', `/v1/jobs/${job_id}`));
    expect(mine.statusCode).toBe(200);
    expect(body(mine)).toMatchObject({
      job_id,
      type: 'summarize',
      status: 'queued',
      progress: { chunks_done: 0 },
    });
    expect((await endpoint(call('GET', `/v1/jobs/${job_id}`, { tenantId: 'mobile' }))).statusCode).toBe(404);
    expect((await endpoint(call('GET', '/v1/jobs/../../etc'))).statusCode).toBe(404);
  });

  it('cancels with 202, and answers 409 for a job that had finished', async () => {
    const { job_id } = body(await endpoint(call('POST', '/v1/jobs', { body: summarize })));
    const cancelled = await endpoint(call('DELETE', `/v1/jobs/${job_id}`));
    expect(cancelled.statusCode).toBe(202);
    expect(body(cancelled).status).toBe('cancelled');
    const second = body(await endpoint(call('POST', '/v1/jobs', { body: summarize })));
    await jobs.transition(second.job_id, ['queued'], { status: 'succeeded', updatedAt: 'later' });
    const finished = await endpoint(call('DELETE', `/v1/jobs/${second.job_id}`));
    expect(finished.statusCode).toBe(409);
    expect(body(finished).error.code).toBe('job_finished');
  });

  it('answers 405 for a method a route does not take', async () => {
    const response = await endpoint(call('PUT', '/v1/jobs'));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });

  it('answers 503 with retry-after when the job store is down', async () => {
    jobs.get = async () => {
      throw new JobStoreUnavailableError('throttled');
    };
    const response = await endpoint(call('GET', '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });
});
