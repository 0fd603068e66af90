/**
 * Trigger: API Gateway REST `POST /v1/chat/stream` with response streaming (integration
 * `responseTransferMode: STREAM`; the function is invoked with InvokeWithResponseStream).
 * Validates like `POST /v1/chat`, then streams Server-Sent Events: `data: {"text":…}` per token as
 * it arrives, one usage event, `data: [DONE]`. Failure semantics: a failure before the first
 * token is a JSON error status (4xx/429/503/504); after it, an `error` event before `[DONE]`; a
 * client that goes away cancels the model call. The turn is stored only after a whole answer.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createChatPlatform } from '@mangaassist/chat/platform';
import { makeChatStreamHandler } from './chat-stream.js';

const logger = new Logger({ serviceName: 'chat-stream' });
const platform = createChatPlatform(chatConfigFromEnvironment(process.env), { logger });

// streamifyResponse wraps the handler at module load, as the Lambda runtime requires.
export const handler = makeChatStreamHandler({ ...platform, firstTokenDeadlineMs: platform.deadlineMs });
