import { type ClientFrame, clientFrameSchema, websocketLimits } from '@mangaassist/contracts';
import { readJson } from './json-text.js';

export type ParsedClientFrame = { ok: true; frame: ClientFrame } | { ok: false; message: string };

/**
 * Reads a client message: at most `websocketLimits.maxFrameBytes` of UTF-8, JSON, then the
 * contract's client frames (the zod issues say what is wrong).
 */
export function parseClientFrame(body: string): ParsedClientFrame {
  if (Buffer.byteLength(body, 'utf8') > websocketLimits.maxFrameBytes) {
    return {
      ok: false,
      message: `The message is larger than ${websocketLimits.maxFrameBytes} bytes; no client frame is.`,
    };
  }
  const read = readJson(clientFrameSchema, body, '(frame)');
  if (read.ok) return { ok: true, frame: read.value };
  if (read.issues === undefined) return { ok: false, message: 'The message is not valid JSON.' };
  return { ok: false, message: `Invalid frame: ${read.issues}` };
}
