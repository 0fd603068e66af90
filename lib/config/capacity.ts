/**
 * The load the production stage is sized for, and what follows from it. The seeds' target is
 * 1 million chat messages a day with peaks at three times the average; the shares, token counts
 * and hold times below are this platform's assumptions, to be replaced by measured figures
 * (the dashboard's requests per route, tokens per model and latency) once it runs. The stage's
 * throttles, tenant quotas, budget and concurrency alarm are checked against this model by the
 * config tests, so changing it shows what else must change.
 */
export const loadModel = {
  messagesPerDay: 1_000_000,
  /** The busiest hour's rate over the day's average. */
  peakFactor: 3,
  /** Where messages arrive: the two REST chat routes, the WebSocket, the task routes. */
  share: { chat: 0.3, chatStream: 0.2, webSocket: 0.45, tasks: 0.05 },
  /** Share of tasks per route (moderation runs on most reviews; analysis is rare and slow). */
  taskShare: { moderate: 0.7, summarize: 0.25, analyze: 0.05 },
  /** An average turn: prompt with the session's history, and the answer. */
  tokensPerMessage: { input: 1_000, output: 300 },
  /** Seconds a request holds its function: a whole answer at p99 (3 s SLA), a stream's answer. */
  holdSeconds: { chat: 3, stream: 12, task: 10 },
  /** Answers served from the response cache (no model call). */
  cacheHitRate: 0.2,
  /** USD per million tokens of the fast model most traffic uses (Claude Haiku 4.5). */
  usdPerMillionTokens: { input: 1, output: 5 },
  /** Tickets: one per WebSocket connection, a connection carrying about five messages. */
  messagesPerConnection: 5,
  /**
   * How many tokens of Bedrock's tokens-per-minute quota an output token uses: Claude 4 models
   * burn down five for each.
   */
  outputTokenBurndown: 5,
} as const;

export type LoadModel = typeof loadModel;

/** What a load model asks of the platform at its peak, and in a month. */
export interface Capacity {
  /** Messages a second, averaged over the day and at the peak. */
  readonly averagePerSecond: number;
  readonly peakPerSecond: number;
  /** Peak requests a second per REST route, by path and method (`/v1/chat/POST`). */
  readonly restPeakPerSecond: Readonly<Record<string, number>>;
  /** Peak WebSocket messages a second. */
  readonly webSocketPeakPerSecond: number;
  /** Lambda instances busy at the peak (requests a second × seconds each holds one). */
  readonly peakConcurrency: number;
  /** Model tokens a minute at the peak (input + output, cache hits excluded). */
  readonly peakTokensPerMinute: number;
  /** What those tokens burn of Bedrock's tokens-per-minute quota (output × 5): the quota to request. */
  readonly peakQuotaTokensPerMinute: number;
  /** Model usage a 30-day month, USD. */
  readonly monthlyModelUsd: number;
  /** Messages a 30-day month. */
  readonly monthlyMessages: number;
  /** Requests a 30-day month through tenants' API keys: REST messages and WebSocket tickets. */
  readonly monthlyRestRequests: number;
}

/** The peak rates, concurrency, tokens and cost `model` implies. */
export function capacityOf(model: LoadModel = loadModel): Capacity {
  const averagePerSecond = model.messagesPerDay / 86_400;
  const peakPerSecond = averagePerSecond * model.peakFactor;
  const peak = (share: number) => peakPerSecond * share;
  const tasks = peak(model.share.tasks);
  const webSocketPeakPerSecond = peak(model.share.webSocket);
  const restPeakPerSecond = {
    '/v1/chat/POST': peak(model.share.chat),
    '/v1/chat/stream/POST': peak(model.share.chatStream),
    '/v1/moderate/POST': tasks * model.taskShare.moderate,
    '/v1/summarize/POST': tasks * model.taskShare.summarize,
    '/v1/analyze/POST': tasks * model.taskShare.analyze,
    '/v1/ws-tickets/POST': webSocketPeakPerSecond / model.messagesPerConnection,
  };
  const { holdSeconds } = model;
  const peakConcurrency =
    peak(model.share.chat) * holdSeconds.chat +
    (peak(model.share.chatStream) + webSocketPeakPerSecond) * holdSeconds.stream +
    tasks * holdSeconds.task;
  const modelCalls = 1 - model.cacheHitRate;
  const { input, output } = model.tokensPerMessage;
  const monthlyMessages = model.messagesPerDay * 30;
  return {
    averagePerSecond,
    peakPerSecond,
    restPeakPerSecond,
    webSocketPeakPerSecond,
    peakConcurrency,
    peakTokensPerMinute: peakPerSecond * 60 * (input + output) * modelCalls,
    peakQuotaTokensPerMinute: peakPerSecond * 60 * (input + output * model.outputTokenBurndown) * modelCalls,
    monthlyModelUsd:
      (monthlyMessages *
        modelCalls *
        (input * model.usdPerMillionTokens.input + output * model.usdPerMillionTokens.output)) /
      1_000_000,
    monthlyMessages,
    monthlyRestRequests:
      monthlyMessages * (1 - model.share.webSocket) +
      (monthlyMessages * model.share.webSocket) / model.messagesPerConnection,
  };
}
