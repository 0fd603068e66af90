import { randomUUID } from 'node:crypto';
import { regionFromAuthorization } from './auth.js';
import type { BatchJobBook } from './batch/batch-jobs.js';
import { answerBatchRequest, isBatchPath } from './batch/batch-routes.js';
import { EmulatedServiceError, invalidModelIdMessage } from './errors.js';
import type { FaultBook } from './faults.js';
import {
  parseJsonBody,
  type RequestSource,
  type ResponseSink,
  readBody,
  sendError,
} from './http-exchange.js';
import type { EmulatorLogger } from './logger.js';
import { complete } from './model/completion.js';
import { fullPromptText } from './model/model-prompt.js';
import type { PromptCache } from './model/prompt-cache.js';
import { converse } from './operations/converse.js';
import { converseStream } from './operations/converse-stream.js';
import {
  type EmbeddingFamily,
  embeddingFamily,
  isEmbeddingModel,
  readEmbeddingRequest,
  sendEmbeddings,
} from './operations/embeddings.js';
import { invokeModel } from './operations/invoke-model.js';
import { invokeModelWithResponseStream } from './operations/invoke-model-stream.js';
import type { Operation } from './operations/operation.js';
import { Pacer, type Sleep } from './operations/pacer.js';
import type { RequestOutcome, RequestStats, WireProtocol } from './request-stats.js';
import type { ScriptBook } from './scripts.js';

const operationsByPathSuffix: Readonly<Record<string, Operation>> = {
  invoke: invokeModel,
  'invoke-with-response-stream': invokeModelWithResponseStream,
  converse,
  'converse-stream': converseStream,
};

export interface RouterDependencies {
  readonly faults: FaultBook;
  readonly scripts: ScriptBook;
  readonly promptCache: PromptCache;
  readonly stats: RequestStats;
  readonly knownModelIds: (modelId: string) => boolean;
  readonly sleep: Sleep;
  readonly logger: EmulatorLogger;
  readonly batch: BatchJobBook;
}

interface Route {
  readonly modelId: string;
  readonly operation: Operation;
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

/** `POST /model/{url-encoded model id}/{operation}`; anything else is an unknown operation. */
function routeOf(method: string | undefined, url: string | undefined): Route {
  const path = pathOf(url);
  const [empty, model, encodedModelId, suffix, ...rest] = path.split('/');
  const operation = suffix === undefined ? undefined : operationsByPathSuffix[suffix];
  if (
    method !== 'POST' ||
    empty !== '' ||
    model !== 'model' ||
    encodedModelId === undefined ||
    operation === undefined ||
    rest.length > 0
  ) {
    throw new EmulatedServiceError('UnknownOperationException');
  }
  try {
    return { modelId: decodeURIComponent(encodedModelId), operation };
  } catch {
    throw new EmulatedServiceError('ValidationException', invalidModelIdMessage);
  }
}

function protocolOf(httpVersion: string): WireProtocol {
  if (httpVersion.startsWith('2')) return 'h2';
  return httpVersion === '1.0' ? 'http/1.0' : 'http/1.1';
}

/**
 * The emulator's one request handler, for HTTP/1.1 and HTTP/2 alike. Runtime checks run in
 * Bedrock's order (route, signature scope, model id, body), then faults, then the local model
 * answers. The batch inference control plane (`/model-invocation-job…`) shares the port, as
 * `BedrockClient` and `BedrockRuntimeClient` can then share one endpoint URL.
 */
export function createRequestHandler(
  deps: RouterDependencies,
): (request: RequestSource, response: ResponseSink) => void {
  return (request, response) => {
    void (isBatchPath(pathOf(request.url))
      ? handleBatch(deps, request, response)
      : handle(deps, request, response));
  };
}

/** A control-plane request: not counted in the stats, which count model invocations. */
async function handleBatch(
  deps: RouterDependencies,
  request: RequestSource,
  response: ResponseSink,
): Promise<void> {
  const requestId = randomUUID();
  let operation = 'unknown';
  let outcome: RequestOutcome = 'ok';
  try {
    operation = await answerBatchRequest(deps.batch, request, response, requestId);
  } catch (error) {
    outcome = answerWithError(deps.logger, response, error, requestId);
  } finally {
    deps.logger.debug('bedrock emulator request', { operation, outcome, requestId });
  }
}

async function handle(
  deps: RouterDependencies,
  request: RequestSource,
  response: ResponseSink,
): Promise<void> {
  const startedAt = performance.now();
  const requestId = randomUUID();
  const clientGone = new AbortController();
  response.once('close', () => {
    if (!response.writableEnded) clientGone.abort();
  });
  const record = {
    region: 'unknown',
    modelId: '',
    operation: 'unknown',
    protocol: protocolOf(request.httpVersion),
  };
  let outcome: RequestOutcome = 'ok';
  try {
    const route = routeOf(request.method, request.url);
    record.modelId = route.modelId;
    record.operation = route.operation.name;
    record.region = regionFromAuthorization(request.headers.authorization);
    if (!deps.knownModelIds(route.modelId)) {
      throw new EmulatedServiceError('ValidationException', invalidModelIdMessage);
    }
    const body = parseJsonBody(await readBody(request));
    const family = route.operation === invokeModel ? embeddingFamily(route.modelId) : undefined;
    if (family === undefined && isEmbeddingModel(route.modelId)) {
      throw new EmulatedServiceError(
        'ValidationException',
        route.operation === invokeModel
          ? 'The local emulator answers Cohere Embed v3 and Titan Text Embeddings V2 only.'
          : "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
      );
    }
    if (family !== undefined) {
      outcome = await answerEmbeddings(
        deps,
        family,
        body,
        record,
        response,
        clientGone.signal,
        requestId,
        startedAt,
      );
      return;
    }
    const prompt = route.operation.readPrompt(body);
    const identity = { region: record.region, modelId: route.modelId };
    const plan = deps.faults.plan({ ...identity, promptText: fullPromptText(prompt) });
    const pacer = new Pacer(deps.sleep, clientGone.signal);
    if (
      plan.error !== undefined &&
      (plan.error !== 'ModelStreamErrorException' || !route.operation.streaming)
    ) {
      if (!(await pacer.wait(plan.ttftMs))) {
        outcome = 'aborted';
        return;
      }
      // A stream error has no place in a whole response; ModelErrorException (same 424) is its non-stream twin.
      throw new EmulatedServiceError(
        plan.error === 'ModelStreamErrorException' ? 'ModelErrorException' : plan.error,
      );
    }
    const completion = complete(prompt, identity, {
      scriptedReply: (text) => deps.scripts.take(text),
      promptCache: deps.promptCache,
    });
    outcome = await route.operation.respond({
      requestId,
      modelId: route.modelId,
      completion,
      plan,
      response,
      pacer,
      startedAt,
    });
  } catch (error) {
    outcome = answerWithError(deps.logger, response, error, requestId);
  } finally {
    deps.stats.record(record, outcome);
    deps.logger.debug('bedrock emulator request', { ...record, outcome, requestId });
  }
}

/**
 * An embedding model's InvokeModel (Cohere Embed, Titan Text Embeddings): the body checked as
 * Bedrock checks it, faults and latency as for text models (matched on the texts), then vectors.
 */
async function answerEmbeddings(
  deps: RouterDependencies,
  family: EmbeddingFamily,
  body: unknown,
  record: { readonly region: string; readonly modelId: string },
  response: ResponseSink,
  clientGone: AbortSignal,
  requestId: string,
  startedAt: number,
): Promise<RequestOutcome> {
  const embedding = readEmbeddingRequest(family, body);
  const plan = deps.faults.plan({
    region: record.region,
    modelId: record.modelId,
    promptText: embedding.texts.join('\n'),
  });
  if (!(await new Pacer(deps.sleep, clientGone).wait(plan.ttftMs))) return 'aborted';
  if (plan.error !== undefined) {
    throw new EmulatedServiceError(
      plan.error === 'ModelStreamErrorException' ? 'ModelErrorException' : plan.error,
    );
  }
  sendEmbeddings(response, embedding, requestId, Math.round(performance.now() - startedAt));
  return 'ok';
}

function answerWithError(
  logger: EmulatorLogger,
  response: ResponseSink,
  error: unknown,
  requestId: string,
): RequestOutcome {
  const serviceError =
    error instanceof EmulatedServiceError
      ? error
      : new EmulatedServiceError('InternalServerException', 'Internal error in the local emulator.');
  if (!(error instanceof EmulatedServiceError)) {
    logger.warn('bedrock emulator failed a request', { requestId, error: String(error) });
  }
  if (response.headersSent) {
    // Mid-stream the status line is gone; ending the stream early is all that is left.
    if (!response.writableEnded) response.end();
  } else {
    sendError(response, serviceError, requestId);
  }
  return serviceError.errorType;
}
