import { ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockEmulator, startBedrockEmulator } from './index.js';
import { ScriptBook, scriptSpecSchema } from './scripts.js';
import { anthropicBody, clientFor, converseInput, modelIds } from './test-support.js';

describe('ScriptBook', () => {
  it('answers a prompt containing the match with the script text', () => {
    const scripts = new ScriptBook();
    scripts.add({ match: 'refund', text: 'Refunds take 5 days.' });

    expect(scripts.take('How do I get a refund?')).toBe('Refunds take 5 days.');
    expect(scripts.take('Where is my order?')).toBeUndefined();
  });

  it('expires a script after its number of uses and shows what remains meanwhile', () => {
    const scripts = new ScriptBook();
    scripts.add({ match: 'refund', text: 'scripted', times: 2 });

    expect(scripts.take('refund')).toBe('scripted');
    expect(scripts.list()).toEqual([{ match: 'refund', text: 'scripted', times: 2, remaining: 1 }]);
    expect(scripts.take('refund')).toBe('scripted');
    expect(scripts.take('refund')).toBeUndefined();
    expect(scripts.list()).toEqual([]);
  });

  it('lets the oldest matching script answer first', () => {
    const scripts = new ScriptBook();
    scripts.add({ match: 'manga', text: 'first', times: 1 });
    scripts.add({ match: 'manga', text: 'second' });

    expect([scripts.take('manga'), scripts.take('manga'), scripts.take('manga')]).toEqual([
      'first',
      'second',
      'second',
    ]);
  });

  it('rejects a script without a match or with zero uses', () => {
    expect(scriptSpecSchema.safeParse({ match: '', text: 'x' }).success).toBe(false);
    expect(scriptSpecSchema.safeParse({ match: 'x', text: 'x', times: 0 }).success).toBe(false);
  });
});

describe('scripts over the wire', () => {
  let emulator: BedrockEmulator;

  beforeAll(async () => {
    emulator = await startBedrockEmulator();
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('answers exactly the scripted text for the scripted number of times, then the local model again', async () => {
    const client = clientFor(emulator);
    emulator.scripts.add({ match: '呪術廻戦', text: '最新刊は30巻です。', times: 2 });
    const ask = async () =>
      (await client.send(new ConverseCommand(converseInput(modelIds.haiku, '呪術廻戦の最新刊は？')))).output
        ?.message?.content?.[0]?.text;

    const answers = [await ask(), await ask(), await ask()];

    expect(answers.slice(0, 2)).toEqual(['最新刊は30巻です。', '最新刊は30巻です。']);
    expect(answers[2]).toMatch(/^\[local claude-haiku-4-5 @ ap-northeast-1\]/);
    client.destroy();
  });

  it('matches the system prompt as well as the messages, through InvokeModel too', async () => {
    const client = clientFor(emulator);
    emulator.scripts.add({ match: 'SUMMARY MODE', text: 'A short summary.' });

    const output = await client.send(
      new InvokeModelCommand({
        modelId: modelIds.haiku,
        body: anthropicBody('Summarise volume 1', { system: 'SUMMARY MODE: answer briefly.' }),
      }),
    );

    const message = JSON.parse(new TextDecoder().decode(output.body)) as { content: { text: string }[] };
    expect(message.content[0]?.text).toBe('A short summary.');
    emulator.scripts.clear();
    expect(emulator.scripts.list()).toEqual([]);
    client.destroy();
  });
});
