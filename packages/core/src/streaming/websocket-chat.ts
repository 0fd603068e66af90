import { randomUUID } from 'node:crypto';
import {
  type ClientFrame,
  clientFrameSchema,
  type SendMessageFrame,
  type ServerFrame,
  websocketLimits,
} from '@mangaassist/contracts';
import { describeFailure, type Failure } from '../api/failure.js';
import type { ChatService, ChatTurn } from '../chat/chat-service.js';
import { StreamInterruptedError } from '../gateway/gateway-errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import type { TicketStore } from '../tenants/ticket-store.js';
import { type TextLimits, TextRejectedError, validateUserText } from '../text/validate.js';
import { ConnectionGoneError, type ConnectionPusher } from './connection-pusher.js';
import type { ConnectionRecord, ConnectionStore } from './connection-store.js';
import type { FrameLog } from './frame-log.js';
import {
  completeFrame,
  deltaFrames,
  errorFrame,
  type FramePosition,
  historyFrames,
  serializeFrame,
} from './websocket-frames.js';

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
}

/** The `$connect` answer: API Gateway opens the connection on 200 and refuses it otherwise. */
export interface ConnectResult {
  /** 200 connected; 401 no ticket; 403 unknown, expired or used ticket; 500 a store failed. */
  readonly statusCode: 200 | 401 | 403 | 500;
}

/** The key a stream's frames are logged under: the tenant's, so no tenant can resume another's stream. */
export function frameLogKey(tenantId: string, streamId: string): string {
  return `${tenantId}/${streamId}`;
}

/** Error codes of frames this door produces itself (the rest come from `describeFailure`). */
export const webSocketErrorCodes = {
  /** The message is not JSON or not a client frame of the contract. */
  invalidFrame: 'invalid_frame',
  /** The `sendMessage` text failed the Japanese-aware checks. */
  contentRejected: 'content_rejected',
  /** `resume` names a stream that is unknown, expired, another tenant's, or incompletely logged. */
  resumeUnavailable: 'resume_unavailable',
  /** Logged (not sent) when a stream stops because its client went away; `resume` replays it. */
  streamAborted: 'stream_aborted',
  /** The model stream failed after its first token; the partial answer was not stored. */
  streamInterrupted: 'stream_interrupted',
  /** The connection store could not be read. */
  connectionUnavailable: 'connection_unavailable',
} as const;

type PushOutcome = 'sent' | 'gone' | 'failed';

const languageNames = { ja: 'Japanese', en: 'English', zh: 'Chinese' } as const;

/**
 * The chat over WebSocket, transport-neutral: the API Gateway adapter (deployed) and the local
 * gateway (`pnpm dev`) both call it, and it answers through a `ConnectionPusher`.
 *
 * - `connect` redeems the `?ticket=` (single use) and records the connection with its tenant.
 * - `message` handles one client frame (`clientFrameSchema`). `sendMessage` streams the answer
 *   as `start`, `delta`…, `complete` (or `error`) frames numbered `seq` 0, 1, 2 … per stream;
 *   each frame's JSON stays within `maxFrameBytes` (a long delta becomes several frames) and is
 *   logged in the `FrameLog` under the tenant and stream id, so `resume` replays the frames
 *   after the client's last `seq` — never another tenant's.
 * - Failures reach the client as `error` frames with a stable `code` (`describeFailure`'s codes,
 *   plus `webSocketErrorCodes`); nothing throws to the caller.
 *
 * A client that has gone (`ConnectionGoneError`) stops its stream: the model call is aborted,
 * the partial answer is not stored (only a completed stream is), the connection record is
 * deleted, and a final `error` frame `stream_aborted` is logged so that a `resume` ends
 * definitively. Any other pusher failure stops the stream the same way but keeps the record.
 */
export class WebSocketChat {
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly firstTokenDeadlineMs: number;
  private readonly maxTokens: number;
  private readonly maxFrameBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: WebSocketChatOptions) {
    this.logger = options.logger ?? silentLogger;
    this.newId = options.newId ?? randomUUID;
    this.firstTokenDeadlineMs = options.firstTokenDeadlineMs ?? 3000;
    this.maxTokens = options.maxTokens ?? 1024;
    this.maxFrameBytes = options.maxFrameBytes ?? websocketLimits.maxFrameBytes;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * `$connect`: redeems the ticket and stores the connection. A ticket is spent even when the
   * store then fails (500): the client asks for a new one.
   */
  async connect(request: {
    readonly connectionId: string;
    readonly ticket?: string;
  }): Promise<ConnectResult> {
    const { connectionId, ticket } = request;
    if (ticket === undefined || ticket === '') {
      this.logger.info('WebSocket connection refused: no ticket', { connectionId });
      return { statusCode: 401 };
    }
    let tenantId: string | undefined;
    try {
      tenantId = await this.options.tickets.redeem(ticket);
    } catch (error) {
      this.logger.error('ticket store unavailable; connection refused', {
        connectionId,
        error: describe(error),
      });
      return { statusCode: 500 };
    }
    if (tenantId === undefined) {
      this.logger.info('WebSocket connection refused: unknown, expired or used ticket', { connectionId });
      return { statusCode: 403 };
    }
    try {
      await this.options.connections.put({ connectionId, tenantId, connectedAt: this.now().toISOString() });
    } catch (error) {
      this.logger.error('connection not stored; connection refused', {
        connectionId,
        tenantId,
        error: describe(error),
      });
      return { statusCode: 500 };
    }
    return { statusCode: 200 };
  }

  /** `$disconnect`: forgets the connection. A store failure is logged; the record's TTL removes it. */
  async disconnect(connectionId: string): Promise<void> {
    await this.forget(connectionId);
  }

  /**
   * One message from a client: a JSON client frame. Answers go through the pusher; a message
   * from an unknown connection is dropped (and logged). Never throws.
   */
  async message(connectionId: string, body: string): Promise<void> {
    let connection: ConnectionRecord | undefined;
    try {
      connection = await this.options.connections.get(connectionId);
    } catch (error) {
      this.logger.error('connection store unavailable', { connectionId, error: describe(error) });
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
      this.logger.warn('message from an unknown connection dropped', { connectionId });
      return;
    }
    const parsed = parseClientFrame(body);
    if (!parsed.ok) {
      await this.push(connectionId, this.error(webSocketErrorCodes.invalidFrame, parsed.message, {}));
      return;
    }
    try {
      await this.handle(connection, parsed.frame);
    } catch (error) {
      // Each action reports its own failures; this only guards against a bug escaping.
      this.logger.error('WebSocket message failed', { connectionId, error: describe(error) });
    }
  }

  private async handle(connection: ConnectionRecord, frame: ClientFrame): Promise<void> {
    switch (frame.action) {
      case 'sendMessage':
        return this.sendMessage(connection, frame);
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
      if ((await this.push(connection.connectionId, frame)) !== 'sent') return;
    }
  }

  private async sendMessage(connection: ConnectionRecord, frame: SendMessageFrame): Promise<void> {
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

    const requestId = this.newId();
    const sessionId = frame.data.sessionId ?? this.newId();
    const streamId = this.newId();
    const key = frameLogKey(tenantId, streamId);
    const out = new OutgoingStream({
      push: (data) => this.pushRaw(connectionId, data),
      log: (seq, data) => this.log(key, seq, data),
      error: (code, message, seq) => this.error(code, message, { streamId, seq }),
    });
    const start: ServerFrame = {
      type: 'start',
      stream_id: streamId,
      seq: out.nextSeq,
      session_id: sessionId,
      request_id: requestId,
    };
    if (!(await out.send(start))) {
      await out.logAbort(requestId);
      return;
    }

    const turn: ChatTurn = {
      tenantId,
      requestId,
      sessionId,
      messages: [{ role: 'user', content: text }],
      system: languageHint(frame.data.preferredLanguage),
      model: frame.data.modelPreference,
      maxTokens: this.maxTokens,
    };
    const abort = new AbortController();
    try {
      // Leaving this loop early (return) closes the chat stream, which cancels the model call
      // and never reaches `complete` — so a half-delivered answer is never stored.
      for await (const event of this.options.chat.stream(turn, {
        signal: abort.signal,
        deadlineMs: this.firstTokenDeadlineMs,
      })) {
        if (event.type === 'delta') {
          for (const delta of deltaFrames(streamId, out.nextSeq, event.text, this.maxFrameBytes)) {
            if (!(await out.send(delta))) {
              abort.abort();
              await out.logAbort(requestId);
              return;
            }
          }
        } else {
          await out.send(completeFrame(streamId, out.nextSeq, event.result, sessionId));
          return;
        }
      }
    } catch (error) {
      const failure = describeStreamFailure(error, requestId, this.logger);
      await out.send(this.error(failure.code, failure.message, { streamId, seq: out.nextSeq }));
    }
  }

  private async resume(connection: ConnectionRecord, streamId: string, lastSeq: number): Promise<void> {
    const logged = await this.options.frames.since(frameLogKey(connection.tenantId, streamId), lastSeq);
    if (logged === undefined) {
      await this.push(
        connection.connectionId,
        this.error(
          webSocketErrorCodes.resumeUnavailable,
          'This stream cannot be resumed (unknown or expired); send the message again.',
          { streamId },
        ),
      );
      return;
    }
    for (const frame of logged) {
      if ((await this.pushRaw(connection.connectionId, frame)) !== 'sent') return;
    }
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
        await this.forget(connectionId);
        return 'gone';
      }
      this.logger.error('frame not delivered', { connectionId, error: describe(error) });
      return 'failed';
    }
  }

  /** Appends a stream frame to the log; never throws. */
  private async log(key: string, seq: number, data: string): Promise<void> {
    try {
      await this.options.frames.append(key, seq, data);
    } catch (error) {
      this.logger.warn('frame not logged; resume may be unavailable', { key, seq, error: describe(error) });
    }
  }

  private error(code: string, message: string, position: FramePosition): ServerFrame {
    return errorFrame(code, message, position, this.maxFrameBytes);
  }

  private async forget(connectionId: string): Promise<void> {
    try {
      await this.options.connections.delete(connectionId);
    } catch (error) {
      this.logger.warn('connection record not deleted; its TTL will remove it', {
        connectionId,
        error: describe(error),
      });
    }
  }
}

interface StreamChannel {
  readonly push: (data: string) => Promise<PushOutcome>;
  readonly log: (seq: number, data: string) => Promise<void>;
  readonly error: (code: string, message: string, seq: number) => ServerFrame;
}

/** The frames of one stream: numbered in order, each logged and pushed. */
class OutgoingStream {
  private seq = 0;

  constructor(private readonly channel: StreamChannel) {}

  /** The seq the next frame gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * Logs and pushes a frame, concurrently (a frame lost in transit can still be resumed);
   * false once the client cannot be reached.
   */
  async send(frame: ServerFrame): Promise<boolean> {
    const data = serializeFrame(frame);
    const seq = this.seq++;
    const [outcome] = await Promise.all([this.channel.push(data), this.channel.log(seq, data)]);
    return outcome === 'sent';
  }

  /** Ends the logged stream with `stream_aborted`, so a client that resumes is not left waiting. */
  async logAbort(requestId: string): Promise<void> {
    const seq = this.seq++;
    const frame = this.channel.error(
      webSocketErrorCodes.streamAborted,
      `The connection closed before the answer finished (request ${requestId}); it was not stored. Send the message again.`,
      seq,
    );
    await this.channel.log(seq, serializeFrame(frame));
  }
}

type ParsedClientFrame = { ok: true; frame: ClientFrame } | { ok: false; message: string };

/** Reads a client message: JSON, then the contract's client frames (the zod issues say what is wrong). */
export function parseClientFrame(body: string): ParsedClientFrame {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, message: 'The message is not valid JSON.' };
  }
  const parsed = clientFrameSchema.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(frame)'}: ${issue.message}`);
  return { ok: false, message: `Invalid frame: ${issues.join('; ')}` };
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
