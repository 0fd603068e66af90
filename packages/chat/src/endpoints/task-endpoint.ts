import { type Logger, silentLogger } from '@mangaassist/commons';
import { type TaskName, type TaskResponse, taskRequestSchema, taskRoutes } from '@mangaassist/contracts';
import type { GatewayResult } from '@mangaassist/fm-gateway';
import {
  parseModerationVerdict,
  type TextLimits,
  TextRejectedError,
  validateUserText,
} from '@mangaassist/fm-gateway';
import {
  errorResponse,
  type HttpEndpoint,
  type JsonBodyLimits,
  jsonResponse,
  readJsonBody,
} from '@mangaassist/http';
import type { ChatService } from '../chat-service.js';
import { failureResponse } from './failure.js';
import { toAnswerJson } from './usage-json.js';

export interface TaskEndpointOptions {
  readonly task: TaskName;
  readonly chat: ChatService;
  /** @default 29 000 (API Gateway's ceiling: documents take longer than chat) */
  readonly deadlineMs?: number;
  /** @default 256 KiB of text, 5 % control characters */
  readonly textLimits?: TextLimits;
  readonly bodyLimits?: JsonBodyLimits;
  /** @default silentLogger */
  readonly logger?: Logger;
}

const personas: Record<TaskName, string> = {
  moderate:
    'You are a content moderator for a Japanese manga store. You judge customer-written text ' +
    'for abuse, harassment, threats, hate, sexual content involving minors, spam and personal data.',
  summarize: 'You summarise text for the staff of a Japanese manga store, in the language of the text.',
  analyze:
    'You are an analyst for a Japanese manga store. You analyse text carefully and explain your ' +
    'reasoning, in the language of the text.',
};

function prompt(task: TaskName, text: string, instructions: string | undefined): string {
  const focus = instructions ? `\n\nFocus: ${instructions}` : '';
  switch (task) {
    case 'moderate':
      return (
        `Analyze this customer text for inappropriate content.\n\nText: ${text}\n\n` +
        'Respond with only a JSON object:\n' +
        '{"safe": true/false, "severity": "none/low/medium/high/critical", ' +
        '"categories": ["list of flagged categories"], "reason": "brief explanation"}'
      );
    case 'summarize':
      return `Summarize the following text.${focus}\n\n${text}`;
    case 'analyze':
      return `Analyze the following text.${focus}\n\n${text}`;
  }
}

/**
 * A static route (seed 001 §2.4.4): `POST /v1/moderate` always asks the fast model,
 * `/v1/summarize` the balanced one, `/v1/analyze` the quality one. Validation, budgets and
 * error mapping are the chat API's.
 */
export function makeTaskEndpoint(options: TaskEndpointOptions): HttpEndpoint {
  const { task } = options;
  const logger = options.logger ?? silentLogger;
  const limits = options.textLimits ?? { maxBytes: 256 * 1024 };
  return async (request, signal) => {
    const { requestId } = request;
    const body = readJsonBody(request, taskRequestSchema, options.bodyLimits);
    if (!body.ok) return body.response;
    let text: string;
    try {
      text = validateUserText(body.value.text, limits).text;
    } catch (error) {
      if (!(error instanceof TextRejectedError)) throw error;
      return errorResponse(422, requestId, 'content_rejected', error.message, {
        issues: [{ path: error.reason, message: error.message }],
      });
    }
    try {
      const result = await options.chat.complete(
        {
          tenantId: request.tenantId,
          requestId,
          model: taskRoutes[task].model,
          persona: personas[task],
          messages: [{ role: 'user', content: prompt(task, text, body.value.instructions) }],
          maxTokens: body.value.max_tokens,
          ...(task === 'moderate' ? { temperature: 0 } : {}),
        },
        { ...(signal ? { signal } : {}), deadlineMs: options.deadlineMs ?? 29_000 },
      );
      return jsonResponse(200, requestId, toTaskResponse(task, result));
    } catch (error) {
      return failureResponse(error, requestId, logger);
    }
  };
}

function toTaskResponse(task: TaskName, result: GatewayResult): TaskResponse {
  return {
    request_id: result.requestId,
    task,
    text: result.text,
    ...(task === 'moderate' ? { verdict: parseModerationVerdict(result.text) } : {}),
    ...toAnswerJson(result),
  };
}
