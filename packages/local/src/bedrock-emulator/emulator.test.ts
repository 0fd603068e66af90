import {
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockEmulator, startBedrockEmulator } from './index.js';
import {
  anthropicBody,
  clientFor,
  converseInput,
  modelIds,
  readConverseStream,
  readInvokeStream,
} from './test-support.js';

let emulator: BedrockEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  client = clientFor(emulator);
});

afterEach(() => {
  emulator.resetStats();
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

function decodeJson(bytes: Uint8Array | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

describe('InvokeModel', () => {
  it('answers an Anthropic request with a message naming the local model and region', async () => {
    const output = await client.send(
      new InvokeModelCommand({
        modelId: modelIds.haiku,
        contentType: 'application/json',
        body: anthropicBody('Recommend a manga about cooking'),
      }),
    );

    const message = decodeJson(output.body);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5-20251001',
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
    const [block] = message.content as { type: string; text: string }[];
    expect(block?.type).toBe('text');
    expect(block?.text).toMatch(
      /^\[local claude-haiku-4-5 @ ap-northeast-1\] .*Recommend a manga about cooking/,
    );
  });

  it('accepts a model id with a colon and a geography prefix', async () => {
    const output = await client.send(
      new InvokeModelCommand({ modelId: modelIds.sonnetJapan, body: anthropicBody('hello') }),
    );

    expect(decodeJson(output.body).model).toBe('claude-sonnet-4-5-20250929');
    expect(emulator.stats({ modelId: modelIds.sonnetJapan }).attempts).toBe(1);
  });

  it('cuts the answer at max_tokens and says so in stop_reason', async () => {
    const output = await client.send(
      new InvokeModelCommand({
        modelId: modelIds.haiku,
        body: anthropicBody('Tell me everything', { max_tokens: 5 }),
      }),
    );

    const message = decodeJson(output.body);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage).toMatchObject({ output_tokens: 5 });
  });

  it('reports a cache write for a new cached system prompt and cache reads after it', async () => {
    const system = [
      {
        type: 'text',
        text: 'You are MangaAssist, a manga store guide.',
        cache_control: { type: 'ephemeral' },
      },
    ];
    const ask = async () =>
      decodeJson(
        (
          await client.send(
            new InvokeModelCommand({ modelId: modelIds.haiku, body: anthropicBody('hi', { system }) }),
          )
        ).body,
      ).usage as Record<string, number>;

    const first = await ask();
    const second = await ask();

    expect(first.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(first.cache_read_input_tokens).toBe(0);
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBe(0);
  });

  it('rejects a body that is not JSON with a ValidationException', async () => {
    const sending = client.send(
      new InvokeModelCommand({ modelId: modelIds.haiku, body: new TextEncoder().encode('{not json') }),
    );

    await expect(sending).rejects.toBeInstanceOf(ValidationException);
    await expect(sending).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('rejects an Anthropic body without max_tokens with a ValidationException naming the field', async () => {
    const body = new TextEncoder().encode(
      JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );

    const sending = client.send(new InvokeModelCommand({ modelId: modelIds.haiku, body }));

    await expect(sending).rejects.toBeInstanceOf(ValidationException);
    await expect(sending).rejects.toThrow(/max_tokens/);
  });

  it('rejects an unknown model id the way Bedrock does', async () => {
    const sending = client.send(
      new InvokeModelCommand({ modelId: 'not-a-model', body: anthropicBody('hi') }),
    );

    await expect(sending).rejects.toBeInstanceOf(ValidationException);
    await expect(sending).rejects.toThrow('The provided model identifier is invalid.');
  });
});

describe('task prompts', () => {
  it("answers the seeds' sentiment prompt with one word", async () => {
    const prompt =
      'Analyze the sentiment of this manga product review. Reply with exactly one word: positive, negative, or neutral.\n\n' +
      'Review: 作画は最高だけど、ストーリーはつまらない';

    const output = await client.send(
      new InvokeModelCommand({ modelId: modelIds.haiku, body: anthropicBody(prompt, { max_tokens: 10 }) }),
    );

    const message = decodeJson(output.body) as { content: { text: string }[] };
    expect(message.content[0]?.text).toBe('mixed');
  });

  it("answers the seeds' moderation prompt with only the verdict JSON", async () => {
    const prompt =
      'You are a content moderator for a Japanese manga store. Analyze this customer review for inappropriate content.\n\n' +
      'Review: I will kill the author, what an idiot\n\n' +
      'Respond with a JSON object:\n{"safe": true/false, "severity": "none/low/medium/high/critical", ' +
      '"categories": ["list of flagged categories"], "reason": "brief explanation"}';

    const output = await client.send(new ConverseCommand(converseInput(modelIds.haiku, prompt)));

    expect(JSON.parse(output.output?.message?.content?.[0]?.text ?? '')).toMatchObject({
      safe: false,
      severity: 'high',
      categories: ['violence', 'harassment'],
    });
  });
});

describe('InvokeModelWithResponseStream', () => {
  it('streams the Anthropic events as chunks with several deltas and usage at the end', async () => {
    const output = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: modelIds.haiku,
        body: anthropicBody('Which volume of One Piece should I read next?'),
      }),
    );

    const reading = await readInvokeStream(output);
    expect(reading.eventNames[0]).toBe('message_start');
    expect(reading.eventNames[1]).toBe('content_block_start');
    expect(reading.eventNames.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(reading.deltas.length).toBeGreaterThan(3);
    expect(reading.deltas.join('')).toMatch(/^\[local claude-haiku-4-5 @ ap-northeast-1\]/);
    const messageDelta = reading.events.at(-2);
    expect(messageDelta).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: expect.any(Number) },
    });
    expect(reading.events.at(-1)).toMatchObject({
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: expect.any(Number),
        outputTokenCount: expect.any(Number),
        invocationLatency: expect.any(Number),
        firstByteLatency: expect.any(Number),
      },
    });
  });
});

describe('Converse', () => {
  it('answers with the assistant message, stop reason, usage and latency', async () => {
    const output = await client.send(
      new ConverseCommand(converseInput(modelIds.haiku, 'Hello from the tests')),
    );

    expect(output.output?.message?.role).toBe('assistant');
    expect(output.output?.message?.content?.[0]?.text).toContain('Hello from the tests');
    expect(output.stopReason).toBe('end_turn');
    const usage = output.usage;
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    expect(output.metrics?.latencyMs).toEqual(expect.any(Number));
  });

  it('answers Japanese input in Japanese', async () => {
    const output = await client.send(
      new ConverseCommand(converseInput(modelIds.haiku, 'おすすめの漫画を教えて')),
    );

    const text = output.output?.message?.content?.[0]?.text ?? '';
    expect(text).toMatch(/^\[local claude-haiku-4-5 @ ap-northeast-1\] 【日本語・ローカル応答】/);
    expect(text).toContain('おすすめの漫画を教えて');
  });

  it('cuts the answer at maxTokens with stopReason max_tokens', async () => {
    const output = await client.send(
      new ConverseCommand({
        ...converseInput(modelIds.haiku, 'Tell me everything'),
        inferenceConfig: { maxTokens: 4 },
      }),
    );

    expect(output.stopReason).toBe('max_tokens');
    expect(output.usage?.outputTokens).toBe(4);
  });

  it('reports cache write then cache read tokens for a system prompt with a cache point', async () => {
    const system = [
      { text: 'You are a careful manga librarian.' },
      { cachePoint: { type: 'default' as const } },
    ];
    const ask = async () =>
      (await client.send(new ConverseCommand({ ...converseInput(modelIds.sonnetJapan, 'hi'), system })))
        .usage;

    const first = await ask();
    const second = await ask();

    expect(first?.cacheWriteInputTokens).toBeGreaterThan(0);
    expect(second?.cacheReadInputTokens).toBe(first?.cacheWriteInputTokens);
    expect(second?.cacheWriteInputTokens).toBe(0);
  });
});

describe('ConverseStream', () => {
  it('streams messageStart, several deltas, messageStop and metadata with usage', async () => {
    const output = await client.send(
      new ConverseStreamCommand(converseInput(modelIds.haiku, 'Summarise the plot of a shonen manga')),
    );

    const reading = await readConverseStream(output);
    expect(reading.eventNames[0]).toBe('messageStart');
    expect(reading.eventNames.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(reading.deltas.length).toBeGreaterThan(3);
    expect(reading.deltas.join('')).toContain('Summarise the plot of a shonen manga');
    expect(reading.events.at(-2)).toEqual({ messageStop: { stopReason: 'end_turn' } });
    expect(reading.events.at(-1)).toMatchObject({
      metadata: { usage: { outputTokens: expect.any(Number) }, metrics: { latencyMs: expect.any(Number) } },
    });
  });

  it('splits Japanese text into short character deltas', async () => {
    const output = await client.send(
      new ConverseStreamCommand(converseInput(modelIds.haiku, '最新刊はいつ発売ですか')),
    );

    const reading = await readConverseStream(output);
    const japaneseDeltas = reading.deltas.filter((delta) => /[ぁ-んァ-ン一-龯]/.test(delta));
    expect(japaneseDeltas.length).toBeGreaterThan(5);
    expect(japaneseDeltas.every((delta) => [...delta.trim()].length <= 4)).toBe(true);
  });
});

describe('one port, two protocols', () => {
  it('serves the SDK over HTTP/2 and fetch over HTTP/1.1 on the same port', async () => {
    await client.send(new ConverseCommand(converseInput(modelIds.haiku, 'over h2')));
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(modelIds.haiku)}/converse`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20261122/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: JSON.stringify(converseInput(modelIds.haiku, 'over http/1.1')),
    });

    expect(response.status).toBe(200);
    const body = (await response.json()) as { output: { message: { content: { text: string }[] } } };
    expect(body.output.message.content[0]?.text).toMatch(
      /^\[local claude-haiku-4-5 @ us-east-1\] .*over http\/1\.1/,
    );
    expect(emulator.stats().protocols).toEqual({ h2: 1, 'http/1.1': 1 });
  });

  it('answers an unsigned request with 403 MissingAuthenticationTokenException', async () => {
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(modelIds.haiku)}/converse`, {
      method: 'POST',
      body: JSON.stringify(converseInput(modelIds.haiku, 'no signature')),
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });
});
