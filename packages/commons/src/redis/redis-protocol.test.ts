// RESP2 on its own, without a socket: what the parser makes of a reply stream however TCP cuts it.
import { describe, expect, it, vi } from 'vitest';
import {
  encodeCommand,
  RedisProtocolError,
  type RedisReply,
  RedisReplyError,
  RedisReplyParser,
} from './redis-protocol.js';

/** The replies that `chunks`, fed in order, make; with the replies seen after each chunk. */
function parse(chunks: readonly Buffer[]): { replies: RedisReply[]; afterEachChunk: number[] } {
  const replies: RedisReply[] = [];
  const parser = new RedisReplyParser((reply) => replies.push(reply));
  const afterEachChunk: number[] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    afterEachChunk.push(replies.length);
  }
  return { replies, afterEachChunk };
}

const japanese = '漫画の新刊🎌'; // three-byte characters and a four-byte one, for splits inside a character
const binarySafe = `line one\r\nline two ${japanese}\r\n`; // CRLF inside: only the length says where it ends

/** Every kind of reply, nested and empty ones included, with what each parses to. */
const stream: [wire: string, reply: RedisReply][] = [
  ['+OK\r\n', 'OK'],
  [
    '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    new RedisReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
  ],
  [':42\r\n', 42],
  [':-2\r\n', -2],
  [`$${Buffer.byteLength(japanese)}\r\n${japanese}\r\n`, japanese],
  [`$${Buffer.byteLength(binarySafe)}\r\n${binarySafe}\r\n`, binarySafe],
  ['$0\r\n\r\n', ''],
  ['$-1\r\n', null],
  ['*-1\r\n', null],
  ['*0\r\n', []],
  [
    `*4\r\n$1\r\na\r\n*2\r\n:1\r\n*1\r\n$-1\r\n-ERR inside\r\n$${Buffer.byteLength(japanese)}\r\n${japanese}\r\n`,
    ['a', [1, [null]], new RedisReplyError('ERR inside'), japanese],
  ],
  ['+QUEUED\r\n', 'QUEUED'],
];
const wire = Buffer.from(stream.map(([bytes]) => bytes).join(''));
const expected = stream.map(([, reply]) => reply);

describe('RedisReplyParser', () => {
  it('reads every kind of reply from one chunk that carries them all, in order', () => {
    expect(parse([wire]).replies).toEqual(expected);
  });

  it('reads the same replies whatever byte the stream is split at', () => {
    for (let at = 1; at < wire.length; at++) {
      const { replies } = parse([wire.subarray(0, at), wire.subarray(at)]);
      expect(replies, `split at byte ${at}`).toEqual(expected);
    }
  });

  it('reads the same replies from chunks of one byte each', () => {
    const bytes = Array.from(wire, (byte) => Buffer.from([byte]));
    expect(parse(bytes).replies).toEqual(expected);
  });

  it('hands over each reply as soon as its last byte arrives', () => {
    const { afterEachChunk } = parse([
      Buffer.from('+OK\r\n+PO'),
      Buffer.from('NG\r\n$3\r\nab'),
      Buffer.from('c\r\n'),
    ]);
    expect(afterEachChunk).toEqual([1, 2, 3]);
  });

  it('reads an error reply as a RedisReplyError carrying its message, and its first word as its code', () => {
    const [reply, bare] = parse([
      Buffer.from("-READONLY You can't write against a read only replica.\r\n-ERR\r\n"),
    ]).replies;
    expect(reply).toBeInstanceOf(RedisReplyError);
    expect(reply).toHaveProperty('message', "READONLY You can't write against a read only replica.");
    expect(reply).toHaveProperty('code', 'READONLY');
    expect(bare).toHaveProperty('code', 'ERR');
  });

  it('refuses bytes that are not RESP2', () => {
    expect(() => parse([Buffer.from('HTTP/1.1 400 Bad Request\r\n')])).toThrow(RedisProtocolError);
    expect(() => parse([Buffer.from(':twelve\r\n')])).toThrow(RedisProtocolError);
    expect(() => parse([Buffer.from('$-3\r\n')])).toThrow(RedisProtocolError);
  });

  it('refuses a reply whose first byte is not a RESP2 type as soon as that byte arrives, without waiting for a line end', () => {
    expect(() => parse([Buffer.from('HTTP/1.1 400')])).toThrow(RedisProtocolError);
    expect(() => parse([Buffer.from('+OK\r\n'), Buffer.from([0x15, 0x03, 0x03])])).toThrow(
      /Not a RESP2 reply/,
    );
    expect(() => parse([Buffer.from('*2\r\n:1\r\nX')])).toThrow(RedisProtocolError);
    // RESP3 types: this client never sends HELLO 3, so they are not RESP2 either.
    for (const type of ['_', ',', '#', '%', '~', '>', '(', '=', '|', '!']) {
      expect(() => parse([Buffer.from(type)]), `type ${type}`).toThrow(RedisProtocolError);
    }
  });

  it("refuses a line longer than 64 KiB (Redis's inline limit) before its end arrives, and reads one of 64 KiB", () => {
    const parser = new RedisReplyParser(() => {});
    parser.feed(Buffer.from('+'));
    const kibibyte = Buffer.alloc(1024, 'a');
    expect(() => {
      for (let kib = 0; kib < 1024; kib++) parser.feed(kibibyte);
    }).toThrow(/longer than 65536 bytes/);
    const longest = `+${'b'.repeat(64 * 1024)}\r\n`;
    expect(parse([Buffer.from(longest)]).replies).toEqual(['b'.repeat(64 * 1024)]);
    expect(() => parse([Buffer.from(`-${'c'.repeat(64 * 1024 + 1)}\r\n`)])).toThrow(RedisProtocolError);
  });

  it('reads a line that arrives a byte at a time without copying it again for each byte', () => {
    const chunks = Array.from(Buffer.from(`+${'a'.repeat(20_000)}\r\n`), (byte) => Buffer.from([byte]));
    // What copies a partial line: counted, as the time it takes is not for a test to measure.
    const concat = vi.spyOn(Buffer, 'concat');
    const allocate = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      expect(parse(chunks).replies).toEqual(['a'.repeat(20_000)]);
      expect(concat.mock.calls.length + allocate.mock.calls.length).toBeLessThan(20);
    } finally {
      concat.mockRestore();
      allocate.mockRestore();
    }
  });

  it('refuses integers and lengths that are not plain decimal safe integers', () => {
    const refused = [
      ':\r\n',
      ':0x1F\r\n',
      ':1e3\r\n',
      ': 7 \r\n',
      ':+1\r\n',
      ':1.0\r\n',
      ':Infinity\r\n',
      ':9007199254740992\r\n',
      ':-9007199254740992\r\n',
      '$\r\n',
      '$ 3\r\nabc\r\n',
      '$0x3\r\nabc\r\n',
      '$1e1\r\n0123456789\r\n',
      '$-2\r\n',
      '*-2\r\n',
      '*+1\r\n:1\r\n',
    ];
    for (const wire of refused) {
      expect(() => parse([Buffer.from(wire)]), JSON.stringify(wire)).toThrow(RedisProtocolError);
    }
    expect(parse([Buffer.from(':9007199254740991\r\n:-9007199254740991\r\n:0\r\n')]).replies).toEqual([
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      0,
    ]);
  });

  it('refuses a bulk string longer than 512 MiB (proto-max-bulk-len) and an array longer than 2^31 - 1 elements', () => {
    expect(() => parse([Buffer.from(`$${512 * 1024 * 1024 + 1}\r\n`)])).toThrow(/512 MiB/);
    expect(() => parse([Buffer.from(`$${512 * 1024 * 1024}\r\n`)])).not.toThrow();
    expect(() => parse([Buffer.from(`*${2 ** 31}\r\n`)])).toThrow(RedisProtocolError);
    expect(() => parse([Buffer.from(`*${2 ** 31 - 1}\r\n`)])).not.toThrow();
  });

  it('refuses a bulk string that is longer than its length says', () => {
    expect(() => parse([Buffer.from('$2\r\nabc\r\n')])).toThrow(RedisProtocolError);
    expect(() => parse([Buffer.from('$2\r\na'), Buffer.from('bc\r\n')])).toThrow(RedisProtocolError);
  });
});

describe('encodeCommand', () => {
  it('writes an array of bulk strings whose lengths count bytes, not characters', () => {
    expect(encodeCommand(['SET', '漫画', 'a\r\nb'])).toBe(
      '*3\r\n$3\r\nSET\r\n$6\r\n漫画\r\n$4\r\na\r\nb\r\n',
    );
  });

  it('writes numbers in decimal', () => {
    expect(encodeCommand(['HINCRBYFLOAT', 'k', 'f', 0.0625, -1])).toBe(
      '*5\r\n$12\r\nHINCRBYFLOAT\r\n$1\r\nk\r\n$1\r\nf\r\n$6\r\n0.0625\r\n$2\r\n-1\r\n',
    );
  });

  it('refuses an argument that is neither a string nor a finite number, with a TypeError', () => {
    // What a JavaScript caller may pass despite the types: a null-prototype object has no string form.
    const refused = [Object.create(null), {}, undefined, null, Number.NaN, Number.POSITIVE_INFINITY];
    for (const [index, argument] of refused.entries()) {
      expect(() => encodeCommand(['ECHO', argument]), `argument ${index}`).toThrow(TypeError);
    }
  });

  it('reads back as the same strings', () => {
    const args = ['RPUSH', 'stream', `3\n${japanese}`, ''];
    expect(parse([Buffer.from(encodeCommand(args))]).replies).toEqual([args]);
  });
});
