import type { ChatMessage } from '@mangaassist/fm-gateway';
import { describe, expect, it } from 'vitest';
import { buildConversation, mangaAssistSystemPrompt, systemPromptFor } from './conversation.js';
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

describe('systemPromptFor', () => {
  it('is the MangaAssist prompt, with the caller instructions after it', () => {
    expect(systemPromptFor()).toBe(mangaAssistSystemPrompt);
    expect(systemPromptFor('Answer in one sentence.')).toBe(
      `${mangaAssistSystemPrompt}\n\nAnswer in one sentence.`,
    );
  });
});
