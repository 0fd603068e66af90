import { makeTaskEndpoint } from '@mangaassist/chat';
import type { ChatPlatform } from '@mangaassist/chat/platform';
import type { TaskName } from '@mangaassist/contracts';
import { makeApiGatewayHandler } from '@mangaassist/http/api-gateway';

/** The route, and what the handler uses of the task platform (`createTaskPlatform`). */
export interface TasksDependencies
  extends Pick<ChatPlatform, 'chat' | 'gateway' | 'resolveTenant' | 'logger'> {
  readonly task: TaskName;
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
