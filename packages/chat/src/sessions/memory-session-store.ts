import { assertTtlSeconds, expiresAtSeconds, hasExpired } from '@mangaassist/commons';
import { assertHistoryLimit, sessionPartitionKey } from './session-rules.js';
import type { SessionStore, SessionTurn } from './session-store.js';

export interface MemorySessionStoreOptions {
  /**
   * How long a turn is kept after it was appended.
   * @default 86_400
   */
  readonly ttlSeconds?: number;
  /**
   * The current time in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

interface StoredTurn {
  readonly turn: SessionTurn;
  /** Epoch seconds, as the DynamoDB store's `expires_at`. */
  readonly expiresAt: number;
}

interface StoredSession {
  readonly turns: StoredTurn[];
}

/**
 * The session-store port in process memory, with the DynamoDB store's semantics: the last `limit`
 * turns oldest first, appends in order and never lost (each append happens at once, so concurrent
 * ones cannot collide), tenants kept apart by the same partition key, and every turn hidden
 * `ttlSeconds` after it was appended. Expired turns are dropped when their session is next read or
 * written. Nothing survives the process: for tests, `pnpm dev` fallbacks and single instances.
 *
 * Errors: `RangeError` for a negative or fractional `limit`, or a tenant id that is empty or
 * contains `#`.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
  }

  async history(tenantId: string, sessionId: string, limit: number): Promise<SessionTurn[]> {
    assertHistoryLimit(limit);
    const session = this.live(sessionPartitionKey(tenantId, sessionId));
    if (session === undefined || limit === 0) return [];
    const now = this.now();
    return session.turns
      .slice(-limit)
      .filter((stored) => !hasExpired(stored.expiresAt, now))
      .map((stored) => copyTurn(stored.turn));
  }

  async append(tenantId: string, sessionId: string, turns: readonly SessionTurn[]): Promise<void> {
    const key = sessionPartitionKey(tenantId, sessionId);
    if (turns.length === 0) return;
    const session = this.live(key) ?? { turns: [] };
    const expiresAt = expiresAtSeconds(this.now(), this.ttlSeconds);
    for (const turn of turns) session.turns.push({ turn: copyTurn(turn), expiresAt });
    this.sessions.set(key, session);
  }

  async clear(tenantId: string, sessionId: string): Promise<void> {
    this.sessions.delete(sessionPartitionKey(tenantId, sessionId));
  }

  /** The session without its expired turns (the oldest ones), or undefined when none is left. */
  private live(key: string): StoredSession | undefined {
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.now();
    const firstLive = session.turns.findIndex((stored) => !hasExpired(stored.expiresAt, now));
    if (firstLive === -1) {
      this.sessions.delete(key);
      return undefined;
    }
    session.turns.splice(0, firstLive);
    return session;
  }
}

/** A copy holding only the port's fields, so callers' objects are neither kept nor exposed. */
function copyTurn(turn: SessionTurn): SessionTurn {
  return {
    role: turn.role,
    content: turn.content,
    at: turn.at,
    ...(turn.model === undefined ? {} : { model: turn.model }),
  };
}
