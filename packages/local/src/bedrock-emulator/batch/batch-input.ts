import { randomInt } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** One record of a job's input: its id (Bedrock makes one up when a line has none) and body. */
export interface InputRecord {
  readonly recordId: string;
  readonly modelInput: Record<string, unknown>;
}

/** The records of an input file, or why the job cannot run them (the job's failure message). */
export type InputReading =
  | { readonly ok: true; readonly records: readonly InputRecord[] }
  | { readonly ok: false; readonly message: string };

export interface InputLimits {
  /** Records a job may hold; Bedrock's quota is 50,000 per job. */
  readonly maxRecords: number;
}

// Parsing yields to the event loop this often, so a 50,000-line file never stalls other requests.
const linesPerSlice = 500;

const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An 11-character record id like those in Bedrock's examples (`3223593EFGH`). */
function newRecordId(): string {
  return Array.from({ length: 11 }, () => idAlphabet.charAt(randomInt(idAlphabet.length))).join('');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a JSONL input file as Bedrock's validation step does: UTF-8, one JSON object per non-blank
 * line, each with a `modelInput` object and an optional string `recordId`; at least one record and
 * at most `maxRecords`. Whether `modelInput` suits the model is not checked here: that shows up as
 * the record's error, as on Bedrock.
 */
export async function readInputRecords(
  bytes: Uint8Array,
  inputUri: string,
  limits: InputLimits,
): Promise<InputReading> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, message: `The input file ${inputUri} is not UTF-8 text.` };
  }
  const lines = text.split('\n');
  const records: InputRecord[] = [];
  for (const [index, rawLine] of lines.entries()) {
    if (index > 0 && index % linesPerSlice === 0) await yieldToEventLoop();
    const line = rawLine.trim();
    if (line === '') continue;
    const record = readLine(line);
    if (typeof record === 'string') {
      return { ok: false, message: `Line ${index + 1} of ${inputUri} ${record}` };
    }
    if (records.length === limits.maxRecords) {
      return {
        ok: false,
        message: `The input file ${inputUri} has more than ${limits.maxRecords} records, the most a batch inference job may hold.`,
      };
    }
    records.push(record);
  }
  if (records.length === 0) return { ok: false, message: `The input file ${inputUri} contains no records.` };
  return { ok: true, records };
}

/** The record on a line, or what is wrong with it (completing "Line n of <uri> …"). */
function readLine(line: string): InputRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'is not valid JSON; each line of a JSONL file must be one JSON object.';
  }
  if (!isRecord(json)) return 'is not a JSON object.';
  const { recordId, modelInput } = json;
  if (!isRecord(modelInput)) return 'has no modelInput object.';
  if (recordId === undefined) return { recordId: newRecordId(), modelInput };
  if (typeof recordId !== 'string' || recordId === '')
    return 'has a recordId that is not a non-empty string.';
  return { recordId, modelInput };
}
