import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  ModelStreamErrorException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../runtime/model-runtime.js';
import { collect, collectUntilError } from '../testing/stream-fixtures.js';
import { BedrockConverseRuntime } from './bedrock-converse-runtime.js';

const bedrock = mockClient(BedrockRuntimeClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => bedrock.restore());
const modelId = 'jp.anthropic.claude-haiku-4-5-20251001-v1:0';

function modelRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    modelId,
    messages: [
      { role: 'user', content: 'おすすめの漫画は？' },
      { role: 'assistant', content: 'ジャンルは？' },
      { role: 'user', content: '冒険もの' },
    ],
    maxTokens: 512,
    ...overrides,
  };
}

function converseOutput(overrides: Partial<ConverseCommandOutput> = {}): Partial<ConverseCommandOutput> {
  return {
    output: {
      message: { role: 'assistant', content: [{ text: 'ワンピース' }, { text: 'がおすすめです。' }] },
    },
    stopReason: 'end_turn',
    usage: { inputTokens: 30, outputTokens: 12, totalTokens: 42 },
    metrics: { latencyMs: 300 },
    ...overrides,
  };
}

async function* eventStream(events: readonly ConverseStreamOutput[]): AsyncGenerator<ConverseStreamOutput> {
  for (const event of events) yield event;
}

const messageStart: ConverseStreamOutput = { messageStart: { role: 'assistant' } };
const delta = (text: string): ConverseStreamOutput => ({
  contentBlockDelta: { contentBlockIndex: 0, delta: { text } },
});
const messageStop = (stopReason: 'end_turn' | 'max_tokens' = 'end_turn'): ConverseStreamOutput => ({
  messageStop: { stopReason },
});
const metadata: ConverseStreamOutput = {
  metadata: {
    usage: {
      inputTokens: 30,
      outputTokens: 12,
      totalTokens: 242,
      cacheReadInputTokens: 150,
      cacheWriteInputTokens: 50,
    },
    metrics: { latencyMs: 300 },
  },
};

/** The options (second argument) the runtime passed to \`client.send\` on its nth call. */
function sendOptions(call: number): unknown {
  const args: readonly unknown[] = bedrock.call(call).args;
  return args[1];
}

describe('BedrockConverseRuntime', () => {
  let runtime: BedrockConverseRuntime;

  beforeEach(() => {
    bedrock.reset();
    runtime = new BedrockConverseRuntime(
      new BedrockRuntimeClient({ region: 'ap-northeast-1' }),
      'ap-northeast-1',
    );
  });

  it('names its region and api', () => {
    expect(runtime.region).toBe('ap-northeast-1');
    expect(runtime.api).toBe('converse');
  });

  describe('invoke', () => {
    it('sends the messages as text blocks with the token limit and temperature', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());

      await runtime.invoke(modelRequest({ temperature: 0.3 }), new AbortController().signal);

      expect(bedrock).toReceiveCommandTimes(ConverseCommand, 1);
      expect(bedrock).toReceiveCommandWith(ConverseCommand, {
        modelId,
        messages: [
          { role: 'user', content: [{ text: 'おすすめの漫画は？' }] },
          { role: 'assistant', content: [{ text: 'ジャンルは？' }] },
          { role: 'user', content: [{ text: '冒険もの' }] },
        ],
        inferenceConfig: { maxTokens: 512, temperature: 0.3 },
      });
    });

    it('sends no system prompt and no temperature when the request has none', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());

      await runtime.invoke(modelRequest(), new AbortController().signal);

      const input = bedrock.commandCalls(ConverseCommand)[0]?.args[0].input;
      expect(input).not.toHaveProperty('system');
      expect(input?.inferenceConfig).toEqual({ maxTokens: 512 });
    });

    it('sends the system prompt without a cache point when prompt caching is off', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());

      await runtime.invoke(
        modelRequest({ system: '書店員として答えて', promptCache: false }),
        new AbortController().signal,
      );

      expect(bedrock).toReceiveCommandWith(ConverseCommand, { system: [{ text: '書店員として答えて' }] });
    });

    it('puts a cache point after the system prompt when prompt caching is on', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());

      await runtime.invoke(
        modelRequest({ system: '書店員として答えて', promptCache: true }),
        new AbortController().signal,
      );

      expect(bedrock).toReceiveCommandWith(ConverseCommand, {
        system: [{ text: '書店員として答えて' }, { cachePoint: { type: 'default' } }],
      });
    });

    it('sends no cache point without a system prompt, even when prompt caching is on', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());

      await runtime.invoke(modelRequest({ promptCache: true }), new AbortController().signal);

      expect(bedrock.commandCalls(ConverseCommand)[0]?.args[0].input).not.toHaveProperty('system');
    });

    it('joins the text blocks of the answer and maps stop reason and usage', async () => {
      bedrock.on(ConverseCommand).resolves(
        converseOutput({
          stopReason: 'max_tokens',
          usage: {
            inputTokens: 30,
            outputTokens: 12,
            totalTokens: 242,
            cacheReadInputTokens: 150,
            cacheWriteInputTokens: 50,
          },
        }),
      );

      const output = await runtime.invoke(modelRequest(), new AbortController().signal);

      expect(output).toEqual({
        text: 'ワンピースがおすすめです。',
        stopReason: 'max_tokens',
        usage: { inputTokens: 30, outputTokens: 12, cacheReadInputTokens: 150, cacheWriteInputTokens: 50 },
      });
    });

    it('reports zero cache tokens and an empty text when Bedrock omits them', async () => {
      bedrock
        .on(ConverseCommand)
        .resolves({ stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 } });

      const output = await runtime.invoke(modelRequest(), new AbortController().signal);

      expect(output).toEqual({
        text: '',
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      });
    });

    it('passes the abort signal to the client', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());
      const controller = new AbortController();

      await runtime.invoke(modelRequest(), controller.signal);

      expect(sendOptions(0)).toEqual({ abortSignal: controller.signal });
    });

    it("rejects with the SDK's error", async () => {
      const error = new ThrottlingException({
        message: 'Too many requests',
        $metadata: { httpStatusCode: 429 },
      });
      bedrock.on(ConverseCommand).rejects(error);

      await expect(runtime.invoke(modelRequest(), new AbortController().signal)).rejects.toBe(error);
    });
  });

  describe('stream', () => {
    it('yields the deltas, then one end with the stop reason and usage', async () => {
      bedrock.on(ConverseStreamCommand).resolves({
        stream: eventStream([
          messageStart,
          delta('ワン'),
          delta('ピース'),
          delta('です。'),
          messageStop('end_turn'),
          metadata,
        ]),
      });

      const events = await collect(runtime.stream(modelRequest(), new AbortController().signal));

      expect(events).toEqual([
        { type: 'delta', text: 'ワン' },
        { type: 'delta', text: 'ピース' },
        { type: 'delta', text: 'です。' },
        {
          type: 'end',
          stopReason: 'end_turn',
          usage: { inputTokens: 30, outputTokens: 12, cacheReadInputTokens: 150, cacheWriteInputTokens: 50 },
        },
      ]);
    });

    it('skips empty deltas and events it does not use', async () => {
      bedrock.on(ConverseStreamCommand).resolves({
        stream: eventStream([
          messageStart,
          { contentBlockStart: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: 'n' } } } },
          delta(''),
          delta('ok'),
          { contentBlockStop: { contentBlockIndex: 0 } },
          messageStop('max_tokens'),
          metadata,
        ]),
      });

      const events = await collect(runtime.stream(modelRequest(), new AbortController().signal));

      expect(events.map((event) => event.type)).toEqual(['delta', 'end']);
      expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'max_tokens' });
    });

    it('throws, after the deltas, when the stream closes without messageStop', async () => {
      bedrock.on(ConverseStreamCommand).resolves({ stream: eventStream([messageStart, delta('x')]) });
      const seen: unknown[] = [];

      const failure = await (async () => {
        for await (const event of runtime.stream(modelRequest(), new AbortController().signal))
          seen.push(event);
      })().catch((error: unknown) => error);

      expect(seen).toEqual([{ type: 'delta', text: 'x' }]);
      expect(failure).toMatchObject({ name: 'ModelStreamErrorException' });
    });

    it('sends the same input as invoke, with the cache point', async () => {
      bedrock.on(ConverseStreamCommand).resolves({ stream: eventStream([messageStop(), metadata]) });

      await collect(
        runtime.stream(
          modelRequest({ system: 'sys', promptCache: true, temperature: 0 }),
          new AbortController().signal,
        ),
      );

      expect(bedrock).toReceiveCommandWith(ConverseStreamCommand, {
        modelId,
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        inferenceConfig: { maxTokens: 512, temperature: 0 },
      });
    });

    it('throws an in-stream model error to the consumer after the deltas before it', async () => {
      const streamError = new ModelStreamErrorException({ message: 'model stream failed', $metadata: {} });
      bedrock.on(ConverseStreamCommand).resolves({
        stream: eventStream([
          messageStart,
          delta('途中'),
          delta('まで'),
          { modelStreamErrorException: streamError },
          delta('never'),
        ]),
      });

      const { events, error } = await collectUntilError(
        runtime.stream(modelRequest(), new AbortController().signal),
      );

      expect(events).toEqual([
        { type: 'delta', text: '途中' },
        { type: 'delta', text: 'まで' },
      ]);
      expect(error).toBe(streamError);
    });

    it('throws an in-stream throttle as the exception it carries', async () => {
      const throttle = new ThrottlingException({ message: 'slow down', $metadata: {} });
      bedrock
        .on(ConverseStreamCommand)
        .resolves({ stream: eventStream([{ throttlingException: throttle }]) });

      const { events, error } = await collectUntilError(
        runtime.stream(modelRequest(), new AbortController().signal),
      );

      expect(events).toEqual([]);
      expect(error).toBe(throttle);
    });

    it('passes the abort signal to the client', async () => {
      bedrock.on(ConverseStreamCommand).resolves({ stream: eventStream([messageStop(), metadata]) });
      const controller = new AbortController();

      await collect(runtime.stream(modelRequest(), controller.signal));

      expect(sendOptions(0)).toEqual({ abortSignal: controller.signal });
    });
  });

  describe('with a guardrail', () => {
    const guardrail = { id: 'gr0abc123def', version: '3' };
    const promptAttack = {
      guardrail: {
        inputAssessment: {
          gr0abc123def: {
            contentPolicy: {
              filters: [
                { type: 'PROMPT_ATTACK' as const, confidence: 'HIGH' as const, action: 'BLOCKED' as const },
                { type: 'HATE' as const, confidence: 'NONE' as const, action: 'NONE' as const },
              ],
            },
            topicPolicy: {
              topics: [{ name: 'competitors', type: 'DENY' as const, action: 'BLOCKED' as const }],
            },
          },
        },
      },
    };

    it('guards only the new user message, and asks for the trace', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());
      await runtime.invoke(
        modelRequest({ guardrail, system: 'You are MangaAssist.' }),
        new AbortController().signal,
      );
      expect(bedrock).toReceiveCommandWith(ConverseCommand, {
        messages: [
          { role: 'user', content: [{ text: 'おすすめの漫画は？' }] },
          { role: 'assistant', content: [{ text: 'ジャンルは？' }] },
          { role: 'user', content: [{ guardContent: { text: { text: '冒険もの' } } }] },
        ],
        system: [{ text: 'You are MangaAssist.' }],
        guardrailConfig: { guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3', trace: 'enabled' },
      });
    });

    it('reports an intervention with the policies that acted, and none when it let the call through', async () => {
      bedrock
        .on(ConverseCommand)
        .resolvesOnce(
          converseOutput({
            output: { message: { role: 'assistant', content: [{ text: 'お答えできません。' }] } },
            stopReason: 'guardrail_intervened',
            trace: promptAttack,
          }),
        )
        .resolves(converseOutput());

      const blocked = await runtime.invoke(modelRequest({ guardrail }), new AbortController().signal);
      expect(blocked).toMatchObject({
        text: 'お答えできません。',
        stopReason: 'guardrail_intervened',
        guardrail: { action: 'intervened', filters: ['PROMPT_ATTACK', 'competitors'] },
      });
      const passed = await runtime.invoke(modelRequest({ guardrail }), new AbortController().signal);
      expect(passed.guardrail).toEqual({ action: 'none', filters: [] });
    });

    it('guards every message the caller wrote and its instructions, and nothing of the stored history', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());
      const system = 'You are MangaAssist.\n\n一文で答えてください。';
      await runtime.invoke(
        modelRequest({
          guardrail,
          system,
          promptCache: true,
          callerInput: { fromMessage: 1, instructions: '一文で答えてください。' },
        }),
        new AbortController().signal,
      );
      expect(bedrock).toReceiveCommandWith(ConverseCommand, {
        messages: [
          { role: 'user', content: [{ text: 'おすすめの漫画は？' }] },
          { role: 'assistant', content: [{ guardContent: { text: { text: 'ジャンルは？' } } }] },
          { role: 'user', content: [{ guardContent: { text: { text: '冒険もの' } } }] },
        ],
        system: [
          { text: 'You are MangaAssist.' },
          { cachePoint: { type: 'default' } },
          { guardContent: { text: { text: '一文で答えてください。' } } },
        ],
      });
    });

    it('reports no verdict, and sends no guardrail, without one', async () => {
      bedrock.on(ConverseCommand).resolves(converseOutput());
      const output = await runtime.invoke(modelRequest(), new AbortController().signal);
      expect(output).not.toHaveProperty('guardrail');
      expect(bedrock.commandCalls(ConverseCommand)[0]?.args[0].input).not.toHaveProperty('guardrailConfig');
    });

    it('streams the verdict from the metadata event with the end', async () => {
      bedrock.on(ConverseStreamCommand).resolves({
        stream: eventStream([
          messageStart,
          delta('お答えできません。'),
          { messageStop: { stopReason: 'guardrail_intervened' } },
          {
            metadata: {
              usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
              metrics: { latencyMs: 5 },
              trace: promptAttack,
            },
          },
        ]),
      });
      const events = await collect(runtime.stream(modelRequest({ guardrail }), new AbortController().signal));
      expect(events.at(-1)).toMatchObject({
        type: 'end',
        stopReason: 'guardrail_intervened',
        guardrail: { action: 'intervened', filters: ['PROMPT_ATTACK', 'competitors'] },
      });
      expect(bedrock).toReceiveCommandWith(ConverseStreamCommand, {
        guardrailConfig: {
          guardrailIdentifier: 'gr0abc123def',
          guardrailVersion: '3',
          trace: 'enabled',
          streamProcessingMode: 'async',
        },
      });
    });
  });
});
