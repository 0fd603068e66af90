import { describe, expect, it } from 'vitest';
import { claudeRecord, jsonl } from './batch-fixtures.js';
import { readInputRecords } from './batch-input.js';

const uri = 's3://catalog-batch/in/records.jsonl';
const limits = { maxRecords: 50_000 };

describe('readInputRecords', () => {
  it('reads one record per non-blank line, CRLF endings included', async () => {
    const text = `${JSON.stringify(claudeRecord('a', 'x'))}\r\n\r\n${JSON.stringify(claudeRecord('b', 'y'))}`;

    const reading = await readInputRecords(new TextEncoder().encode(text), uri, limits);

    expect(reading).toEqual({ ok: true, records: [claudeRecord('a', 'x'), claudeRecord('b', 'y')] });
  });

  it('makes up an 11-character id for a record without one, as Bedrock does', async () => {
    const reading = await readInputRecords(
      jsonl([{ modelInput: claudeRecord('a', 'x').modelInput }]),
      uri,
      limits,
    );

    expect(reading.ok && reading.records[0]?.recordId).toMatch(/^[A-Z0-9]{11}$/);
  });

  it('refuses bytes that are not UTF-8', async () => {
    expect(await readInputRecords(new Uint8Array([0xff, 0xfe, 0x0a]), uri, limits)).toEqual({
      ok: false,
      message: `The input file ${uri} is not UTF-8 text.`,
    });
  });

  it.each([
    ['[1, 2]', 'is not a JSON object.'],
    ['{"recordId": 7, "modelInput": {}}', 'has a recordId that is not a non-empty string.'],
    ['{"recordId": "a", "modelInput": "hello"}', 'has no modelInput object.'],
  ])('refuses the line %s', async (line, problem) => {
    expect(await readInputRecords(new TextEncoder().encode(line), uri, limits)).toEqual({
      ok: false,
      message: `Line 1 of ${uri} ${problem}`,
    });
  });

  it('refuses a file with more records than the limit, and an empty one', async () => {
    const three = jsonl([claudeRecord('a', 'x'), claudeRecord('b', 'y'), claudeRecord('c', 'z')]);

    expect(await readInputRecords(three, uri, { maxRecords: 3 })).toMatchObject({ ok: true });
    expect(await readInputRecords(three, uri, { maxRecords: 2 })).toMatchObject({ ok: false });
    expect(await readInputRecords(new Uint8Array(), uri, limits)).toEqual({
      ok: false,
      message: `The input file ${uri} contains no records.`,
    });
  });
});
