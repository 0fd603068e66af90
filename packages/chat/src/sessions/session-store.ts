import type { ChatRole } from '@mangaassist/fm-gateway';

/** One message of a stored conversation. */
export interface SessionTurn {
  readonly role: ChatRole;
  readonly content: string;
  /** ISO-8601 time the turn was stored. */
  readonly at: string;
  /** Catalog key of the model that wrote an assistant turn. */
  readonly model?: string;
}

/**
 * The session-store port: conversation history per tenant and session. Turns are kept in
 * order; a tenant can never read another tenant's session, whatever id it sends.
 */
export interface SessionStore {
  /** The last `limit` turns, oldest first; empty for an unknown session. */
  history(tenantId: string, sessionId: string, limit: number): Promise<SessionTurn[]>;
  /** Appends turns after the existing ones, in order (concurrent appends never overwrite each other). */
  append(tenantId: string, sessionId: string, turns: readonly SessionTurn[]): Promise<void>;
  /** Forgets the session. */
  clear(tenantId: string, sessionId: string): Promise<void>;
}
