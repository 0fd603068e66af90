import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ChatConfig } from '@mangaassist/chat';
import {
  type ChatCore,
  createWebSocketPlatform,
  type WebSocketPlatformOptions,
} from '@mangaassist/chat/platform';
import { makeClientMessageQueueHandler } from '@mangaassist/chat/sqs';
import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  silentLogger,
} from '@mangaassist/commons';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { orchestratorMetricsNamespace } from '../orchestrator-server.js';
import { SqsQueuePoller } from '../sqs/sqs-queue-poller.js';

export interface WebSocketStreamWorkerOptions
  extends Pick<WebSocketPlatformOptions, 'pusher' | 'frames' | 'connections' | 'logger'>,
    AwsClientSettings {
  /** The chat core the orchestrator's routes use: one gateway, cache and budgets per task. */
  readonly core: ChatCore;
  /** The WebSocket message queue (SQS FIFO) the message route fills. */
  readonly queueUrl: string;
  /** Answers streamed at once: one receive loop each, one message at a time. @default 32 */
  readonly concurrency?: number;
  /** @default - an SQS client from `region` and `credentials` */
  readonly client?: SQSClient;
  /**
   * Reports the answers streaming now every `intervalMs` (60 000) through the core's metrics, as
   * `MangaAssist/Orchestrator` `WebSocketAnswers` with `dimensions`: what the service scales on
   * for WebSocket load (a task streams at most `concurrency`; the rest wait in the queue).
   * @default - not reported
   */
  readonly activity?: { readonly dimensions: Readonly<Record<string, string>>; readonly intervalMs?: number };
}

/** What the worker adds to a task: it starts with the server and stops with its drain. */
export interface WebSocketStreamWorker {
  readonly poller: SqsQueuePoller;
  start(): void;
  /** Stops receiving at once; answers still streaming get `drainMs`, then are delivered again. */
  stop(drainMs: number): Promise<void>;
}

/**
 * The WebSocket stream worker on Fargate: the same handler `functions/ws-stream` deploys (the
 * `WebSocketChat` answering each queued client message through API Gateway's management API, its
 * frames logged for `resume`), fed by a long-polling consumer of the message queue instead of a
 * Lambda event source mapping — a long answer costs a waiting socket, not a Lambda's wall clock.
 * One message per receive, `concurrency` receives at once: the queue's message groups (one per
 * connection) keep a connection's messages in order. A message delivered again (a task stopped
 * mid-answer) is replayed from the frame log, never answered twice.
 */
export function createWebSocketStreamWorker(
  config: ChatConfig,
  options: WebSocketStreamWorkerOptions,
): WebSocketStreamWorker {
  const concurrency = options.concurrency ?? 32;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new ConfigurationError(
      `The stream worker's concurrency must be a whole number from 1, got ${concurrency}`,
    );
  }
  const logger = options.logger ?? silentLogger;
  const platform = createWebSocketPlatform(config, {
    core: options.core,
    logger,
    ...(options.pusher ? { pusher: options.pusher } : {}),
    ...(options.frames ? { frames: options.frames } : {}),
    ...(options.connections ? { connections: options.connections } : {}),
  });
  const client = options.client ?? pollingSqsClient(concurrency, options);
  const poller = new SqsQueuePoller({
    client,
    queueUrl: options.queueUrl,
    handler: makeClientMessageQueueHandler(platform.webSocket, { logger }),
    concurrency,
    // The longest a message is answered: a stream's 15 minutes, or a resume's 2 of following one.
    maxHandlingSeconds: 17 * 60,
    logger,
  });
  let reporter: NodeJS.Timeout | undefined;
  const activity = options.activity;
  return {
    poller,
    start() {
      poller.start();
      if (activity === undefined || reporter !== undefined) return;
      reporter = setInterval(() => {
        options.core.metrics.emit({
          namespace: orchestratorMetricsNamespace,
          dimensions: activity.dimensions,
          metrics: [{ name: 'WebSocketAnswers', unit: 'Count', value: poller.inFlight }],
        });
      }, activity.intervalMs ?? 60_000);
      // The report never keeps a stopping process alive.
      reporter.unref();
    },
    async stop(drainMs) {
      clearInterval(reporter);
      await poller.stop(drainMs);
      await platform.close();
      if (!options.client) client.destroy();
    },
  };
}

/** Sockets beside the long polls: the deletes and renewals of the batches being answered. */
const controlSockets = 16;

/**
 * An SQS client for `concurrency` long polls: a socket each, and room for the deletes and
 * renewals beside them (the SDK's default 50 would queue those behind polls of 20 s, past the
 * visibility they renew); requests are cut at 30 s, past a poll's 20.
 */
export function pollingSqsClient(concurrency: number, settings: AwsClientSettings = {}): SQSClient {
  const maxSockets = concurrency + controlSockets;
  return new SQSClient({
    ...awsClientOptions(undefined, settings),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 1_000,
      requestTimeout: 30_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    }),
  });
}
