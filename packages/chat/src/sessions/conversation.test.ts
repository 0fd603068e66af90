import type { ChatMessage } from '@mangaassist/fm-gateway';
import { describe, expect, it } from 'vitest';
import { buildConversation, mangaAssistSystemPrompt, newInputFrom, systemPromptFor } from './conversation.js';
import type { SessionTurn } from './session-store.js';

const turn = (role: SessionTurn['role'], content: string): SessionTurn => ({
  role,
  content,
  at: '2026-11-22T00:00:00Z',
});
const user = (content: string): ChatMessage => ({ role: 'user', content });

describe('buildConversation', () => {
  it('puts the stored turns before the new message', () => {
    expect(buildConversation([turn('user', 'a'), turn('assistant', 'b')], [user('c')])).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ]);
  });

  it('keeps only the last ten stored turns', () => {
    const history = Array.from({ length: 30 }, (_, index) =>
      turn(index % 2 === 0 ? 'user' : 'assistant', `t${index}`),
    );
    const conversation = buildConversation(history, [user('new')]);
    expect(conversation).toHaveLength(11);
    expect(conversation[0]).toEqual({ role: 'user', content: 't20' });
  });

  it('drops assistant turns the window starts with, so the conversation starts with the user', () => {
    const history = [turn('assistant', 'orphan'), turn('user', 'q'), turn('assistant', 'a')];
    expect(buildConversation(history, [user('next')])[0]).toEqual({ role: 'user', content: 'q' });
  });

  it('joins consecutive turns of one role', () => {
    expect(buildConversation([turn('user', 'first')], [user('second')])).toEqual([
      { role: 'user', content: 'first\n\nsecond' },
    ]);
  });
});

describe('newInputFrom', () => {
  const stored = turn;

  it('points at the first new message after the stored turns', () => {
    const history = [stored('user', 'a'), stored('assistant', 'b')];
    const messages = [{ role: 'user' as const, content: 'c' }];
    expect(newInputFrom(history, messages)).toBe(2);
    expect(buildConversation(history, messages)[2]?.content).toBe('c');
  });

  it('counts a stored turn the new message is merged into as new, and starts at 0 without history', () => {
    const history = [stored('user', 'a'), stored('assistant', 'b'), stored('user', 'unanswered')];
    expect(newInputFrom(history, [{ role: 'user', content: 'c' }])).toBe(2);
    expect(
      newInputFrom(
        [],
        [
          { role: 'user', content: 'c' },
          { role: 'assistant', content: 'd' },
        ],
      ),
    ).toBe(0);
  });

  it('looks at the history the conversation keeps, not all of it', () => {
    const history = Array.from({ length: 30 }, (_, index) =>
      stored(index % 2 === 0 ? 'user' : 'assistant', `t${index}`),
    );
    expect(newInputFrom(history, [{ role: 'user', content: 'new' }], 10)).toBe(10);
  });
});

describe('systemPromptFor', () => {
  it('is the MangaAssist prompt, with the caller instructions after it', () => {
    expect(systemPromptFor()).toBe(mangaAssistSystemPrompt);
    expect(systemPromptFor('Answer in one sentence.')).toBe(
      `${mangaAssistSystemPrompt}\n\nAnswer in one sentence.`,
    );
  });
});
