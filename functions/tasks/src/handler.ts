/**
 * Trigger: API Gateway REST `POST /v1/moderate`, `/v1/summarize` or `/v1/analyze` — one function
 * per route, which `TASK_NAME` names (static routing: moderate → fast, summarize → balanced,
 * analyze → quality). Validates, checks the tenant's budget and answers through the chat service.
 * Failure semantics: as `POST /v1/chat`; a moderation verdict that does not parse, contradicts
 * itself or says safe amid other text is never "safe" — it comes back flagged for human review.
 * Stateless; not idempotent.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createTaskPlatform } from '@mangaassist/chat/platform';
import { ConfigurationError } from '@mangaassist/commons';
import { gatewayEnvironment, taskNames } from '@mangaassist/contracts';
import { makeTaskHandler } from './tasks.js';

const task = taskNames.find((name) => name === process.env[gatewayEnvironment.taskName]);
if (!task) {
  throw new ConfigurationError(`${gatewayEnvironment.taskName} must be one of ${taskNames.join(', ')}`);
}
const logger = new Logger({ serviceName: `task-${task}` });

export const handler = makeTaskHandler({
  task,
  ...createTaskPlatform(chatConfigFromEnvironment(process.env), { logger }),
});
