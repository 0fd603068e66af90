// Shared by the emulator's tests: the real SDK clients pointed at an emulator, and stream readers.
import { BedrockClient } from '@aws-sdk/client-bedrock';
import {
  BedrockRuntimeClient,
  type ContentBlockDeltaEvent,
  type ConverseStreamCommandOutput,
  type InvokeModelWithResponseStreamCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type BedrockEmulator, startBedrockEmulator } from './emulator.js';

export const modelIds = {
  haiku: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  sonnetJapan: 'jp.anthropic.claude-sonnet-4-5-20250929-v1:0',
} as const;

/**
 * An emulator and a runtime client on it for the test file: started before its tests, faults
 * cleared after each, both closed at the end. Read them through the getters, inside tests.
 */
export function useEmulator(): { emulator(): BedrockEmulator; client(): BedrockRuntimeClient } {
  let emulator: BedrockEmulator | undefined;
  let client: BedrockRuntimeClient | undefined;
  beforeAll(async () => {
    emulator = await startBedrockEmulator();
    client = clientFor(emulator);
  });
  afterEach(() => {
    emulator?.faults.clear();
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useEmulator: read it inside a test, after beforeAll');
    return value;
  };
  return { emulator: () => started(emulator), client: () => started(client) };
}

export function clientFor(
  emulator: BedrockEmulator,
  options: { region?: string; maxAttempts?: number } = {},
): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: options.region ?? 'ap-northeast-1',
    endpoint: emulator.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** The real control-plane client (batch inference) pointed at the emulator. */
export function controlClientFor(
  emulator: BedrockEmulator,
  options: { region?: string } = {},
): BedrockClient {
  return new BedrockClient({
    region: options.region ?? 'ap-northeast-1',
    endpoint: emulator.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** An InvokeModel body for Claude (Anthropic Messages on Bedrock). */
export function anthropicBody(text: string, overrides: Record<string, unknown> = {}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 512,
      messages: [{ role: 'user', content: text }],
      ...overrides,
    }),
  );
}

export function converseInput(modelId: string, text: string) {
  return { modelId, messages: [{ role: 'user' as const, content: [{ text }] }] };
}

/** A stream's text deltas, and the events it carried in order (by name). */
export interface StreamReading {
  readonly deltas: string[];
  readonly eventNames: string[];
  readonly events: Record<string, unknown>[];
}

export async function readConverseStream(output: ConverseStreamCommandOutput): Promise<StreamReading> {
  const reading: StreamReading = { deltas: [], eventNames: [], events: [] };
  for await (const event of output.stream ?? []) {
    for (const [name, value] of Object.entries(event)) {
      if (value === undefined) continue;
      reading.eventNames.push(name);
      reading.events.push({ [name]: value });
      if (name === 'contentBlockDelta') {
        const text = (value as ContentBlockDeltaEvent).delta?.text;
        if (text !== undefined) reading.deltas.push(text);
      }
    }
  }
  return reading;
}

/** Reads InvokeModelWithResponseStream, decoding each chunk's Anthropic event. */
export async function readInvokeStream(
  output: InvokeModelWithResponseStreamCommandOutput,
): Promise<StreamReading> {
  const reading: StreamReading = { deltas: [], eventNames: [], events: [] };
  for await (const part of output.body ?? []) {
    const bytes = part.chunk?.bytes;
    if (bytes === undefined) continue;
    const event = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    reading.eventNames.push(String(event.type));
    reading.events.push(event);
    const delta = event.delta as { text?: unknown } | undefined;
    if (event.type === 'content_block_delta' && typeof delta?.text === 'string')
      reading.deltas.push(delta.text);
  }
  return reading;
}
