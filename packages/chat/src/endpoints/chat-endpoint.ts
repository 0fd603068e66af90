import { type Logger, silentLogger } from '@mangaassist/commons';
import { type ChatResponse, conversationIssues, makeChatRequestSchema } from '@mangaassist/contracts';
import {
  type ModelCatalog,
  modelNames,
  sanitizeForPrompt,
  type TextLimits,
  TextRejectedError,
  validateUserText,
} from '@mangaassist/fm-gateway';
import {
  errorResponse,
  type HttpEndpoint,
  type HttpRequest,
  type HttpResponse,
  type JsonBodyLimits,
  jsonResponse,
  readJsonBody,
} from '@mangaassist/http';
import type { ChatAnswer, ChatService, ChatTurn } from '../chat-service.js';
import { failureResponse } from './failure.js';
import { citationsJson, toAnswerJson } from './usage-json.js';

export interface ChatRequestOptions {
  readonly catalog: ModelCatalog;
  /** Per-message limits of the Japanese-aware checks (user messages). @default 16 KiB, 5 % control characters */
  readonly textLimits?: TextLimits;
  /** Limits of the caller's system instructions. @default 64 KiB */
  readonly systemTextLimits?: TextLimits;
  readonly bodyLimits?: JsonBodyLimits;
}

export interface ChatEndpointOptions extends ChatRequestOptions {
  readonly chat: ChatService;
  /** Budget for one answer. @default 3000 (the chat SLA) */
  readonly deadlineMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export type ParsedChatRequest = { ok: true; turn: ChatTurn } | { ok: false; response: HttpResponse };

/**
 * Reads a chat request body and validates it twice — the contracts schema (400 with a reason
 * per field, as API Gateway's model does) and the Japanese-aware text checks (422) — into the
 * `ChatTurn` every chat door hands to the `ChatService`. Shared by `POST /v1/chat` and
 * `POST /v1/chat/stream`.
 */
export function makeChatRequestParser(
  options: ChatRequestOptions,
): (request: HttpRequest) => ParsedChatRequest {
  const schema = makeChatRequestSchema(modelNames(options.catalog));
  const systemLimits = options.systemTextLimits ?? { maxBytes: 64 * 1024 };
  return (request) => {
    const { requestId } = request;
    const body = readJsonBody(request, schema, options.bodyLimits);
    if (!body.ok) return body;
    const chat = body.value;

    const conversation = conversationIssues(chat.messages);
    if (conversation.length > 0) {
      const issues = conversation.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      return {
        ok: false,
        response: errorResponse(400, requestId, 'validation_failed', 'The conversation is not well formed.', {
          issues,
        }),
      };
    }
    try {
      const messages = chat.messages.map((message) => ({
        role: message.role,
        content:
          message.role === 'user'
            ? validateUserText(message.content, options.textLimits).text
            : sanitizeForPrompt(message.content),
      }));
      const system = chat.system === undefined ? undefined : validateUserText(chat.system, systemLimits).text;
      return {
        ok: true,
        turn: {
          tenantId: request.tenantId,
          requestId,
          model: chat.model,
          messages,
          maxTokens: chat.max_tokens,
          ...(system !== undefined ? { system } : {}),
          ...(chat.temperature !== undefined ? { temperature: chat.temperature } : {}),
          ...(chat.session_id !== undefined ? { sessionId: chat.session_id } : {}),
        },
      };
    } catch (error) {
      if (!(error instanceof TextRejectedError)) throw error;
      return {
        ok: false,
        response: errorResponse(422, requestId, 'content_rejected', error.message, {
          issues: [{ path: error.reason, message: error.message }],
        }),
      };
    }
  };
}

/**
 * `POST /v1/chat`: validates (see `makeChatRequestParser`), answers through the chat service
 * (session history, budget, gateway) and returns `ChatResponse`. Errors are JSON with a stable
 * code and the request id; bad input never produces a 5xx.
 */
export function makeChatEndpoint(options: ChatEndpointOptions): HttpEndpoint {
  const parse = makeChatRequestParser(options);
  const logger = options.logger ?? silentLogger;
  return async (request, signal) => {
    const parsed = parse(request);
    if (!parsed.ok) return parsed.response;
    try {
      const result = await options.chat.complete(parsed.turn, {
        ...(signal ? { signal } : {}),
        deadlineMs: options.deadlineMs ?? 3000,
      });
      return jsonResponse(200, request.requestId, toChatResponse(result, parsed.turn.sessionId));
    } catch (error) {
      return failureResponse(error, request.requestId, logger);
    }
  };
}

/** The public response shape (snake_case, as the contract says). */
export function toChatResponse(result: ChatAnswer, sessionId?: string): ChatResponse {
  return {
    request_id: result.requestId,
    text: result.text,
    ...toAnswerJson(result),
    ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    ...(result.stored !== undefined ? { stored: result.stored } : {}),
    routing: result.routing,
    ...citationsJson(result),
  };
}
