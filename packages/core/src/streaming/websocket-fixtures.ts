// Test doubles and a harness for the WebSocket chat's tests (not part of the public surface).
import { type ServerFrame, serverFrameSchema } from '@mangaassist/contracts';
import { loadModelCatalog } from '../catalog/model-catalog.js';
import { ChatService } from '../chat/chat-service.js';
import { createFakeRuntimes, type FakeCall, type FakeReply } from '../gateway/fake-model-runtime.js';
import { FmGateway } from '../gateway/fm-gateway.js';
import type { Logger } from '../observability/logger.js';
import { createFakeClock } from '../resilience/fake-clock.js';
import { ModelRouter } from '../routing/model-router.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { TenantBudget } from '../tenants/budget.js';
import { MemoryTicketStore } from '../tenants/memory-ticket-store.js';
import type { TicketStore } from '../tenants/ticket-store.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import type { ConnectionPusher } from './connection-pusher.js';
import type { ConnectionStore } from './connection-store.js';
import { MemoryConnectionStore } from './memory-connection-store.js';
import { MemoryFrameLog } from './memory-frame-log.js';
import { WebSocketChat, type WebSocketChatOptions } from './websocket-chat.js';

const catalog = loadModelCatalog();

/**
 * A pusher that keeps every frame it delivers, per connection. `failWith` decides, per frame,
 * an error to throw instead of delivering (a `ConnectionGoneError` for a vanished client).
 */
export class RecordingPusher implements ConnectionPusher {
  private readonly sent = new Map<string, string[]>();
  failWith: (connectionId: string, frame: ServerFrame) => Error | undefined = () => undefined;

  async send(connectionId: string, data: string): Promise<void> {
    const failure = this.failWith(connectionId, serverFrameSchema.parse(JSON.parse(data)));
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

export interface HarnessOptions {
  readonly reply?: (call: FakeCall) => FakeReply;
  readonly budget?: TenantBudget;
  readonly sessions?: SessionStore;
  readonly connections?: ConnectionStore;
  readonly tickets?: TicketStore;
  readonly logger?: Logger;
  readonly chat?: Partial<WebSocketChatOptions>;
}

/** A `WebSocketChat` over a real `ChatService` and gateway with fake model runtimes and memory stores. */
export function webSocketHarness(options: HarnessOptions = {}) {
  const clock = createFakeClock();
  const router = new ModelRouter({ catalog, estimateTokens });
  const runtimes = createFakeRuntimes(options.reply ?? (() => ({ deltas: ['こんにちは', '！'] })), clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: runtimes.provider,
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
  const frames = new MemoryFrameLog();
  const pusher = new RecordingPusher();
  const webSocket = new WebSocketChat({
    chat,
    connections,
    pusher,
    frames,
    tickets,
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

  return { webSocket, connect, send, pusher, frames, connections, sessions, tickets, runtimes };
}

/** A `sendMessage` client frame. */
export function sendMessage(message: string, data: Record<string, unknown> = {}) {
  return { action: 'sendMessage', data: { message, ...data } };
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
