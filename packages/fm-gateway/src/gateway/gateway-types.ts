import type { Geography } from '../catalog/geography.js';
import type { RouteDecision, RouteRequest } from '../routing/model-router.js';
import type {
  CallerInput,
  ChatMessage,
  GuardrailVerdict,
  StopReason,
  TokenUsage,
} from '../runtime/model-runtime.js';

/** What a caller asks the gateway for. */
export interface GatewayRequest {
  /** Whose request: part of the cache key and of every event, so tenants never share answers. */
  readonly tenantId: string;
  /** A catalog key, an alias (`fast | balanced | quality`) or `auto`. @default 'auto' */
  readonly model?: string;
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  /** @default 1024, and never more than the model's catalog limit */
  readonly maxTokens?: number;
  /** @default the model's catalog temperature */
  readonly temperature?: number;
  /** Makes A/B assignment sticky and correlates events. */
  readonly sessionId?: string;
  /** @default a new UUID */
  readonly requestId?: string;
  /** Restricts where the data may be processed (`['jp', 'apac']`). @default the gateway's policy */
  readonly geographies?: readonly Geography[];
  /** Read and write the response cache. @default true */
  readonly useCache?: boolean;
  /**
   * The event chain a consumer's call belongs to: its `InferenceCompleted` carries it, so the
   * chain-depth guard counts across the model call. @default - not part of a chain
   */
  readonly chain?: { readonly depth: number; readonly sourceEventId: string };
  /**
   * Which messages (and which end of `system`) the caller wrote for this call, as opposed to a
   * stored history or the deployment's prompt: what the guardrail evaluates. @default the last message
   */
  readonly callerInput?: CallerInput;
}

export interface GatewayCallOptions {
  /** The caller's signal (a client that went away): stops everything, reported as an abort. */
  readonly signal?: AbortSignal;
  /**
   * Budget for a complete answer, or for the first token of a stream.
   * @default the gateway's `defaultDeadlineMs` (3000: the chat SLA)
   */
  readonly deadlineMs?: number;
  /**
   * Streams only: called once when a stream ends after its first token without finishing (it
   * broke, or the caller stopped reading), with the estimated spend — Bedrock reports usage only
   * at the end. The chat service charges it to the tenant's budget.
   */
  readonly onAbandoned?: (spend: {
    readonly model: string;
    readonly usage: TokenUsage;
    readonly costUsd: number;
  }) => void;
}

/** Chooses the catalog key for a request; throws `UnknownModelError` for names it cannot resolve. */
export type ModelSelector = (request: RouteRequest) => RouteDecision;

/** One model at one target, as the gateway tried it (or chose not to). */
export interface AttemptRecord {
  readonly model: string;
  readonly region: string;
  /** Bedrock id tried; empty when the target was skipped before an id applied. */
  readonly modelId: string;
  readonly outcome: 'success' | 'failed' | 'skipped';
  /** Calls made to Bedrock at this target (retries included). */
  readonly calls: number;
  /** Error code of the last failure (`ThrottlingException`, `DeadlineExceeded` …). */
  readonly error?: string;
  /** Why a target was skipped: `cooling-down`, `circuit-open`, `no-profile`, `not-on-demand`, `geography`. */
  readonly reason?: string;
}

/**
 * Watches each target the ladder tries — one model at one region, its retries included — from
 * its first call to its answer or failure: a tracing span per target, where the platform traces.
 */
export interface AttemptTracer {
  /** The target's record as it starts; `end` is called once, with the record as it ended. */
  start(attempt: AttemptRecord): TracedAttempt;
}

/** An attempt being traced. */
export interface TracedAttempt {
  /** Called once, with the record as the attempt ended. */
  end(attempt: AttemptRecord): void;
  /** Runs the attempt's calls, so what traces them nests under the attempt. */
  within?<T>(work: () => T): T;
}

/** One answer, however it was produced. */
export interface GatewayResult {
  readonly requestId: string;
  readonly text: string;
  /** Catalog key of the model that answered; `none` for the degraded answer. */
  readonly model: string;
  /** Bedrock id that answered (`jp.anthropic.…`); `none` for the degraded answer. */
  readonly modelId: string;
  /** Region that answered; `none` for the degraded answer. */
  readonly region: string;
  readonly stopReason: StopReason;
  /** Tokens this request consumed (zero when served from the cache). */
  readonly usage: TokenUsage;
  /** Estimated cost of this request in USD, from the catalog's prices. */
  readonly costUsd: number;
  readonly latencyMs: number;
  /** Time to first token; streams only. */
  readonly ttftMs?: number;
  /** Served from the response cache. */
  readonly cached: boolean;
  /** A cached answer older than its TTL, served because no model could answer. */
  readonly stale: boolean;
  /** A last resort (stale cache or the graceful degraded text), not a fresh model answer. */
  readonly degraded: boolean;
  /**
   * What the guardrail decided about the model's answer; absent when no guardrail applied (none
   * configured, or the answer came from the cache or the degraded path).
   */
  readonly guardrail?: GuardrailVerdict;
  readonly routing: RouteDecision;
  readonly attempts: readonly AttemptRecord[];
}

/** A gateway stream: deltas as they arrive, then exactly one `complete` with the whole result. */
export type GatewayStreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'complete'; readonly result: GatewayResult };
