import {
  type ModerationVerdict,
  moderationVerdictSchema,
  type TaskName,
  type TaskResponse,
  taskRequestSchema,
  taskRoutes,
} from '@mangaassist/contracts';
import type { ChatService } from '../chat/chat-service.js';
import type { GatewayResult } from '../gateway/gateway-types.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { type TextLimits, TextRejectedError, validateUserText } from '../text/validate.js';
import { failureResponse } from './failure.js';
import { errorResponse, type HttpEndpoint, jsonResponse } from './http.js';
import { type JsonBodyLimits, readJsonBody } from './json-body.js';
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
 * The model's verdict, validated; a verdict that does not parse is never taken as safe (the
 * seed fails open): it comes back unsafe with `review_required: true` for a person to decide.
 */
export function parseModerationVerdict(text: string): ModerationVerdict & { review_required: boolean } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const verdict = moderationVerdictSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
      if (verdict.success) return { ...verdict.data, review_required: false };
    } catch {
      // falls through to the held-for-review verdict
    }
  }
  return {
    safe: false,
    severity: 'medium',
    categories: ['unverified'],
    reason: 'The model did not return a valid verdict; held for human review.',
    review_required: true,
  };
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
