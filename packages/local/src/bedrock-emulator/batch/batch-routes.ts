import { regionFromAuthorization } from '../auth.js';
import { EmulatedServiceError } from '../errors.js';
import {
  parseJsonBody,
  type RequestSource,
  type ResponseSink,
  readBody,
  sendJson,
} from '../http-exchange.js';
import type { BatchJobBook } from './batch-jobs.js';
import { parseCreateRequest, parseJobIdentifier, parseListQuery } from './batch-request.js';

/** The Bedrock control-plane paths of batch inference (the SDK's `@aws-sdk/client-bedrock`). */
export function isBatchPath(path: string): boolean {
  return (
    path === '/model-invocation-job' ||
    path === '/model-invocation-jobs' ||
    path.startsWith('/model-invocation-job/')
  );
}

type BatchRoute =
  | { readonly operation: 'CreateModelInvocationJob' | 'ListModelInvocationJobs' }
  | { readonly operation: 'GetModelInvocationJob' | 'StopModelInvocationJob'; readonly identifier: string };

/**
 * `POST /model-invocation-job`, `GET /model-invocation-jobs`, `GET /model-invocation-job/{id}` and
 * `POST /model-invocation-job/{id}/stop`; anything else is an unknown operation.
 */
function routeOf(method: string | undefined, path: string): BatchRoute {
  const [, collection, encodedIdentifier, action, ...rest] = path.split('/');
  if (rest.length === 0) {
    if (method === 'POST' && collection === 'model-invocation-job' && encodedIdentifier === undefined) {
      return { operation: 'CreateModelInvocationJob' };
    }
    if (method === 'GET' && collection === 'model-invocation-jobs' && encodedIdentifier === undefined) {
      return { operation: 'ListModelInvocationJobs' };
    }
    if (
      collection === 'model-invocation-job' &&
      encodedIdentifier !== undefined &&
      encodedIdentifier !== ''
    ) {
      const identifier = decodeLabel(encodedIdentifier);
      if (method === 'GET' && action === undefined) return { operation: 'GetModelInvocationJob', identifier };
      if (method === 'POST' && action === 'stop') return { operation: 'StopModelInvocationJob', identifier };
    }
  }
  throw new EmulatedServiceError('UnknownOperationException');
}

function decodeLabel(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new EmulatedServiceError('ValidationException', 'The job identifier is not a valid URI label.');
  }
}

/**
 * Answers one batch inference control-plane request from the job book. Checks run in the
 * service's order: route, signature scope, then the request.
 * @throws EmulatedServiceError for the error the service would answer with.
 */
export async function answerBatchRequest(
  book: BatchJobBook,
  request: RequestSource,
  response: ResponseSink,
  requestId: string,
): Promise<string> {
  const url = new URL(request.url ?? '/', 'http://bedrock.local');
  const route = routeOf(request.method, url.pathname);
  const region = regionFromAuthorization(request.headers.authorization);
  const answer = (body: unknown) => sendJson(response, 200, body, { 'x-amzn-requestid': requestId });
  switch (route.operation) {
    case 'CreateModelInvocationJob': {
      const input = parseCreateRequest(parseJsonBody(await readBody(request)));
      answer({ jobArn: book.create(region, input) });
      break;
    }
    case 'ListModelInvocationJobs':
      answer(book.list(region, parseListQuery(url.searchParams)));
      break;
    case 'GetModelInvocationJob':
      answer(book.get(region, parseJobIdentifier(route.identifier)));
      break;
    case 'StopModelInvocationJob':
      book.stop(region, parseJobIdentifier(route.identifier));
      answer({});
      break;
  }
  return route.operation;
}
