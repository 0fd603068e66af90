import { createHash, randomUUID } from 'node:crypto';
import { type Clock, errorMessage, type Logger, silentLogger, systemClock } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import {
  type ClientFrame,
  type SendMessageFrame,
  type ServerFrame,
  websocketLimits,
} from '@mangaassist/contracts';
import {
  StreamInterruptedError,
  type TextLimits,
  TextRejectedError,
  validateUserText,
} from '@mangaassist/fm-gateway';
import type { TicketStore } from '@mangaassist/tenants';
import type { ChatAnswer, ChatService, ChatTurn } from '../chat-service.js';
import { describeFailure, type Failure } from '../endpoints/failure.js';
import { parseClientFrame } from './client-frames.js';
import { ConnectionGoneError, type ConnectionPusher } from './connection-pusher.js';
import type { ConnectionRecord, ConnectionStore } from './connection-store.js';
import type { FrameLog } from './frame-log.js';
import { OutgoingStream, type PushOutcome } from './outgoing-stream.js';
import { isTerminal, StreamResumer } from './stream-resumer.js';
import { type ConnectResult, WebSocketConnections } from './websocket-connections.js';
import { webSocketErrorCodes } from './websocket-error-codes.js';
import {
  completeFrame,
  errorFrame,
  type FramePosition,
  historyFrames,
  serializeFrame,
} from './websocket-frames.js';

export { parseClientFrame } from './client-frames.js';
export { webSocketErrorCodes } from './websocket-error-codes.js';

export interface WebSocketChatOptions {
  readonly chat: ChatService;
  /** Open connections and their tenants (`$connect` puts, `$disconnect` and a gone client delete). */
  readonly connections: ConnectionStore;
  /** Sends frames to clients (API Gateway's management API, or the local socket). */
  readonly pusher: ConnectionPusher;
  /** Recent stream frames, for `resume`. */
  readonly frames: FrameLog;
  /** Redeems the single-use `?ticket=` of `$connect`. */
  readonly tickets: TicketStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Session, stream and request ids. @default crypto.randomUUID (UUID v4) */
  readonly newId?: () => string;
  /** Budget for a stream's first token (budget check, history, model). @default 3000 (the chat SLA) */
  readonly firstTokenDeadlineMs?: number;
  /** Longest answer asked of the model. @default 1024 */
  readonly maxTokens?: number;
  /** Limits of the Japanese-aware checks of `sendMessage` text. @default 16 KiB, 5 % control characters */
  readonly textLimits?: TextLimits;
  /** Largest frame JSON sent, UTF-8 bytes. @default websocketLimits.maxFrameBytes (32 KiB) */
  readonly maxFrameBytes?: number;
  /** `connectedAt` of connection records. @default () => new Date() */
  readonly now?: () => Date;
  /** Timers of `resume` while it follows a running stream. @default systemClock */
  readonly clock?: Clock;
  /**
   * Longest time a `resume` follows a running stream (its lifetime bound) before it answers
   * `resume_timeout`. Deployed, keep it under the message function's timeout.
   * @default 120_000 (the gateway's stream lifetime)
   */
  readonly resumeFollowMs?: number;
}

/** The key a stream's frames are logged under: the tenant's, so no tenant can resume another's stream. */
export function frameLogKey(tenantId: string, streamId: string): string {
  return `${tenantId}/${streamId}`;
}

const languageNames = { ja: 'Japanese', en: 'English', zh: 'Chinese' } as const;

/** How the message queue delivered a client message to the stream worker. */
export interface MessageDelivery {
  /** API Gateway's id of the message: a `sendMessage`'s stream id is derived from it. */
  readonly messageId: string;
  /** Deliveries of this message so far, this one included (SQS `ApproximateReceiveCount`). */
  readonly receiveCount: number;
}

/**
 * The stream id of a queued `sendMessage`: a UUID (version 8, RFC 9562) of the SHA-256 of API
 * Gateway's message id, so that every delivery of one message names the same stream.
 */
export function streamIdForMessage(messageId: string): string {
  const hex = createHash('sha256').update(`ws-stream:${messageId}`, 'utf8').digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The chat over WebSocket, transport-neutral: the API Gateway adapter (deployed) and the local
 * gateway (`pnpm dev`) both call it, and it answers through a `ConnectionPusher`.
 *
 * - `connect` redeems the `?ticket=` (single use) and records the connection with its tenant.
 * - `message` handles one client frame (`clientFrameSchema`). `sendMessage` streams the answer
 *   as `start`, `delta`…, `complete` (or `error`) frames numbered `seq` 0, 1, 2 … per stream;
 *   each frame's JSON stays within `maxFrameBytes` (a long delta becomes several frames) and is
 *   logged in the `FrameLog` under the tenant and stream id. One push is in flight at a time:
 *   the model's deltas that arrive meanwhile leave together as one frame when it completes.
 * - `resume` replays the frames after the client's last `seq` — never another tenant's — and
 *   keeps following a stream that is still running until its end (`StreamResumer`).
 * - Failures reach the client as `error` frames with a stable `code` (`describeFailure`'s codes,
 *   plus `webSocketErrorCodes`); nothing throws to the caller. A message from a connection
 *   without a record is answered `unknown_connection`.
 *
 * An answer survives its client: after a failed push — the client has gone
 * (`ConnectionGoneError`, its record is deleted) or the push was throttled or refused — the
 * model call goes on and its frames, through `complete`, go into the log only, so a `resume`
 * delivers the whole answer; the completed answer is stored. A client still connected is told
 * (best effort) with an `error` frame `push_failed`, without a seq, to resume for the rest. Only
 * when the log has lost a frame as well (Redis down) is nothing worth producing: the model call
 * is aborted, the partial answer is not stored, and a final `stream_aborted` (gone client) or
 * `push_failed` frame is logged, so that a `resume` ends definitively.
 */
export class WebSocketChat {
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly firstTokenDeadlineMs: number;
  private readonly maxTokens: number;
  private readonly maxFrameBytes: number;
  private readonly resumer: StreamResumer;
  private readonly connections: WebSocketConnections;

  constructor(private readonly options: WebSocketChatOptions) {
    this.logger = options.logger ?? silentLogger;
    this.newId = options.newId ?? randomUUID;
    this.firstTokenDeadlineMs = options.firstTokenDeadlineMs ?? 3000;
    this.maxTokens = options.maxTokens ?? 1024;
    this.maxFrameBytes = options.maxFrameBytes ?? websocketLimits.maxFrameBytes;
    this.connections = new WebSocketConnections({
      tickets: options.tickets,
      connections: options.connections,
      logger: this.logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const followMs = options.resumeFollowMs ?? 120_000;
    if (!(followMs > 0)) throw new RangeError(`resumeFollowMs must be positive, got ${followMs}`);
    this.resumer = new StreamResumer({
      frames: options.frames,
      push: (connectionId, data) => this.pushRaw(connectionId, data),
      error: (code, message, position) => this.error(code, message, position),
      clock: options.clock ?? systemClock,
      followMs,
    });
  }

  /**
   * `$connect`: redeems the ticket and stores the connection (`WebSocketConnections.connect`).
   */
  connect(request: { readonly connectionId: string; readonly ticket?: string }): Promise<ConnectResult> {
    return this.connections.connect(request);
  }

  /**
   * `$disconnect`: forgets the connection and stops the resumes this process follows for it.
   * A store failure is logged; the record's TTL removes it.
   */
  async disconnect(connectionId: string): Promise<void> {
    this.resumer.stop(connectionId);
    await this.connections.disconnect(connectionId);
  }

  /**
   * One message from a client: a JSON client frame. Answers go through the pusher; a message
   * from a connection without a record (expired, or never stored) is answered with an `error`
   * frame `unknown_connection`, best effort. Never throws.
   *
   * With a `delivery` (the message came through the queue), a `sendMessage`'s stream id is
   * derived from the message id, and a redelivered message whose stream was started already is
   * not answered again — no second model call, no second stored turn: its logged frames are
   * replayed to the connection, ended by `stream_interrupted` when the attempt that produced
   * them stopped part-way (a worker that crashed or timed out).
   */
  async message(connectionId: string, body: string, delivery?: MessageDelivery): Promise<void> {
    let connection: ConnectionRecord | undefined;
    try {
      connection = await this.options.connections.get(connectionId);
    } catch (error) {
      this.logger.error('connection store unavailable', { connectionId, error: errorMessage(error) });
      await this.push(
        connectionId,
        this.error(
          webSocketErrorCodes.connectionUnavailable,
          'The service is unavailable; retry shortly.',
          {},
        ),
      );
      return;
    }
    if (connection === undefined) {
      this.logger.warn('message from an unknown connection', { connectionId });
      await this.push(
        connectionId,
        this.error(
          webSocketErrorCodes.unknownConnection,
          'This connection is not registered (it may have expired); reconnect with a new ticket.',
          {},
        ),
      );
      return;
    }
    const parsed = parseClientFrame(body);
    if (!parsed.ok) {
      await this.push(connectionId, this.error(webSocketErrorCodes.invalidFrame, parsed.message, {}));
      return;
    }
    try {
      // The frame's work, its SDK calls included, is traced as the connection's tenant's.
      await withTraceAnnotations({ tenant: connection.tenantId }, () =>
        this.handle(connection, parsed.frame, delivery),
      );
    } catch (error) {
      // Each action reports its own failures; this only guards against a bug escaping.
      this.logger.error('WebSocket message failed', { connectionId, error: errorMessage(error) });
    }
  }

  private async handle(
    connection: ConnectionRecord,
    frame: ClientFrame,
    delivery: MessageDelivery | undefined,
  ): Promise<void> {
    switch (frame.action) {
      case 'sendMessage':
        return this.sendMessage(connection, frame, delivery);
      case 'getHistory':
        return this.answer(connection, async () => {
          const turns = await this.options.chat.history(connection.tenantId, frame.data.sessionId);
          return historyFrames(frame.data.sessionId, turns, this.maxFrameBytes);
        });
      case 'clearSession':
        return this.answer(connection, async () => {
          await this.options.chat.clear(connection.tenantId, frame.data.sessionId);
          return [{ type: 'cleared', session_id: frame.data.sessionId }];
        });
      case 'resume':
        return this.resume(connection, frame.data.streamId, frame.data.lastSeq);
    }
  }

  /** Runs a request/response action and sends its frames, or the failure as an error frame. */
  private async answer(connection: ConnectionRecord, produce: () => Promise<ServerFrame[]>): Promise<void> {
    let frames: ServerFrame[];
    try {
      frames = await produce();
    } catch (error) {
      const failure = describeFailure(error, this.newId(), this.logger);
      await this.push(connection.connectionId, this.error(failure.code, failure.message, {}));
      return;
    }
    for (const frame of frames) {
      const outcome = await this.push(connection.connectionId, frame);
      if (outcome === 'failed') {
        await this.push(
          connection.connectionId,
          this.error(webSocketErrorCodes.pushFailed, 'The answer could not be delivered; ask again.', {}),
        );
      }
      if (outcome !== 'sent') return;
    }
  }

  private async sendMessage(
    connection: ConnectionRecord,
    frame: SendMessageFrame,
    delivery: MessageDelivery | undefined,
  ): Promise<void> {
    const { connectionId, tenantId } = connection;
    let text: string;
    try {
      text = validateUserText(frame.data.message, this.options.textLimits).text;
    } catch (error) {
      if (!(error instanceof TextRejectedError)) throw error;
      await this.push(
        connectionId,
        this.error(webSocketErrorCodes.contentRejected, `${error.message} (${error.reason})`, {}),
      );
      return;
    }

    const streamId = delivery ? streamIdForMessage(delivery.messageId) : this.newId();
    const key = frameLogKey(tenantId, streamId);
    if (
      delivery &&
      delivery.receiveCount > 1 &&
      (await this.replayedRedelivery(connectionId, key, streamId))
    ) {
      return;
    }
    const requestId = this.newId();
    const sessionId = frame.data.sessionId ?? this.newId();
    const abort = new AbortController();
    const out = new OutgoingStream({
      streamId,
      maxFrameBytes: this.maxFrameBytes,
      channel: {
        push: (data) => this.pushRaw(connectionId, data),
        log: (seq, data) => this.log(key, seq, data),
      },
      // A client that cannot be reached may resume: the answer goes on into the log, unless the
      // log has lost a frame already — then nothing more is worth producing.
      onFailure: () => {
        if (!out.resumable) abort.abort();
      },
    });
    const started = await out.send((seq) => ({
      type: 'start',
      stream_id: streamId,
      seq,
      session_id: sessionId,
      request_id: requestId,
    }));
    if (started) {
      const turn: ChatTurn = {
        tenantId,
        requestId,
        sessionId,
        messages: [{ role: 'user', content: text }],
        system: languageHint(frame.data.preferredLanguage),
        model: frame.data.modelPreference,
        maxTokens: this.maxTokens,
      };
      let result: ChatAnswer | undefined;
      try {
        // Leaving this loop early closes the chat stream, which cancels the model call and never
        // reaches `complete` — so an answer no one can receive whole is never stored.
        for await (const event of this.options.chat.stream(turn, {
          signal: abort.signal,
          deadlineMs: this.firstTokenDeadlineMs,
        })) {
          if (event.type === 'complete') {
            result = event.result;
            break;
          }
          if (out.failed && !out.resumable) break;
          out.delta(event.text);
        }
      } catch (error) {
        if (!out.failed) {
          const failure = describeStreamFailure(error, requestId, this.logger);
          await out.send((seq) => this.error(failure.code, failure.message, { streamId, seq }));
        }
      }
      const answer = result;
      if (answer !== undefined) await out.send((seq) => completeFrame(streamId, seq, answer, sessionId));
    }
    await out.settled();
    await this.endUndelivered(out, connectionId, streamId, requestId);
  }

  /**
   * After a failed push: a stream the log has no end for gets one (`stream_aborted` for a gone
   * client, logged only; `push_failed` otherwise, logged and pushed), so that a resume is never
   * left waiting. When the end is logged already (the model finished), a client that may still
   * listen is told, without a seq, to resume for the rest.
   */
  private async endUndelivered(
    out: OutgoingStream,
    connectionId: string,
    streamId: string,
    requestId: string,
  ): Promise<void> {
    if (out.failed === undefined) return;
    if (out.failed === 'gone') {
      if (out.ended) return;
      await out.send((seq) =>
        this.error(
          webSocketErrorCodes.streamAborted,
          `The connection closed before the answer finished (request ${requestId}); it was not stored. Send the message again.`,
          { streamId, seq },
        ),
      );
    } else if (out.ended) {
      await this.push(
        connectionId,
        this.error(
          webSocketErrorCodes.pushFailed,
          `Part of the answer could not be delivered (request ${requestId}); resume the stream from the last seq received to get the rest.`,
          { streamId },
        ),
      );
    } else {
      await out.sendFinal((seq) =>
        this.error(
          webSocketErrorCodes.pushFailed,
          `A frame could not be delivered, so the answer was stopped and not stored (request ${requestId}); send the message again.`,
          { streamId, seq },
        ),
      );
    }
  }

  /**
   * A message delivered again whose stream has logged frames was answered (or began to be) by an
   * earlier delivery: replays that stream instead of answering twice, after logging its end as
   * `stream_interrupted` when the earlier attempt never logged one. False when nothing was logged
   * (the earlier delivery never reached the model, e.g. a throttled invocation): answer it then.
   */
  private async replayedRedelivery(connectionId: string, key: string, streamId: string): Promise<boolean> {
    let logged: string[] | undefined;
    try {
      logged = await this.options.frames.since(key, -1);
    } catch (error) {
      this.logger.warn('frame log unreadable for a redelivered message; answering it again', {
        streamId,
        error: errorMessage(error),
      });
      return false;
    }
    const last = logged?.at(-1);
    if (logged === undefined || last === undefined) return false;
    this.logger.warn('redelivered message already answered; replaying its stream', {
      connectionId,
      streamId,
      frames: logged.length,
    });
    if (!isTerminal(last)) {
      const seq = logged.length;
      const interrupted = this.error(
        webSocketErrorCodes.streamInterrupted,
        'The answer stopped part-way and was not stored; send the message again.',
        { streamId, seq },
      );
      await this.log(key, seq, serializeFrame(interrupted));
    }
    await this.resumer.resume(connectionId, key, streamId, -1);
    return true;
  }

  private async resume(connection: ConnectionRecord, streamId: string, lastSeq: number): Promise<void> {
    const key = frameLogKey(connection.tenantId, streamId);
    await this.resumer.resume(connection.connectionId, key, streamId, lastSeq);
  }

  /** Sends one frame; a gone client's record is deleted. */
  private async push(connectionId: string, frame: ServerFrame): Promise<PushOutcome> {
    return this.pushRaw(connectionId, serializeFrame(frame));
  }

  private async pushRaw(connectionId: string, data: string): Promise<PushOutcome> {
    try {
      await this.options.pusher.send(connectionId, data);
      return 'sent';
    } catch (error) {
      if (error instanceof ConnectionGoneError) {
        this.logger.info('WebSocket client gone', { connectionId });
        await this.connections.disconnect(connectionId);
        return 'gone';
      }
      this.logger.error('frame not delivered', { connectionId, error: errorMessage(error) });
      return 'failed';
    }
  }

  /** Appends a stream frame to the log; never throws: resolves false when it could not. */
  private async log(key: string, seq: number, data: string): Promise<boolean> {
    try {
      await this.options.frames.append(key, seq, data);
      return true;
    } catch (error) {
      this.logger.warn('frame not logged; resume may be unavailable', {
        key,
        seq,
        error: errorMessage(error),
      });
      return false;
    }
  }

  private error(code: string, message: string, position: FramePosition): ServerFrame {
    return errorFrame(code, message, position, this.maxFrameBytes);
  }
}

/** `describeFailure`, plus the failure only a stream has: the model stopped after the first token. */
function describeStreamFailure(error: unknown, requestId: string, logger: Logger): Failure {
  if (error instanceof StreamInterruptedError) {
    logger.warn('model stream interrupted', {
      requestId,
      code: error.code,
      deliveredChars: error.deliveredChars,
    });
    return {
      status: 502,
      code: webSocketErrorCodes.streamInterrupted,
      message: 'The answer stopped part-way and was not stored; send the message again.',
    };
  }
  return describeFailure(error, requestId, logger);
}

function languageHint(language: keyof typeof languageNames): string {
  return `The customer's preferred language is ${languageNames[language]}; if they write in another language, answer in theirs.`;
}
