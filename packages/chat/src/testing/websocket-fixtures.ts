// Test doubles and a harness for the WebSocket chat's tests (not part of the public surface).

import type { Logger } from '@mangaassist/commons';
import { createFakeClock, type FakeClock } from '@mangaassist/commons/testing';
import { type ServerFrame, serverFrameSchema } from '@mangaassist/contracts';
import type { ModelRuntimeProvider } from '@mangaassist/fm-gateway';
import { estimateTokens, FmGateway, loadModelCatalog, ModelRouter } from '@mangaassist/fm-gateway';
import { createFakeRuntimes, type FakeCall, type FakeReply } from '@mangaassist/fm-gateway/testing';
import type { TenantBudget, TicketStore } from '@mangaassist/tenants';
import { MemoryTicketStore } from '@mangaassist/tenants';
import { ChatService } from '../chat-service.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionStore, SessionTurn } from '../sessions/session-store.js';
import type { ConnectionPusher } from '../websocket/connection-pusher.js';
import type { ConnectionStore } from '../websocket/connection-store.js';
import type { FrameLog } from '../websocket/frame-log.js';
import { MemoryConnectionStore } from '../websocket/memory-connection-store.js';
import { MemoryFrameLog } from '../websocket/memory-frame-log.js';
import { WebSocketChat, type WebSocketChatOptions } from '../websocket/websocket-chat.js';

const catalog = loadModelCatalog();

/** Resolves after every promise continuation queued so far has run (one macrotask turn). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A promise with its `resolve` outside, to hold a step of a test until the test lets it go. */
export function deferred(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Waits (turn by turn, at most 1000 turns) until `condition` holds; throws if it never does. */
export async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000; turn++) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error('the condition never held');
}

/** Advances `clock` in steps of `stepMs` until `work` settles (at most 10 000 steps); returns its value. */
export async function drive<T>(clock: FakeClock, work: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  for (let step = 0; step < 10_000 && !settled; step++) await clock.advance(stepMs);
  if (!settled) throw new Error('the work never settled');
  return watched;
}

/**
 * A pusher that keeps every frame it delivers, per connection. `hold` may delay a frame (a slow
 * PostToConnection); `failWith` decides, per frame, an error to throw instead of delivering (a
 * `ConnectionGoneError` for a vanished client).
 */
export class RecordingPusher implements ConnectionPusher {
  private readonly sent = new Map<string, string[]>();
  hold: (connectionId: string, frame: ServerFrame) => Promise<void> | undefined = () => undefined;
  failWith: (connectionId: string, frame: ServerFrame) => Error | undefined = () => undefined;
  /** Every push attempted, delivered or not. */
  attempts = 0;

  async send(connectionId: string, data: string): Promise<void> {
    this.attempts += 1;
    const frame = serverFrameSchema.parse(JSON.parse(data));
    await this.hold(connectionId, frame);
    const failure = this.failWith(connectionId, frame);
    if (failure) throw failure;
    this.sent.set(connectionId, [...this.raw(connectionId), data]);
  }

  /** The frames delivered to a connection, as sent. */
  raw(connectionId: string): string[] {
    return this.sent.get(connectionId) ?? [];
  }

  /** The frames delivered to a connection, parsed with the contract's schema. */
  frames(connectionId: string): ServerFrame[] {
    return this.raw(connectionId).map((data) => serverFrameSchema.parse(JSON.parse(data)));
  }
}

/** A memory session store that tells when an answer has been stored (the model has finished). */
export class WatchedSessionStore extends MemorySessionStore {
  private readonly stored = deferred();
  /** Resolves once the first turns have been appended. */
  readonly appended = this.stored.promise;

  override async append(tenantId: string, sessionId: string, turns: readonly SessionTurn[]): Promise<void> {
    await super.append(tenantId, sessionId, turns);
    this.stored.resolve();
  }
}

export interface HarnessOptions {
  readonly reply?: (call: FakeCall) => FakeReply;
  /**
   * Awaited before the model yields its delta number `index` (from 0).
   * @default nextTurn: a model slower than the pushes, so that no delta is coalesced
   */
  readonly modelPace?: (index: number) => Promise<void>;
  readonly budget?: TenantBudget;
  readonly sessions?: SessionStore;
  readonly connections?: ConnectionStore;
  readonly tickets?: TicketStore;
  readonly frames?: FrameLog;
  readonly logger?: Logger;
  readonly chat?: Partial<WebSocketChatOptions>;
}

/** Wraps model runtimes so that each stream waits on `pace` before each delta. */
function paced(provider: ModelRuntimeProvider, pace: (index: number) => Promise<void>): ModelRuntimeProvider {
  return (region, api) => {
    const runtime = provider(region, api);
    return {
      region: runtime.region,
      api: runtime.api,
      invoke: (request, signal) => runtime.invoke(request, signal),
      async *stream(request, signal) {
        let index = 0;
        for await (const event of runtime.stream(request, signal)) {
          if (event.type === 'delta') await pace(index++);
          yield event;
        }
      },
    };
  };
}

/**
 * A `WebSocketChat` over a real `ChatService` and gateway with fake model runtimes and memory
 * stores. `followClock` is the chat's own clock (resume following), apart from the gateway's.
 */
export function webSocketHarness(options: HarnessOptions = {}) {
  const clock = createFakeClock();
  const followClock = createFakeClock();
  const router = new ModelRouter({ catalog, estimateTokens });
  const runtimes = createFakeRuntimes(options.reply ?? (() => ({ deltas: ['こんにちは', '！'] })), clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: paced(runtimes.provider, options.modelPace ?? nextTurn),
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
    random: () => 0,
    degradedAnswer: false,
  });
  const sessions = options.sessions ?? new MemorySessionStore();
  const chat = new ChatService({
    gateway,
    sessions,
    ...(options.budget ? { budget: options.budget } : {}),
  });
  const connections = options.connections ?? new MemoryConnectionStore();
  const tickets = options.tickets ?? new MemoryTicketStore();
  const frames = options.frames ?? new MemoryFrameLog();
  const pusher = new RecordingPusher();
  const webSocket = new WebSocketChat({
    chat,
    connections,
    pusher,
    frames,
    tickets,
    clock: followClock,
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.chat,
  });

  let connectionCount = 0;
  /** Opens a connection for the tenant with a fresh ticket; returns its id. */
  async function connect(tenantId = 'manga-store'): Promise<string> {
    connectionCount += 1;
    const connectionId = `conn-${connectionCount}=`;
    const ticket = await tickets.issue(tenantId, 60);
    const { statusCode } = await webSocket.connect({ connectionId, ticket });
    if (statusCode !== 200) throw new Error(`connect answered ${statusCode}`);
    return connectionId;
  }

  /** Sends a client frame (an object, serialised here, or a raw string). */
  async function send(connectionId: string, frame: unknown): Promise<void> {
    await webSocket.message(connectionId, typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  return {
    webSocket,
    connect,
    send,
    pusher,
    frames,
    connections,
    sessions,
    tickets,
    runtimes,
    followClock,
  };
}

/** A `sendMessage` client frame. */
export function sendMessage(message: string, data: Record<string, unknown> = {}) {
  return { action: 'sendMessage', data: { message, ...data } };
}

/** A `resume` client frame. */
export function resume(streamId: string, lastSeq: number) {
  return { action: 'resume', data: { streamId, lastSeq } };
}

/** A fixed, valid session id (UUID v4). */
export const sessionId = '3f1c2b9e-5a4d-4c1e-9b2a-7d6e5f4a3b2c';

/** The frames of one stream, of the given type. */
export function ofType<T extends ServerFrame['type']>(
  frames: readonly ServerFrame[],
  type: T,
): Extract<ServerFrame, { type: T }>[] {
  return frames.filter((frame): frame is Extract<ServerFrame, { type: T }> => frame.type === type);
}

/** The stream id of the `start` frame among `frames` ('' when there is none). */
export function streamIdOf(frames: readonly ServerFrame[]): string {
  return ofType(frames, 'start')[0]?.stream_id ?? '';
}
