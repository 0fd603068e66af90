import { utf8ByteLength } from '@mangaassist/commons';
import type { ServerFrame } from '@mangaassist/contracts';
import type { ChatAnswer } from '../chat-service.js';
import { citationsJson, guardrailJson, toUsageJson } from '../endpoints/usage-json.js';
import type { SessionTurn } from '../sessions/session-store.js';

/** The wire form of a server frame: its JSON. */
export function serializeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** UTF-8 size of a frame's JSON. */
export function frameBytes(frame: ServerFrame): number {
  return utf8ByteLength(serializeFrame(frame));
}

/**
 * Smallest budget `splitJsonText` accepts: the largest JSON form of one code point
 * (`\u0000` or an escaped lone surrogate, 6 bytes).
 */
export const minJsonTextBudget = 6;

/**
 * Splits `text` into pieces, in order, whose JSON string form (escapes included, quotes
 * excluded) is at most `maxBytes` of UTF-8 each; joined they are `text`. Never splits a code
 * point (a surrogate pair stays whole). Returns `[text]` when it already fits.
 * Throws `RangeError` when `maxBytes` is below `minJsonTextBudget`.
 *
 * @example splitJsonText('まんが', 6) // ['まん', 'が']
 */
export function splitJsonText(text: string, maxBytes: number): string[] {
  if (!(maxBytes >= minJsonTextBudget)) {
    throw new RangeError(`maxBytes must be at least ${minJsonTextBudget}, got ${maxBytes}`);
  }
  // Every UTF-16 code unit takes at most 6 bytes in JSON, so short enough strings need no scan.
  if (text.length * 6 <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index) ?? 0;
    const width = codePoint > 0xffff ? 2 : 1;
    const size = jsonCodePointBytes(codePoint);
    if (bytes + size > maxBytes) {
      pieces.push(text.slice(start, index));
      start = index;
      bytes = 0;
    }
    bytes += size;
    index += width;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** Bytes one code point takes inside a JSON string, as `JSON.stringify` writes it. */
function jsonCodePointBytes(codePoint: number): number {
  if (codePoint === 0x22 || codePoint === 0x5c) return 2; // \" and \\
  if (codePoint < 0x20) return shortEscapes.has(codePoint) ? 2 : 6; // \n … or \u00XX
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 6; // a lone surrogate becomes \uDXXX
  return codePoint < 0x10000 ? 3 : 4;
}

const shortEscapes: ReadonlySet<number> = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** A `delta` server frame. */
export type DeltaFrame = Extract<ServerFrame, { type: 'delta' }>;

/** The largest sequence number whose frame overhead the budgets below are computed for. */
const widestSeq = Number.MAX_SAFE_INTEGER;

/**
 * The `delta` frames for one model delta: one frame, or several when its JSON would exceed
 * `maxFrameBytes` (split between code points). `firstSeq` numbers the first; the rest follow.
 */
export function deltaFrames(
  streamId: string,
  firstSeq: number,
  text: string,
  maxFrameBytes: number,
): DeltaFrame[] {
  const overhead = frameBytes({ type: 'delta', stream_id: streamId, seq: widestSeq, text: '' });
  return splitJsonText(text, maxFrameBytes - overhead).map((piece, index) => ({
    type: 'delta',
    stream_id: streamId,
    seq: firstSeq + index,
    text: piece,
  }));
}

/** Where an error frame belongs: within a stream (its id and the frame's seq) or not. */
export interface FramePosition {
  readonly streamId?: string;
  readonly seq?: number;
}

/** An `error` frame whose message is cut (between code points) to keep the frame within `maxFrameBytes`. */
export function errorFrame(
  code: string,
  message: string,
  position: FramePosition,
  maxFrameBytes: number,
): ServerFrame {
  const frame = (text: string): ServerFrame => ({
    type: 'error',
    ...(position.streamId !== undefined ? { stream_id: position.streamId } : {}),
    ...(position.seq !== undefined ? { seq: position.seq } : {}),
    code,
    message: text,
  });
  const budget = maxFrameBytes - frameBytes(frame(''));
  const [first = ''] = splitJsonText(message, Math.max(budget, minJsonTextBudget));
  return frame(first);
}

/** The `complete` frame of an answer, in the contract's snake_case. */
export function completeFrame(
  streamId: string,
  seq: number,
  result: ChatAnswer,
  sessionId: string,
): ServerFrame {
  return {
    type: 'complete',
    stream_id: streamId,
    seq,
    stop_reason: result.stopReason,
    usage: toUsageJson(result.usage),
    model: result.model,
    cost_usd: result.costUsd,
    latency_ms: Math.round(result.latencyMs),
    ...(result.ttftMs !== undefined ? { ttft_ms: Math.round(result.ttftMs) } : {}),
    cached: result.cached,
    degraded: result.degraded,
    ...guardrailJson(result),
    session_id: sessionId,
    ...(result.stored !== undefined ? { stored: result.stored } : {}),
    ...citationsJson(result),
  };
}

/** Marks a turn cut to fit one frame. */
const truncationMark = '…';

/**
 * The `history` frames of a session: its turns, oldest first, packed into as few frames as
 * fit `maxFrameBytes` (always at least one, empty for an unknown session). A single turn too
 * large for a frame of its own is cut and ends with `…` — a history view, not the record.
 */
export function historyFrames(
  sessionId: string,
  turns: readonly SessionTurn[],
  maxFrameBytes: number,
): ServerFrame[] {
  const frames: ServerFrame[] = [];
  const empty = frameBytes({ type: 'history', session_id: sessionId, turns: [] });
  let batch: { role: SessionTurn['role']; content: string; at: string }[] = [];
  let bytes = empty;
  for (const turn of turns) {
    let entry = { role: turn.role, content: turn.content, at: turn.at };
    let size = utf8ByteLength(JSON.stringify(entry));
    if (empty + size > maxFrameBytes) {
      const room =
        maxFrameBytes - empty - utf8ByteLength(JSON.stringify({ ...entry, content: truncationMark }));
      const [kept = ''] = splitJsonText(turn.content, Math.max(room, minJsonTextBudget));
      entry = { ...entry, content: `${kept}${truncationMark}` };
      size = utf8ByteLength(JSON.stringify(entry));
    }
    const separator = batch.length > 0 ? 1 : 0;
    if (batch.length > 0 && bytes + separator + size > maxFrameBytes) {
      frames.push({ type: 'history', session_id: sessionId, turns: batch });
      batch = [];
      bytes = empty;
    }
    bytes += (batch.length > 0 ? 1 : 0) + size;
    batch.push(entry);
  }
  frames.push({ type: 'history', session_id: sessionId, turns: batch });
  return frames;
}
