import { type Logger, silentLogger } from '@mangaassist/commons';
import {
  type JobAccepted,
  jobIdSchema,
  jobLimits,
  jobRoutes,
  makeCreateJobRequestSchema,
} from '@mangaassist/contracts';
import {
  errorResponse,
  type HttpEndpoint,
  type HttpResponse,
  jsonResponse,
  readJsonBody,
} from '@mangaassist/http';
import type { CallbackSecrets } from './callbacks/callback-delivery.js';
import type { CallbackPolicy } from './callbacks/callback-sender.js';
import { callbackUrlProblem } from './callbacks/callback-url.js';
import { DocumentStoreUnavailableError } from './document-store.js';
import { toJobDocument } from './job.js';
import {
  DocumentTooLargeError,
  JobQueueUnavailableError,
  type JobService,
  UploadNotFoundError,
} from './job-service.js';
import { IdempotencyKeyReusedError, JobStoreUnavailableError } from './job-store.js';

export interface JobsEndpointOptions {
  readonly service: JobService;
  /** Who callbacks may go to: deployed, public HTTPS only. */
  readonly callbackPolicy: CallbackPolicy;
  /** The tenants' callback secrets; without them a `callback_url` is refused (422). */
  readonly callbackSecrets?: CallbackSecrets;
  /** Model names a job may ask for (the catalog's keys and aliases). */
  readonly modelNames: readonly string[];
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What an `Idempotency-Key` may be: printable ASCII, as Stripe's. */
const idempotencyKeyPattern = new RegExp(`^[\\x21-\\x7e]{1,${jobLimits.maxIdempotencyKeyChars}}$`);

/** `POST /v1/jobs` reads at most this: the inline document's limit and room for the rest. */
const maxCreateBodyBytes = jobLimits.maxInlineTextBytes + 64 * 1024;

/**
 * The jobs API, one endpoint for every route of it:
 * - `POST /v1/uploads` → 201 a presigned PUT for a document;
 * - `POST /v1/jobs` → 202 `{job_id, status: "queued", status_url}` with `Location`; an
 *   `Idempotency-Key` repeat → the same job, another body under the key → 409;
 * - `GET /v1/jobs/{id}` → the job; `DELETE /v1/jobs/{id}` → 202, the job ends cancelled
 *   (409 when it had already finished).
 * Another tenant's job is a 404, as a job that does not exist. Stores that cannot be reached
 * → 503 with `retry-after`.
 */
export function makeJobsEndpoint(options: JobsEndpointOptions): HttpEndpoint {
  const { service } = options;
  const logger = options.logger ?? silentLogger;
  const createSchema = makeCreateJobRequestSchema(options.modelNames);

  /** Why a callback URL cannot be taken (400 where it may not go, 422 without a secret to sign). */
  async function callbackRefusal(url: string, tenantId: string, requestId: string) {
    const problem = callbackUrlProblem(url, options.callbackPolicy);
    if (problem) {
      return errorResponse(400, requestId, 'validation_failed', 'The request does not match the schema.', {
        issues: [{ path: 'callback_url', message: problem }],
      });
    }
    const secret = await options.callbackSecrets?.signingSecret(tenantId);
    if (!secret) {
      return errorResponse(
        422,
        requestId,
        'callback_secret_missing',
        'This tenant has no callback signing secret yet; ask the operators for one, or poll status_url.',
        { issues: [{ path: 'callback_url', message: 'no signing secret for this tenant' }] },
      );
    }
    return undefined;
  }

  const routes = async (request: Parameters<HttpEndpoint>[0]): Promise<HttpResponse> => {
    const { method, path, requestId, tenantId } = request;
    if (path === jobRoutes.uploads) {
      if (method !== 'POST') return methodNotAllowed(requestId, method, path, 'POST');
      return jsonResponse(201, requestId, await service.createUpload(tenantId));
    }
    if (path === jobRoutes.jobs) {
      if (method !== 'POST') return methodNotAllowed(requestId, method, path, 'POST');
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey !== undefined && !idempotencyKeyPattern.test(idempotencyKey)) {
        return errorResponse(
          400,
          requestId,
          'invalid_idempotency_key',
          'The Idempotency-Key header is invalid.',
          {
            issues: [
              {
                path: 'Idempotency-Key',
                message: `1 to ${jobLimits.maxIdempotencyKeyChars} printable ASCII characters`,
              },
            ],
          },
        );
      }
      const body = readJsonBody(request, createSchema, { maxBodyBytes: maxCreateBodyBytes });
      if (!body.ok) return body.response;
      if (body.value.type === 'translate' && !body.value.language) {
        return errorResponse(400, requestId, 'validation_failed', 'The request does not match the schema.', {
          issues: [{ path: 'language', message: 'a translation needs the language to translate into' }],
        });
      }
      const callbackUrl = body.value.callback_url;
      if (callbackUrl !== undefined) {
        const refusal = await callbackRefusal(callbackUrl, tenantId, requestId);
        if (refusal) return refusal;
      }
      const { job, created } = await service.createJob(tenantId, body.value, idempotencyKey);
      const statusUrl = `${request.basePath ?? ''}${jobRoutes.jobPrefix}${job.jobId}`;
      const accepted: JobAccepted = { job_id: job.jobId, status: 'queued', status_url: statusUrl };
      return jsonResponse(202, requestId, accepted, {
        location: statusUrl,
        ...(created ? {} : { 'idempotent-replayed': 'true' }),
      });
    }
    if (path.startsWith(jobRoutes.jobPrefix)) {
      const jobId = path.slice(jobRoutes.jobPrefix.length);
      if (method !== 'GET' && method !== 'DELETE') {
        return methodNotAllowed(requestId, method, path, 'GET, DELETE');
      }
      if (!jobIdSchema.safeParse(jobId).success) return jobNotFound(requestId);
      if (method === 'GET') {
        const found = await service.getJob(tenantId, jobId);
        return found
          ? jsonResponse(200, requestId, toJobDocument(found.job, found.resultUrl))
          : jobNotFound(requestId);
      }
      const outcome = await service.cancelJob(tenantId, jobId);
      if (outcome === 'not_found') return jobNotFound(requestId);
      if (outcome === 'finished') {
        return errorResponse(
          409,
          requestId,
          'job_finished',
          'The job has already finished; it cannot be cancelled.',
        );
      }
      const found = await service.getJob(tenantId, jobId);
      return found ? jsonResponse(202, requestId, toJobDocument(found.job)) : jobNotFound(requestId);
    }
    return errorResponse(404, requestId, 'not_found', `No route for ${method} ${path}.`);
  };

  return async (request) => {
    try {
      return await routes(request);
    } catch (error) {
      return failure(error, request.requestId, logger);
    }
  };
}

function methodNotAllowed(requestId: string, method: string, path: string, allow: string): HttpResponse {
  return errorResponse(405, requestId, 'method_not_allowed', `${method} is not allowed on ${path}.`, {
    headers: { allow },
  });
}

function jobNotFound(requestId: string): HttpResponse {
  return errorResponse(404, requestId, 'job_not_found', 'There is no such job.');
}

/** The jobs API's failures: what the caller can fix (4xx) and what is ours to retry (503). */
function failure(error: unknown, requestId: string, logger: Logger): HttpResponse {
  if (error instanceof UploadNotFoundError) {
    return errorResponse(422, requestId, 'upload_not_found', error.message, {
      issues: [{ path: 'document.upload_id', message: error.message }],
    });
  }
  if (error instanceof DocumentTooLargeError) {
    return errorResponse(413, requestId, 'payload_too_large', error.message);
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return errorResponse(409, requestId, 'idempotency_key_reused', error.message);
  }
  if (
    error instanceof JobStoreUnavailableError ||
    error instanceof DocumentStoreUnavailableError ||
    error instanceof JobQueueUnavailableError
  ) {
    logger.error('jobs API dependency unavailable', { requestId, error: error.message });
    return errorResponse(
      503,
      requestId,
      'service_unavailable',
      'The jobs service is unavailable; retry shortly.',
      {
        headers: { 'retry-after': '5' },
      },
    );
  }
  logger.error('jobs API failed', { requestId, error: error instanceof Error ? error.stack : String(error) });
  return errorResponse(500, requestId, 'internal_error', 'The request failed.');
}
