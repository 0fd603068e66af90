import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelTimeoutException,
  type ResponseStream,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../runtime/model-runtime.js';
import { collect, collectUntilError } from '../testing/stream-fixtures.js';
import { BedrockAnthropicInvokeRuntime } from './bedrock-invoke-runtime.js';

const bedrock = mockClient(BedrockRuntimeClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => bedrock.restore());
const modelId = 'anthropic.claude-3-sonnet-20240229-v1:0';

function modelRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    modelId,
    messages: [{ role: 'user', content: '鬼滅の刃の次に読むなら？' }],
    maxTokens: 300,
    ...overrides,
  };
}

/** A response body as the SDK hands it over: the bytes, able to turn themselves into a string. */
function responseBody(json: unknown) {
  const text = JSON.stringify(json);
  return Object.assign(new TextEncoder().encode(text), { transformToString: () => text });
}

function anthropicMessage(overrides: Record<string, unknown> = {}) {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    content: [
      { type: 'text', text: '呪術廻戦' },
      { type: 'text', text: 'はいかが？' },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 25, output_tokens: 9 },
    ...overrides,
  };
}

/** One `chunk` event of InvokeModelWithResponseStream, carrying an Anthropic stream event. */
function chunk(event: Record<string, unknown>): ResponseStream {
  return { chunk: { bytes: new TextEncoder().encode(JSON.stringify(event)) } };
}

const messageStart = (usage: Record<string, number> = { input_tokens: 25, output_tokens: 1 }) =>
  chunk({ type: 'message_start', message: { id: 'msg_01', role: 'assistant', content: [], usage } });
const textDelta = (text: string) =>
  chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
const messageDelta = (stop_reason: string, output_tokens: number) =>
  chunk({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens } });
const messageStop = chunk({
  type: 'message_stop',
  'amazon-bedrock-invocationMetrics': { inputTokenCount: 25, outputTokenCount: 9, invocationLatency: 500 },
});

async function* eventStream(events: readonly ResponseStream[]): AsyncGenerator<ResponseStream> {
  for (const event of events) yield event;
}

/** The options (second argument) the runtime passed to \`client.send\` on its nth call. */
function sendOptions(call: number): unknown {
  const args: readonly unknown[] = bedrock.call(call).args;
  return args[1];
}

/** The JSON body the runtime sent with its first command. */
function sentBody(): unknown {
  const body = bedrock.call(0).args[0].input;
  if (typeof body !== 'object' || body === null || !('body' in body) || typeof body.body !== 'string') {
    throw new Error('the first command carried no string body');
  }
  return JSON.parse(body.body);
}

describe('BedrockAnthropicInvokeRuntime', () => {
  let runtime: BedrockAnthropicInvokeRuntime;

  beforeEach(() => {
    bedrock.reset();
    runtime = new BedrockAnthropicInvokeRuntime(
      new BedrockRuntimeClient({ region: 'us-east-1' }),
      'us-east-1',
    );
  });

  it('names its region and api', () => {
    expect(runtime.region).toBe('us-east-1');
    expect(runtime.api).toBe('invoke');
  });

  describe('invoke', () => {
    it('sends an Anthropic Messages body as JSON to the model', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody(anthropicMessage()) });

      await runtime.invoke(modelRequest({ temperature: 0.4 }), new AbortController().signal);

      expect(bedrock).toReceiveCommandWith(InvokeModelCommand, {
        modelId,
        contentType: 'application/json',
        accept: 'application/json',
      });
      expect(sentBody()).toEqual({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 300,
        messages: [{ role: 'user', content: '鬼滅の刃の次に読むなら？' }],
        temperature: 0.4,
      });
    });

    it('sends the system prompt as a string when prompt caching is off', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody(anthropicMessage()) });

      await runtime.invoke(modelRequest({ system: '書店員として答えて' }), new AbortController().signal);

      expect(sentBody()).toMatchObject({ system: '書店員として答えて' });
    });

    it('sends the system prompt as a cached text block when prompt caching is on', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody(anthropicMessage()) });

      await runtime.invoke(
        modelRequest({ system: '書店員として答えて', promptCache: true }),
        new AbortController().signal,
      );

      expect(sentBody()).toMatchObject({
        system: [{ type: 'text', text: '書店員として答えて', cache_control: { type: 'ephemeral' } }],
      });
    });

    it('sends neither system nor temperature when the request has none', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody(anthropicMessage()) });

      await runtime.invoke(modelRequest({ promptCache: true }), new AbortController().signal);

      expect(Object.keys(sentBody() as object).sort()).toEqual([
        'anthropic_version',
        'max_tokens',
        'messages',
      ]);
    });

    it('joins the text blocks of the answer and maps stop reason and usage with cache tokens', async () => {
      bedrock.on(InvokeModelCommand).resolves({
        body: responseBody(
          anthropicMessage({
            content: [
              { type: 'text', text: '呪術廻戦' },
              { type: 'tool_use', id: 't', name: 'n', input: {} },
              { type: 'text', text: 'はいかが？' },
            ],
            stop_reason: 'max_tokens',
            usage: {
              input_tokens: 25,
              output_tokens: 9,
              cache_read_input_tokens: 200,
              cache_creation_input_tokens: 80,
            },
          }),
        ),
      });

      const output = await runtime.invoke(modelRequest(), new AbortController().signal);

      expect(output).toEqual({
        text: '呪術廻戦はいかが？',
        stopReason: 'max_tokens',
        usage: { inputTokens: 25, outputTokens: 9, cacheReadInputTokens: 200, cacheWriteInputTokens: 80 },
      });
    });

    it('reads null cache token counts as zero', async () => {
      bedrock.on(InvokeModelCommand).resolves({
        body: responseBody(
          anthropicMessage({
            usage: {
              input_tokens: 25,
              output_tokens: 9,
              cache_read_input_tokens: null,
              cache_creation_input_tokens: null,
            },
          }),
        ),
      });

      const { usage } = await runtime.invoke(modelRequest(), new AbortController().signal);

      expect(usage).toEqual({
        inputTokens: 25,
        outputTokens: 9,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
      });
    });

    it('maps a refusal to content_filtered', async () => {
      bedrock
        .on(InvokeModelCommand)
        .resolves({ body: responseBody(anthropicMessage({ stop_reason: 'refusal' })) });

      const { stopReason } = await runtime.invoke(modelRequest(), new AbortController().signal);

      expect(stopReason).toBe('content_filtered');
    });

    it('rejects a body that is not an Anthropic message', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody({ completion: 'old format' }) });

      await expect(runtime.invoke(modelRequest(), new AbortController().signal)).rejects.toThrow();
    });

    it('passes the abort signal to the client', async () => {
      bedrock.on(InvokeModelCommand).resolves({ body: responseBody(anthropicMessage()) });
      const controller = new AbortController();

      await runtime.invoke(modelRequest(), controller.signal);

      expect(sendOptions(0)).toEqual({ abortSignal: controller.signal });
    });

    it("rejects with the SDK's error", async () => {
      const error = new ValidationException({ message: 'bad body', $metadata: { httpStatusCode: 400 } });
      bedrock.on(InvokeModelCommand).rejects(error);

      await expect(runtime.invoke(modelRequest(), new AbortController().signal)).rejects.toBe(error);
    });
  });

  describe('stream', () => {
    it('yields the text deltas, then one end with the stop reason and usage', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({
        body: eventStream([
          messageStart({
            input_tokens: 25,
            output_tokens: 1,
            cache_read_input_tokens: 200,
            cache_creation_input_tokens: 80,
          }),
          chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
          textDelta('呪術'),
          textDelta('廻戦'),
          chunk({ type: 'ping' }),
          chunk({ type: 'content_block_stop', index: 0 }),
          messageDelta('end_turn', 9),
          messageStop,
        ]),
      });

      const events = await collect(runtime.stream(modelRequest(), new AbortController().signal));

      expect(events).toEqual([
        { type: 'delta', text: '呪術' },
        { type: 'delta', text: '廻戦' },
        {
          type: 'end',
          stopReason: 'end_turn',
          usage: { inputTokens: 25, outputTokens: 9, cacheReadInputTokens: 200, cacheWriteInputTokens: 80 },
        },
      ]);
    });

    it('sends the same body as invoke', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({ body: eventStream([messageStop]) });

      await collect(
        runtime.stream(modelRequest({ system: 'sys', promptCache: true }), new AbortController().signal),
      );

      expect(bedrock).toReceiveCommandWith(InvokeModelWithResponseStreamCommand, {
        modelId,
        accept: 'application/json',
      });
      expect(sentBody()).toEqual({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 300,
        messages: [{ role: 'user', content: '鬼滅の刃の次に読むなら？' }],
        system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      });
    });

    it('ignores a chunk type it does not know and deltas that carry no text', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({
        body: eventStream([
          messageStart(),
          chunk({
            type: 'content_block_delta',
            index: 1,
            delta: { type: 'input_json_delta', partial_json: '{"a":' },
          }),
          chunk({ type: 'something_new', payload: 1 }),
          textDelta('ok'),
          { $unknown: ['somethingNew', {}] },
          messageDelta('stop_sequence', 2),
          messageStop,
        ]),
      });

      const events = await collect(runtime.stream(modelRequest(), new AbortController().signal));

      expect(events).toEqual([
        { type: 'delta', text: 'ok' },
        {
          type: 'end',
          stopReason: 'stop_sequence',
          usage: { inputTokens: 25, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
        },
      ]);
    });

    it('throws, after the deltas, when the stream closes without message_stop', async () => {
      bedrock
        .on(InvokeModelWithResponseStreamCommand)
        .resolves({ body: eventStream([messageStart(), textDelta('x')]) });
      const seen: unknown[] = [];

      const failure = await (async () => {
        for await (const event of runtime.stream(modelRequest(), new AbortController().signal))
          seen.push(event);
      })().catch((error: unknown) => error);

      expect(seen).toEqual([{ type: 'delta', text: 'x' }]);
      expect(failure).toMatchObject({ name: 'ModelStreamErrorException' });
    });

    it('throws an Anthropic error chunk as a ModelStreamErrorException after the deltas before it', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({
        body: eventStream([
          messageStart(),
          textDelta('途中'),
          chunk({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
          textDelta('never'),
        ]),
      });

      const { events, error } = await collectUntilError(
        runtime.stream(modelRequest(), new AbortController().signal),
      );

      expect(events).toEqual([{ type: 'delta', text: '途中' }]);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name: 'ModelStreamErrorException', message: 'Overloaded' });
    });

    it('names an Anthropic error by its type when it has no message', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({
        body: eventStream([chunk({ type: 'error', error: { type: 'api_error' } })]),
      });

      const { error } = await collectUntilError(runtime.stream(modelRequest(), new AbortController().signal));

      expect(error).toMatchObject({ name: 'ModelStreamErrorException', message: 'api_error' });
    });

    it('throws an in-stream exception member as the exception it carries', async () => {
      const timeout = new ModelTimeoutException({ message: 'model timed out', $metadata: {} });
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({
        body: eventStream([messageStart(), textDelta('a'), { modelTimeoutException: timeout }]),
      });

      const { events, error } = await collectUntilError(
        runtime.stream(modelRequest(), new AbortController().signal),
      );

      expect(events).toEqual([{ type: 'delta', text: 'a' }]);
      expect(error).toBe(timeout);
    });

    it('passes the abort signal to the client', async () => {
      bedrock.on(InvokeModelWithResponseStreamCommand).resolves({ body: eventStream([messageStop]) });
      const controller = new AbortController();

      await collect(runtime.stream(modelRequest(), controller.signal));

      expect(sendOptions(0)).toEqual({ abortSignal: controller.signal });
    });
  });
});
