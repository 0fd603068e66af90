import {
  type FmGateway,
  type Logger,
  type ModelCatalog,
  makeApiGatewayHandler,
  makeChatEndpoint,
} from '@mangaassist/core';

export interface ChatSyncDependencies {
  readonly gateway: FmGateway;
  readonly catalog: ModelCatalog;
  readonly deadlineMs: number;
  readonly logger: Logger;
}

/**
 * The `POST /v1/chat` Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 * InferenceCompleted events are flushed before the handler returns, because Lambda may
 * freeze the environment as soon as it has.
 */
export function makeChatSyncHandler({ gateway, catalog, deadlineMs, logger }: ChatSyncDependencies) {
  return makeApiGatewayHandler(makeChatEndpoint({ gateway, catalog, deadlineMs, logger }), {
    afterResponse: () => gateway.flush(),
  });
}
