import { makeChatEndpoint } from '@mangaassist/chat';
import type { ChatPlatform } from '@mangaassist/chat/platform';
import { makeApiGatewayHandler } from '@mangaassist/http/api-gateway';

/** What the handler uses of the chat platform (`createChatPlatform`). */
export type ChatSyncDependencies = Pick<
  ChatPlatform,
  'chat' | 'gateway' | 'catalog' | 'deadlineMs' | 'resolveTenant' | 'logger'
>;

/** How long a response may wait for its InferenceCompleted event to reach the bus. */
const eventFlushMs = 300;

/**
 * The `POST /v1/chat` Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 * InferenceCompleted events are flushed (for at most 300 ms) before the handler returns,
 * because Lambda may freeze the environment as soon as it has.
 */
export function makeChatSyncHandler({
  chat,
  gateway,
  catalog,
  deadlineMs,
  resolveTenant,
  logger,
}: ChatSyncDependencies) {
  return makeApiGatewayHandler(makeChatEndpoint({ chat, catalog, deadlineMs, logger }), {
    resolveTenant,
    afterResponse: () => gateway.flush(eventFlushMs),
  });
}
