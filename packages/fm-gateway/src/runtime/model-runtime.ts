/**
 * The model-runtime port: one Bedrock Runtime endpoint (one region, one API style) that can
 * answer a prompt whole or as a stream. Adapters live in `../adapters`; the gateway composes
 * routing, caching and resilience on top of this port and never sees an SDK type.
 */

export type ChatRole = 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/**
 * Why the model stopped, in Bedrock Converse's names (the Anthropic body's names map onto them).
 * `other` stands for a reason this code does not know yet; like every reason but `end_turn`, it
 * keeps an answer out of the response cache.
 */
export const stopReasons = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'guardrail_intervened',
  'content_filtered',
  'model_context_window_exceeded',
  'other',
] as const;
export type StopReason = (typeof stopReasons)[number];

/** Maps a stop reason reported by Bedrock (either API) onto `StopReason`. */
export function toStopReason(reported: string | null | undefined): StopReason {
  if (reported === 'refusal') return 'content_filtered';
  return (stopReasons as readonly string[]).includes(reported ?? '') ? (reported as StopReason) : 'other';
}

/** A Bedrock guardrail and the version to apply (`DRAFT` or a number). */
export interface GuardrailRef {
  /** The guardrail's id or ARN. */
  readonly id: string;
  readonly version: string;
}

/**
 * What a guardrail decided about a call: `intervened` when it blocked the input (or masked or
 * blocked the output), with the policies that acted (`PROMPT_ATTACK`, `HATE`, a denied topic's
 * name…); `none` when it let the call through.
 */
export interface GuardrailVerdict {
  readonly action: 'none' | 'intervened';
  readonly filters: readonly string[];
}

/** Which parts of a request are the caller's new input: what a guardrail evaluates. */
export interface CallerInput {
  /** Index of the first message holding new input; it and every message after it are evaluated. */
  readonly fromMessage: number;
  /** The caller's own instructions, the end of `system`: evaluated too. */
  readonly instructions?: string;
}

export interface ModelRequest {
  /** The id sent to Bedrock: a foundation-model id or an inference-profile id (`jp.anthropic…`). */
  readonly modelId: string;
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  readonly temperature?: number;
  /** Put a Bedrock prompt-cache point after the system prompt (only for models that support it). */
  readonly promptCache?: boolean;
  /**
   * Evaluate the caller's new input (`callerInput`: by default the last message) with this
   * guardrail, as Converse `guardContent`; the deployment's system prompt and the stored history
   * are not evaluated again.
   */
  readonly guardrail?: GuardrailRef;
  /** @default the last message */
  readonly callerInput?: CallerInput;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens served from Bedrock's prompt cache. */
  readonly cacheReadInputTokens: number;
  /** Input tokens written to Bedrock's prompt cache. */
  readonly cacheWriteInputTokens: number;
}

export interface ModelOutput {
  readonly text: string;
  readonly stopReason: StopReason;
  readonly usage: TokenUsage;
  /** Set when the request carried a guardrail. */
  readonly guardrail?: GuardrailVerdict;
}

/** A stream is zero or more deltas followed by exactly one `end`; any failure is thrown. */
export type ModelStreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'end';
      readonly stopReason: StopReason;
      readonly usage: TokenUsage;
      /** Set when the request carried a guardrail. */
      readonly guardrail?: GuardrailVerdict;
    };

export type ModelApi = 'converse' | 'invoke';

export interface ModelRuntime {
  readonly region: string;
  readonly api: ModelApi;
  /** Answers whole. Rejects with the SDK's error (classify it with `classifyModelError`). */
  invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelOutput>;
  /** Answers as a stream of deltas ending with usage and stop reason. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent>;
}

/** Returns the runtime for a region and API style; adapters build and reuse one client per region. */
export type ModelRuntimeProvider = (region: string, api: ModelApi) => ModelRuntime;

export const emptyUsage: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
};
