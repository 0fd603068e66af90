import { discardMetrics, type Logger, type MetricsSink, silentLogger } from '@mangaassist/commons';
import type { Citation } from '@mangaassist/contracts';
import {
  type ChatMessage,
  type FmGateway,
  type GatewayCallOptions,
  type GatewayResult,
  type GatewayStreamEvent,
  inspectText,
} from '@mangaassist/fm-gateway';
import { BudgetExhaustedError, type TenantBudget } from '@mangaassist/tenants';
import {
  answerWhenNothingLeft,
  type ChatGroundingOptions,
  type Grounding,
  groundingFor,
  groundText,
  toCitation,
  wholeSentences,
} from './grounding/chat-grounding.js';
import { buildConversation, newInputFrom, systemPromptFor } from './sessions/conversation.js';
import type { SessionStore, SessionTurn } from './sessions/session-store.js';

/** One chat turn as every door (REST, SSE, WebSocket) hands it over, already validated. */
export interface ChatTurn {
  readonly tenantId: string;
  readonly requestId: string;
  /** Continue this conversation: its stored turns precede `messages`, and the answer is stored. */
  readonly sessionId?: string;
  /** The new messages (sanitised); with a session, normally the one user message. */
  readonly messages: readonly ChatMessage[];
  /** The caller's instructions, appended to the system prompt. */
  readonly system?: string;
  /** Replaces the deployment's system prompt for this turn (task routes have their own). */
  readonly persona?: string;
  /** `auto`, an alias or a catalog key. */
  readonly model: string;
  readonly maxTokens: number;
  readonly temperature?: number;
}

export interface ChatServiceOptions {
  readonly gateway: FmGateway;
  /** @default - stateless: no history is read or stored */
  readonly sessions?: SessionStore;
  /** @default - no budget */
  readonly budget?: TenantBudget;
  /** Stored messages carried into each prompt. @default 10 (seed 002 §1.3) */
  readonly historyMessages?: number;
  /** @default mangaAssistSystemPrompt */
  readonly systemPrompt?: string;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Receives the input-safety signals of each turn, per tenant. @default discardMetrics */
  readonly metrics?: MetricsSink;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * The store's catalog: each turn's question is searched in it, the products it names go into
   * the system prompt as data and come back as `citations`, and every answer is held to them
   * (`groundAnswer`; a stream sentence by sentence). @default - no catalog: answers unchecked
   */
  readonly grounding?: ChatGroundingOptions;
}

/** The CloudWatch namespace of the grounding guard's fixes, dimension `Tenant`. */
export const groundingNamespace = 'MangaAssist/Grounding';

/** The CloudWatch namespace of the input-safety signals (`inspectText`), dimension `Tenant`. */
export const inputSafetyNamespace = 'MangaAssist/InputSafety';

/**
 * The gateway's answer, and — for a turn in a session — whether the turn is now in the session's
 * history (`stored`): `false` for a degraded answer (never stored) or one the store failed to
 * keep, so that the caller knows the next turn will not see it. Absent without a session.
 */
export type ChatAnswer = GatewayResult & {
  readonly stored?: boolean;
  /** With a catalog (`grounding`): the products the answer is grounded in. */
  readonly citations?: readonly Citation[];
};

/** What `ChatService.stream` yields: the gateway's deltas, then the answer. */
export type ChatStreamEvent =
  | Extract<GatewayStreamEvent, { type: 'delta' }>
  | { readonly type: 'complete'; readonly result: ChatAnswer };

/** The session store could not be read: the conversation's context is unknown (503). */
export class SessionUnavailableError extends Error {
  override readonly name = 'SessionUnavailableError';
}

/**
 * A conversation with the model: reads each new message for input-safety signals (`inspectText`:
 * logged and counted per tenant, never the text, never a refusal), checks the tenant's budget,
 * builds the prompt from the MangaAssist system prompt and the session's last turns, asks the
 * gateway, then stores the new turns — only after a real answer (never a degraded or failed one),
 * saying in the answer whether they were stored — and records the tenant's spend. Throws
 * `BudgetExhaustedError` before any model call when the budget is spent,
 * `SessionUnavailableError` when history cannot be read, and whatever the gateway throws.
 */
export class ChatService {
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(private readonly options: ChatServiceOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => new Date());
  }

  async complete(turn: ChatTurn, call: GatewayCallOptions = {}): Promise<ChatAnswer> {
    const { request, grounding } = await this.prepare(turn);
    const result = await this.options.gateway.complete(request, call);
    if (grounding === undefined) return this.remember(turn, result);
    const grounded = { ...result, text: this.ground(turn, result.text, grounding) };
    return this.cite(await this.remember(turn, grounded), grounding);
  }

  /** As `complete`, streamed; the turns are stored when the stream completes. */
  async *stream(turn: ChatTurn, call: GatewayCallOptions = {}): AsyncGenerator<ChatStreamEvent> {
    const { request, grounding } = await this.prepare(turn);
    const { budget } = this.options;
    const charged: GatewayCallOptions = budget
      ? {
          ...call,
          onAbandoned: (spend) => {
            call.onAbandoned?.(spend);
            void budget.record(turn.tenantId, {
              costUsd: spend.costUsd,
              inputTokens: spend.usage.inputTokens,
              outputTokens: spend.usage.outputTokens,
            });
          },
        }
      : call;
    const events = this.options.gateway.stream(request, charged);
    if (grounding === undefined) {
      for await (const event of events) {
        yield event.type === 'complete'
          ? { type: 'complete', result: await this.remember(turn, event.result) }
          : event;
      }
      return;
    }
    // Held sentence by sentence: a sentence goes out once whole and grounded. What the guard
    // makes of a text's whole sentences is a prefix of what it makes of more of them.
    let received = '';
    let sent = '';
    let groundedUpTo = 0;
    const next = (text: string) => {
      const delta = text.startsWith(sent) ? text.slice(sent.length) : '';
      sent += delta;
      return delta;
    };
    for await (const event of events) {
      if (event.type === 'delta') {
        received += event.text;
        // Grounded again only when a sentence has been completed, not on every token.
        const whole = wholeSentences(received);
        if (whole.length === groundedUpTo) continue;
        groundedUpTo = whole.length;
        const delta = next(groundText(whole, grounding, this.groundingOptions()).text);
        if (delta !== '') yield { ...event, text: delta };
        continue;
      }
      const text = this.ground(turn, event.result.text, grounding);
      const rest = next(text);
      if (rest !== '') yield { type: 'delta', text: rest };
      yield {
        type: 'complete',
        result: this.cite(await this.remember(turn, { ...event.result, text }), grounding),
      };
    }
  }

  /** The session's stored turns, oldest first. */
  async history(tenantId: string, sessionId: string, limit = 50): Promise<SessionTurn[]> {
    return this.options.sessions ? this.readHistory(tenantId, sessionId, limit) : [];
  }

  async clear(tenantId: string, sessionId: string): Promise<void> {
    await this.options.sessions?.clear(tenantId, sessionId);
  }

  /**
   * The gateway request of a turn: the budget check and the history read run side by side (each
   * may wait on its own store), and a spent budget wins over an unreadable history.
   */
  private async prepare(turn: ChatTurn) {
    this.observeSignals(turn);
    const { budget } = this.options;
    const [decision, history] = await Promise.allSettled([
      budget?.check(turn.tenantId),
      turn.sessionId ? this.history(turn.tenantId, turn.sessionId, this.options.historyMessages ?? 10) : [],
    ]);
    if (decision.status === 'rejected') throw decision.reason;
    if (decision.value && !decision.value.allowed) {
      const { spentUsd, budgetUsd, retryAfterSeconds } = decision.value;
      throw new BudgetExhaustedError(turn.tenantId, spentUsd, budgetUsd, retryAfterSeconds);
    }
    if (history.status === 'rejected') throw history.reason;
    const historyMessages = this.options.historyMessages ?? 10;
    const grounding = await this.groundingOf(turn, history.value);
    const system = systemPromptFor(turn.system, turn.persona ?? this.options.systemPrompt);
    const request = {
      tenantId: turn.tenantId,
      requestId: turn.requestId,
      model: turn.model,
      system: grounding ? `${system}\n\n${grounding.promptBlock}` : system,
      messages: buildConversation(history.value, turn.messages, historyMessages),
      // Everything the caller wrote for this turn, the guardrail's to evaluate.
      callerInput: {
        fromMessage: newInputFrom(history.value, turn.messages, historyMessages),
        ...(turn.system ? { instructions: turn.system } : {}),
      },
      maxTokens: turn.maxTokens,
      ...(turn.temperature !== undefined ? { temperature: turn.temperature } : {}),
      ...(turn.sessionId !== undefined ? { sessionId: turn.sessionId } : {}),
    };
    return { request, grounding };
  }

  private groundingOptions(): ChatGroundingOptions {
    return this.options.grounding as ChatGroundingOptions;
  }

  /** What the turn's question finds in the catalog: the last user message is the question. */
  /**
   * What the turn's question finds in the catalog: the last user message is the question, the
   * user's earlier messages (this turn's, then the session's, newest first) its context.
   */
  private async groundingOf(turn: ChatTurn, history: readonly SessionTurn[]): Promise<Grounding | undefined> {
    const { grounding } = this.options;
    if (grounding === undefined) return undefined;
    const asked = [...history, ...turn.messages]
      .filter((message) => message.role === 'user')
      .map((message) => message.content)
      .reverse();
    const [question = '', ...earlier] = asked;
    const found = await groundingFor(question, grounding, earlier.slice(0, 2));
    if (!found.available) {
      this.logger.warn('catalog search unavailable; answering without figures', {
        tenantId: turn.tenantId,
        requestId: turn.requestId,
      });
    }
    return found;
  }

  /**
   * The answer held to the catalog; its fixes logged and counted per tenant. An answer the guard
   * leaves nothing of says what the catalog holds instead (a blank turn would break the session).
   */
  private ground(turn: ChatTurn, text: string, grounding: Grounding): string {
    const grounded = groundText(text, grounding, this.groundingOptions());
    const question = turn.messages.findLast((message) => message.role === 'user')?.content ?? '';
    if (grounded.fixes.length > 0) {
      const corrected = grounded.fixes.filter((fix) => fix.action === 'corrected').length;
      const { tenantId, requestId } = turn;
      this.logger.warn('answer corrected by the grounding guard', {
        tenantId,
        requestId,
        fixes: grounded.fixes,
      });
      (this.options.metrics ?? discardMetrics).emit({
        namespace: groundingNamespace,
        dimensions: { Tenant: tenantId },
        metrics: [
          { name: 'ClaimsCorrected', unit: 'Count', value: corrected },
          { name: 'ClaimsRemoved', unit: 'Count', value: grounded.fixes.length - corrected },
        ],
        properties: { requestId },
      });
    }
    return grounded.text === '' && text.trim() !== ''
      ? answerWhenNothingLeft(question, grounding.cited)
      : grounded.text;
  }

  /** The citations of a real answer; a degraded one (an apology, a stale text) cites nothing. */
  private cite(answer: ChatAnswer, grounding: Grounding): ChatAnswer {
    return { ...answer, citations: answer.degraded ? [] : grounding.cited.map(toCitation) };
  }

  /** Logs and counts the signals of the turn's caller-supplied text: its messages and instructions. */
  private observeSignals(turn: ChatTurn): void {
    const texts = [...turn.messages.map((message) => message.content), ...(turn.system ? [turn.system] : [])];
    const signals = [...new Set(texts.flatMap((text) => inspectText(text)))];
    if (signals.length === 0) return;
    const { tenantId, requestId } = turn;
    this.logger.warn('input-safety signals in a chat turn', { tenantId, requestId, signals });
    (this.options.metrics ?? discardMetrics).emit({
      namespace: inputSafetyNamespace,
      dimensions: { Tenant: tenantId },
      metrics: [
        { name: 'MessagesWithSignals', unit: 'Count', value: 1 },
        ...signals.map((signal) => ({ name: signal, unit: 'Count' as const, value: 1 })),
      ],
      properties: { requestId },
    });
  }

  private async readHistory(tenantId: string, sessionId: string, limit: number): Promise<SessionTurn[]> {
    try {
      return (await this.options.sessions?.history(tenantId, sessionId, limit)) ?? [];
    } catch (error) {
      this.logger.error('session history unavailable', { tenantId, sessionId, error: String(error) });
      throw new SessionUnavailableError('The conversation history is unavailable; retry shortly.', {
        cause: error,
      });
    }
  }

  /**
   * Stores the turns and the spend; a failure here is logged and reported as `stored: false`,
   * never turned into a failed answer.
   */
  private async remember(turn: ChatTurn, result: GatewayResult): Promise<ChatAnswer> {
    const [, stored] = await Promise.all([
      this.options.budget?.record(turn.tenantId, {
        costUsd: result.costUsd,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
      }),
      this.store(turn, result),
    ]);
    return stored === undefined ? result : { ...result, stored };
  }

  /** Appends the turn and its answer to the session; `undefined` when there is no session. */
  private async store(turn: ChatTurn, result: GatewayResult): Promise<boolean | undefined> {
    const { sessions } = this.options;
    if (turn.sessionId === undefined || !sessions) return undefined;
    // A message the guardrail blocked stays out of the history: the next turns would send it to
    // the model again, unchecked (only the new message is guarded).
    if (result.degraded || result.stopReason === 'guardrail_intervened') return false;
    const at = this.now().toISOString();
    try {
      await sessions.append(turn.tenantId, turn.sessionId, [
        ...turn.messages.map((message) => ({ ...message, at })),
        { role: 'assistant' as const, content: result.text, at, model: result.model },
      ]);
      return true;
    } catch (error) {
      this.logger.error('answer not stored in the session', {
        requestId: turn.requestId,
        sessionId: turn.sessionId,
        error: String(error),
      });
      return false;
    }
  }
}
