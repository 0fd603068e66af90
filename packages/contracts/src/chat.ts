import * as z from 'zod/mini';

/**
 * `POST /v1/chat` — request and response (seed 001 OpenAPI: 1–50 messages, role user|assistant,
 * content ≤ 100 000 chars, max_tokens 1–4096 default 1024). The model names a request may use
 * come from the deployment's model catalog, so the schema is built from them.
 */

export const chatLimits = {
  maxMessages: 50,
  maxContentChars: 100_000,
  maxSystemChars: 20_000,
  maxTokens: 4096,
  defaultMaxTokens: 1024,
} as const;

export const routingModes = ['auto', 'fast', 'balanced', 'quality'] as const;

export const chatMessageSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().check(z.minLength(1), z.maxLength(chatLimits.maxContentChars)),
});

export const sessionIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{8,128}$/, 'letters, digits, "-" or "_", 8 to 128 characters'));

/** Builds the request schema for a catalog's model names (keys and aliases); `auto` is always allowed. */
export function makeChatRequestSchema(modelNames: readonly string[]) {
  const names = [...new Set(['auto', ...modelNames])] as [string, ...string[]];
  return z.strictObject({
    messages: z.array(chatMessageSchema).check(z.minLength(1), z.maxLength(chatLimits.maxMessages)),
    max_tokens: z._default(
      z.int().check(z.minimum(1), z.maximum(chatLimits.maxTokens)),
      chatLimits.defaultMaxTokens,
    ),
    model: z._default(z.enum(names), 'auto'),
    system: z.optional(z.string().check(z.minLength(1), z.maxLength(chatLimits.maxSystemChars))),
    session_id: z.optional(sessionIdSchema),
    temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  });
}

export type ChatRequest = z.output<ReturnType<typeof makeChatRequestSchema>>;

/**
 * Conversation rules the JSON Schema cannot express (Bedrock rejects them with a
 * ValidationException): turns alternate and the conversation starts and ends with the user.
 * Returns one issue per offending message, in zod's issue shape.
 */
export function conversationIssues(
  messages: readonly { role: string }[],
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  messages.forEach((message, index) => {
    if (index === 0 && message.role !== 'user') {
      issues.push({
        path: ['messages', 0, 'role'],
        message: 'the conversation must start with a user message',
      });
    }
    if (index > 0 && message.role === messages[index - 1]?.role) {
      issues.push({
        path: ['messages', index, 'role'],
        message: 'roles must alternate between user and assistant',
      });
    }
  });
  const last = messages.at(-1);
  const lastIndex = messages.length - 1;
  // The last message may already be reported (a lone assistant message, or two in a row).
  const lastReported = issues.some((issue) => issue.path[1] === lastIndex);
  if (last && last.role !== 'user' && !lastReported) {
    issues.push({
      path: ['messages', lastIndex, 'role'],
      message: 'the last message must be from the user',
    });
  }
  return issues;
}

export const usageSchema = z.object({
  input_tokens: z.int().check(z.nonnegative()),
  output_tokens: z.int().check(z.nonnegative()),
  cache_read_input_tokens: z.int().check(z.nonnegative()),
  cache_write_input_tokens: z.int().check(z.nonnegative()),
});

/**
 * What the deployment's Bedrock guardrail decided about the new message: `intervened` when it
 * blocked it (the text is then the guardrail's message, and the turn is not stored), with the
 * policies that acted (`PROMPT_ATTACK`, a denied topic's name…). Present only when a guardrail
 * checked this answer — not for cached or degraded answers.
 */
export const guardrailVerdictSchema = z.object({
  action: z.enum(['none', 'intervened']),
  filters: z.array(z.string()),
});

/**
 * A catalog product an answer is grounded in, as the catalog had it when the answer was made:
 * every price, ISBN and volume the answer states is one of its cited products'.
 */
export const citationSchema = z.object({
  product_id: z.string(),
  title: z.string(),
  title_en: z.string(),
  volume: z.int().check(z.positive()),
  /** Yen, tax included. */
  price_jpy: z.int().check(z.nonnegative()),
  /** ISBN-13, digits only. */
  isbn: z.string().check(z.regex(/^97[89]\d{10}$/)),
  in_stock: z.boolean(),
});

export type Citation = z.infer<typeof citationSchema>;

export const chatResponseSchema = z.object({
  request_id: z.string(),
  text: z.string(),
  /** Catalog key of the model that answered. */
  model: z.string(),
  /** Bedrock id that answered (a foundation-model or inference-profile id). */
  model_id: z.string(),
  region: z.string(),
  stop_reason: z.string(),
  usage: usageSchema,
  cost_usd: z.number().check(z.nonnegative()),
  latency_ms: z.number().check(z.nonnegative()),
  /** Served from the response cache. */
  cached: z.boolean(),
  /** A last-resort answer (stale cache or the graceful degraded text), not a fresh model answer. */
  degraded: z.boolean(),
  guardrail: z.optional(guardrailVerdictSchema),
  session_id: z.optional(z.string()),
  /**
   * With a session: whether this turn (question and answer) is now in its history. `false` for a
   * degraded answer, a message the guardrail blocked, or when the session store failed to keep
   * it — the next turn will not see it.
   */
  stored: z.optional(z.boolean()),
  routing: z.object({ requested: z.string(), model: z.string(), reason: z.string() }),
  /** The catalog products the answer is grounded in; absent where the deployment has no catalog. */
  citations: z.optional(z.array(citationSchema)),
});

export type ChatResponse = z.infer<typeof chatResponseSchema>;

/** Every error body of the public API: a stable code, a human message, optional field issues. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    request_id: z.string(),
    issues: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  }),
});

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
