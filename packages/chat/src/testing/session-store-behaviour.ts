// The behaviour every SessionStore must show, written once and run against each implementation
// (in memory beside it, DynamoDB in test/integration). For tests only: it imports vitest.
import { randomUUID } from 'node:crypto';
import { manualClock } from '@mangaassist/commons/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SessionStore, SessionTurn } from '../sessions/session-store.js';

/** What a suite passes to the factory: the store must read the time from `now` and keep turns `ttlSeconds`. */
export interface SessionStoreFactoryOptions {
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly ttlSeconds: number;
}

/** Builds the store under test; called once per test. */
export type SessionStoreFactory = (
  options: SessionStoreFactoryOptions,
) => SessionStore | Promise<SessionStore>;

/** A stored turn, with the fields most tests do not care about filled in. For tests. */
export function sessionTurn(content: string, overrides: Partial<SessionTurn> = {}): SessionTurn {
  return { role: 'user', content, at: '2026-01-01T00:00:00.000Z', ...overrides };
}

const contents = (turns: readonly SessionTurn[]) => turns.map((turn) => turn.content);
const numbered = (prefix: string, count: number, start = 1) =>
  Array.from({ length: count }, (_, index) => sessionTurn(`${prefix} ${start + index}`));

/**
 * Registers the SessionStore behaviour suite for one implementation. Each test uses fresh tenant
 * and session ids, so a store backed by a shared table needs no cleaning between tests. It runs 30
 * concurrent appends to one session, which a store must take with its default options.
 *
 * @example describeSessionStore('MemorySessionStore', (options) => new MemorySessionStore(options));
 */
export function describeSessionStore(name: string, makeStore: SessionStoreFactory): void {
  describe(`${name} (SessionStore behaviour)`, () => {
    const ttlSeconds = 3_600;
    let clock: ReturnType<typeof manualClock>;
    let store: SessionStore;
    let tenant: string;
    let session: string;

    beforeEach(async () => {
      clock = manualClock(Date.UTC(2026, 0, 1));
      store = await makeStore({ now: () => clock.now(), ttlSeconds });
      const unique = randomUUID();
      tenant = `tenant-${unique.slice(0, 8)}`;
      session = `session-${unique}`;
    });

    it('returns no turns for a session that was never written', async () => {
      expect(await store.history(tenant, session, 10)).toEqual([]);
    });

    it('returns the last `limit` turns, oldest first', async () => {
      await store.append(tenant, session, numbered('turn', 3));
      await store.append(tenant, session, numbered('turn', 3, 4));
      expect(contents(await store.history(tenant, session, 4))).toEqual([
        'turn 3',
        'turn 4',
        'turn 5',
        'turn 6',
      ]);
    });

    it('returns every turn when the limit exceeds their number', async () => {
      await store.append(tenant, session, numbered('turn', 2));
      expect(contents(await store.history(tenant, session, 50))).toEqual(['turn 1', 'turn 2']);
    });

    it('returns no turns for a limit of 0 and rejects a negative or fractional limit', async () => {
      await store.append(tenant, session, numbered('turn', 2));
      expect(await store.history(tenant, session, 0)).toEqual([]);
      await expect(store.history(tenant, session, -1)).rejects.toThrow(RangeError);
      await expect(store.history(tenant, session, 1.5)).rejects.toThrow(RangeError);
    });

    it('keeps the turns of one append in their order, after the turns already stored', async () => {
      await store.append(tenant, session, [sessionTurn('first')]);
      await store.append(tenant, session, [
        sessionTurn('question', { role: 'user' }),
        sessionTurn('answer', { role: 'assistant', model: 'claude-haiku-4-5' }),
        sessionTurn('follow-up', { role: 'user' }),
      ]);
      expect(contents(await store.history(tenant, session, 10))).toEqual([
        'first',
        'question',
        'answer',
        'follow-up',
      ]);
    });

    it('returns each turn as it was appended, with a model only where one was given', async () => {
      const question = sessionTurn('ワンピースの最新刊は？', { at: '2026-01-01T09:00:00.000Z' });
      const answer = sessionTurn('110巻です。', {
        role: 'assistant',
        at: '2026-01-01T09:00:01.500Z',
        model: 'claude-haiku-4-5',
      });
      await store.append(tenant, session, [question, answer]);
      expect(await store.history(tenant, session, 2)).toStrictEqual([question, answer]);
    });

    it('treats an append of no turns as doing nothing', async () => {
      await store.append(tenant, session, []);
      expect(await store.history(tenant, session, 10)).toEqual([]);
    });

    it('never shows a session to another tenant that uses the same session id', async () => {
      const otherTenant = `${tenant}-other`;
      await store.append(tenant, session, [sessionTurn('mine')]);
      expect(await store.history(otherTenant, session, 10)).toEqual([]);
      await store.append(otherTenant, session, [sessionTurn('theirs')]);
      await store.clear(otherTenant, session);
      expect(contents(await store.history(tenant, session, 10))).toEqual(['mine']);
    });

    it('keeps two sessions of one tenant apart', async () => {
      await store.append(tenant, session, [sessionTurn('in the first')]);
      await store.append(tenant, `${session}-2`, [sessionTurn('in the second')]);
      expect(contents(await store.history(tenant, session, 10))).toEqual(['in the first']);
    });

    it('loses none of 30 concurrent turns on one session, each question right before its answer', async () => {
      const exchanges = Array.from({ length: 30 }, (_, index) => [
        sessionTurn(`question ${index}`),
        sessionTurn(`answer ${index}`, { role: 'assistant' }),
      ]);
      await Promise.all(exchanges.map((exchange) => store.append(tenant, session, exchange)));

      const stored = contents(await store.history(tenant, session, 100));
      expect(stored).toHaveLength(60);
      const pairs = Array.from({ length: 30 }, (_, index) =>
        stored.slice(index * 2, index * 2 + 2).join(' / '),
      );
      expect(pairs.sort()).toEqual(exchanges.map((exchange) => contents(exchange).join(' / ')).sort());
    });

    it('forgets every turn of a session on clear, however many there are, and starts afresh', async () => {
      await store.append(tenant, session, numbered('turn', 30));
      await store.append(tenant, session, numbered('turn', 7, 31));
      await store.clear(tenant, session);
      expect(await store.history(tenant, session, 100)).toEqual([]);
      await store.append(tenant, session, [sessionTurn('after clear')]);
      expect(contents(await store.history(tenant, session, 100))).toEqual(['after clear']);
    });

    it('clears a session that was never written without error', async () => {
      await expect(store.clear(tenant, session)).resolves.toBeUndefined();
    });

    it('hides each turn once its time to live has passed since it was appended', async () => {
      await store.append(tenant, session, [sessionTurn('early')]);
      clock.advanceSeconds(ttlSeconds / 2);
      await store.append(tenant, session, [sessionTurn('late')]);
      clock.advanceSeconds(ttlSeconds / 2 - 1);
      expect(contents(await store.history(tenant, session, 10))).toEqual(['early', 'late']);
      clock.advanceSeconds(1);
      expect(contents(await store.history(tenant, session, 10))).toEqual(['late']);
    });

    it('rejects a tenant id containing "#", which could reach into another tenant\'s partition', async () => {
      await expect(store.history('tenant#a', session, 10)).rejects.toThrow(RangeError);
      await expect(store.append('tenant#a', session, [sessionTurn('x')])).rejects.toThrow(RangeError);
      await expect(store.clear('tenant#a', session)).rejects.toThrow(RangeError);
    });
  });
}
