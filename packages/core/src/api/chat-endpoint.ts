import { type ChatResponse, conversationIssues, makeChatRequestSchema } from '@mangaassist/contracts';
import { type ModelCatalog, modelNames } from '../catalog/model-catalog.js';
import type { FmGateway } from '../gateway/fm-gateway.js';
import type { GatewayResult } from '../gateway/gateway-types.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import type { ChatMessage } from '../runtime/model-runtime.js';
import { sanitizeForPrompt } from '../text/sanitize.js';
import { type TextLimits, TextRejectedError, validateUserText } from '../text/validate.js';
import { gatewayErrorResponse } from './gateway-error-response.js';
import { errorResponse, type HttpEndpoint, jsonResponse } from './http.js';
import { type JsonBodyLimits, readJsonBody } from './json-body.js';

export interface ChatEndpointOptions {
  readonly gateway: FmGateway;
  readonly catalog: ModelCatalog;
  /** Budget for one answer. @default 3000 (the chat SLA) */
  readonly deadlineMs?: number;
  /** Per-message limits of the Japanese-aware checks (user messages). @default 16 KiB, 5 % control characters */
  readonly textLimits?: TextLimits;
  /** Limits of the system prompt. @default 64 KiB */
  readonly systemTextLimits?: TextLimits;
  readonly bodyLimits?: JsonBodyLimits;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * `POST /v1/chat`: validates the body twice — the contracts schema (400 with a reason per
 * field, as API Gateway's model does) and the Japanese-aware text checks (422) — then asks the
 * gateway and answers `ChatResponse`. Errors are JSON with a stable code and the request id;
 * bad input never produces a 5xx.
 */
export function makeChatEndpoint(options: ChatEndpointOptions): HttpEndpoint {
  const schema = makeChatRequestSchema(modelNames(options.catalog));
  const logger = options.logger ?? silentLogger;
  const systemLimits = options.systemTextLimits ?? { maxBytes: 64 * 1024 };

  return async (request, signal) => {
    const { requestId } = request;
    const body = readJsonBody(request, schema, options.bodyLimits);
    if (!body.ok) return body.response;
    const chat = body.value;

    const conversation = conversationIssues(chat.messages);
    if (conversation.length > 0) {
      const issues = conversation.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      return errorResponse(400, requestId, 'validation_failed', 'The conversation is not well formed.', {
        issues,
      });
    }

    let messages: ChatMessage[];
    let system: string | undefined;
    try {
      messages = chat.messages.map((message) => ({
        role: message.role,
        content:
          message.role === 'user'
            ? validateUserText(message.content, options.textLimits).text
            : sanitizeForPrompt(message.content),
      }));
      system = chat.system === undefined ? undefined : validateUserText(chat.system, systemLimits).text;
    } catch (error) {
      if (error instanceof TextRejectedError) {
        return errorResponse(422, requestId, 'content_rejected', error.message, {
          issues: [{ path: error.reason, message: error.message }],
        });
      }
      throw error;
    }

    try {
      const result = await options.gateway.complete(
        {
          tenantId: request.tenantId,
          model: chat.model,
          ...(system !== undefined ? { system } : {}),
          messages,
          maxTokens: chat.max_tokens,
          ...(chat.temperature !== undefined ? { temperature: chat.temperature } : {}),
          ...(chat.session_id !== undefined ? { sessionId: chat.session_id } : {}),
          requestId,
        },
        { ...(signal ? { signal } : {}), deadlineMs: options.deadlineMs ?? 3000 },
      );
      return jsonResponse(200, requestId, toChatResponse(result, chat.session_id));
    } catch (error) {
      return gatewayErrorResponse(error, requestId, logger);
    }
  };
}

/** The public response shape (snake_case, as the contract says). */
export function toChatResponse(result: GatewayResult, sessionId?: string): ChatResponse {
  return {
    request_id: result.requestId,
    text: result.text,
    model: result.model,
    model_id: result.modelId,
    region: result.region,
    stop_reason: result.stopReason,
    usage: {
      input_tokens: result.usage.inputTokens,
      output_tokens: result.usage.outputTokens,
      cache_read_input_tokens: result.usage.cacheReadInputTokens,
      cache_write_input_tokens: result.usage.cacheWriteInputTokens,
    },
    cost_usd: result.costUsd,
    latency_ms: Math.round(result.latencyMs),
    cached: result.cached,
    degraded: result.degraded,
    ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    routing: result.routing,
  };
}
