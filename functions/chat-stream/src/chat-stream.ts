/**
 * Trigger: API Gateway REST `POST /v1/chat/stream`, a Lambda proxy integration with response
 * streaming (`responseTransferMode: STREAM`, invoked through InvokeWithResponseStream).
 * Validates the request as `POST /v1/chat` does, then streams the answer of the chat service
 * (budget, session history, gateway) as Server-Sent Events, token by token.
 * Failure semantics: anything that fails before the first token is a JSON error with its status
 * (4xx bad input, 429 budget/throttling, 503, 504); after it, an `error` event then `[DONE]`.
 * A client that goes away cancels the model call. Not idempotent: each call is a new answer.
 */

import { type ChatService, makeChatRequestParser, makeChatStreamEndpoint } from '@mangaassist/chat';
import type { Logger } from '@mangaassist/commons';
import type { FmGateway, ModelCatalog } from '@mangaassist/fm-gateway';
import {
  type AwsLambdaStreamingRuntime,
  makeStreamingApiGatewayHandler,
  type TenantResolver,
} from '@mangaassist/http/api-gateway';

export interface ChatStreamDependencies {
  readonly chat: ChatService;
  /** The models a request may name (the request schema's `model` values). */
  readonly catalog: ModelCatalog;
  /** Budget for the first token. */
  readonly firstTokenDeadlineMs: number;
  /** API key id (from API Gateway) → tenant id. */
  readonly resolveTenant: TenantResolver;
  readonly logger: Logger;
  /** Its InferenceCompleted events are flushed after the stream ends. */
  readonly gateway: Pick<FmGateway, 'flush'>;
  /** @default globalThis.awslambda (the Lambda Node.js runtime's); `pnpm dev` passes its local one */
  readonly runtime?: AwsLambdaStreamingRuntime;
}

/** How long the end of a stream may wait for its InferenceCompleted event to reach the bus. */
const eventFlushMs = 300;

/**
 * The `POST /v1/chat/stream` Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 */
export function makeChatStreamHandler({
  chat,
  catalog,
  firstTokenDeadlineMs,
  resolveTenant,
  logger,
  gateway,
  runtime,
}: ChatStreamDependencies) {
  const endpoint = makeChatStreamEndpoint({
    chat,
    parse: makeChatRequestParser({ catalog }),
    firstTokenDeadlineMs,
    logger,
  });
  return makeStreamingApiGatewayHandler(endpoint, runtime, {
    resolveTenant,
    afterResponse: () => gateway.flush(eventFlushMs),
    logger,
  });
}
