import { describe, expect, it } from 'vitest';
import { chatLimits, conversationIssues, makeChatRequestSchema } from './chat.js';

const schema = makeChatRequestSchema(['claude-3-haiku', 'fast']);

type Role = 'user' | 'assistant';

function message(role: Role = 'user', content = 'こんにちは') {
  return { role, content };
}

/** Alternating user/assistant messages, starting with the user. */
function conversation(length: number) {
  return Array.from({ length }, (_, index) => message(index % 2 === 0 ? 'user' : 'assistant'));
}

function request(overrides: Record<string, unknown> = {}) {
  return { messages: [message()], ...overrides };
}

function issuePaths(input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('makeChatRequestSchema', () => {
  it('accepts a minimal request and fills in max_tokens 1024 and model auto', () => {
    const parsed = schema.parse(request());

    expect(parsed).toEqual({ messages: [message()], max_tokens: 1024, model: 'auto' });
  });

  it('accepts every optional field within its limits', () => {
    const input = request({
      max_tokens: 4096,
      model: 'claude-3-haiku',
      system: 'あなたは漫画書店の店員です。',
      session_id: 'session_0001-ab',
      temperature: 0.5,
    });

    expect(schema.parse(input)).toEqual(input);
  });

  it('accepts a model name from the catalog and auto, which is always allowed', () => {
    expect(schema.parse(request({ model: 'fast' })).model).toBe('fast');
    expect(makeChatRequestSchema([]).parse(request({ model: 'auto' })).model).toBe('auto');
  });

  it('accepts 1 and 50 messages', () => {
    expect(schema.safeParse(request({ messages: conversation(1) })).success).toBe(true);
    expect(schema.safeParse(request({ messages: conversation(chatLimits.maxMessages) })).success).toBe(true);
  });

  it('rejects a request without messages or with 51', () => {
    expect(issuePaths(request({ messages: [] }))).toEqual(['messages']);
    expect(issuePaths(request({ messages: conversation(51) }))).toEqual(['messages']);
  });

  it('accepts content of 100 000 characters and rejects 100 001', () => {
    expect(issuePaths(request({ messages: [message('user', 'a'.repeat(100_000))] }))).toEqual([]);
    expect(issuePaths(request({ messages: [message('user', 'a'.repeat(100_001))] }))).toEqual([
      'messages.0.content',
    ]);
  });

  it('rejects empty content', () => {
    expect(issuePaths(request({ messages: [message('user', '')] }))).toEqual(['messages.0.content']);
  });

  it('rejects the system role inside messages', () => {
    expect(issuePaths(request({ messages: [{ role: 'system', content: 'be nice' }] }))).toEqual([
      'messages.0.role',
    ]);
  });

  it('rejects max_tokens 0, 4097 and a fraction', () => {
    expect(issuePaths(request({ max_tokens: 0 }))).toEqual(['max_tokens']);
    expect(issuePaths(request({ max_tokens: 4097 }))).toEqual(['max_tokens']);
    expect(issuePaths(request({ max_tokens: 10.5 }))).toEqual(['max_tokens']);
  });

  it('rejects a model the catalog does not name', () => {
    expect(issuePaths(request({ model: 'gpt-4' }))).toEqual(['model']);
  });

  it('rejects an unknown field at the top level and inside a message', () => {
    expect(issuePaths(request({ stream: true }))).toEqual(['']);
    expect(issuePaths(request({ messages: [{ ...message(), name: 'taro' }] }))).toEqual(['messages.0']);
  });

  it('rejects a session_id that is too short, too long or has other characters', () => {
    expect(issuePaths(request({ session_id: 'short' }))).toEqual(['session_id']);
    expect(issuePaths(request({ session_id: 'a'.repeat(129) }))).toEqual(['session_id']);
    expect(issuePaths(request({ session_id: 'session/0001' }))).toEqual(['session_id']);
  });

  it('rejects a temperature outside 0..1', () => {
    expect(issuePaths(request({ temperature: 1.5 }))).toEqual(['temperature']);
  });
});

describe('conversationIssues', () => {
  it('finds nothing wrong with alternating turns that start and end with the user', () => {
    expect(conversationIssues(conversation(5))).toEqual([]);
  });

  it('finds nothing wrong with an empty list, which the schema rejects on its own', () => {
    expect(conversationIssues([])).toEqual([]);
  });

  it('reports a conversation that starts with the assistant at the first message', () => {
    expect(conversationIssues([message('assistant'), message('user')])).toEqual([
      { path: ['messages', 0, 'role'], message: 'the conversation must start with a user message' },
    ]);
  });

  it('reports a conversation that ends with the assistant at the last message', () => {
    expect(conversationIssues(conversation(4))).toEqual([
      { path: ['messages', 3, 'role'], message: 'the last message must be from the user' },
    ]);
  });

  it('reports each message that repeats the previous role', () => {
    const messages = [
      message('user'),
      message('user'),
      message('assistant'),
      message('assistant'),
      message('user'),
    ];

    expect(conversationIssues(messages)).toEqual([
      { path: ['messages', 1, 'role'], message: 'roles must alternate between user and assistant' },
      { path: ['messages', 3, 'role'], message: 'roles must alternate between user and assistant' },
    ]);
  });

  it('reports a lone assistant message once', () => {
    expect(conversationIssues([message('assistant')])).toEqual([
      { path: ['messages', 0, 'role'], message: 'the conversation must start with a user message' },
    ]);
  });

  it('reports a trailing repeated assistant message once', () => {
    const messages = [message('user'), message('assistant'), message('assistant')];

    expect(conversationIssues(messages).map((issue) => issue.path)).toEqual([['messages', 2, 'role']]);
  });
});
