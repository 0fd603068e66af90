import { type ChatService, makeTaskEndpoint } from '@mangaassist/chat';
import type { Logger } from '@mangaassist/commons';
import type { TaskName } from '@mangaassist/contracts';
import type { FmGateway } from '@mangaassist/fm-gateway';
import { makeApiGatewayHandler, type TenantResolver } from '@mangaassist/http/api-gateway';

export interface TasksDependencies {
  readonly task: TaskName;
  readonly chat: ChatService;
  readonly gateway: FmGateway;
  readonly resolveTenant: TenantResolver;
  readonly logger: Logger;
}

/** How long a response may wait for its InferenceCompleted event to reach the bus. */
const eventFlushMs = 300;

/**
 * The handler of one static route (`POST /v1/moderate | summarize | analyze`) over its
 * dependencies; one Lambda per route, so each route scales and is throttled on its own.
 */
export function makeTaskHandler({ task, chat, gateway, resolveTenant, logger }: TasksDependencies) {
  return makeApiGatewayHandler(makeTaskEndpoint({ task, chat, logger }), {
    resolveTenant,
    afterResponse: () => gateway.flush(eventFlushMs),
  });
}
