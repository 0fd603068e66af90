/**
 * RESP2, the wire protocol of Redis: commands out (`encodeCommand`), replies in
 * (`RedisReplyParser`). Replies are read incrementally: one may arrive in any number of TCP
 * chunks, split anywhere (inside a length, a CRLF or a multi-byte character), and one chunk may
 * carry many.
 */

/**
 * One reply: a simple or bulk string (bulk strings decoded as UTF-8), an integer, nil (a nil
 * bulk string or array), an array of replies, or — inside an array, as in the reply of `EXEC` —
 * an error reply. An error reply at the top level rejects its command instead.
 */
export type RedisReply = string | number | null | RedisReplyError | RedisReply[];

/** An argument of a command: a string is sent as its UTF-8 bytes, a number in decimal. */
export type RedisArgument = string | number;

/**
 * An error reply (`-ERR …`, `-WRONGTYPE …`): Redis answered, and refused the command. Its `code`
 * is the reply's first word, the kind of error by Redis's convention.
 */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
  /** The first word of the reply: `ERR`, `WRONGTYPE`, `READONLY`, `LOADING`, `MOVED`, `EXECABORT`, … */
  readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = message.split(' ', 1)[0] ?? '';
  }
}

/**
 * Redis sent something other than what the command expects: bytes that are not RESP2 (the
 * connection is dropped, as nothing after them can be trusted) or a reply of the wrong type.
 */
export class RedisProtocolError extends Error {
  override readonly name = 'RedisProtocolError';
}

/**
 * The RESP2 form of one command: an array of bulk strings. Throws `TypeError` for an argument
 * that is neither a string nor a finite number (a JavaScript caller's object, `undefined`, `NaN`),
 * so that nothing is written for it.
 */
export function encodeCommand(args: readonly RedisArgument[]): string {
  let encoded = `*${args.length}\r\n`;
  for (const arg of args) {
    if (typeof arg !== 'string' && !(typeof arg === 'number' && Number.isFinite(arg))) {
      throw new TypeError(`A Redis argument is a string or a finite number, not ${describe(arg)}`);
    }
    const text = String(arg);
    encoded += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return encoded;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
}

const carriageReturn = 13;
const lineFeed = 10;
const simpleString = 0x2b; // +
const errorReply = 0x2d; // -
const integerReply = 0x3a; // :
const bulkStringReply = 0x24; // $
const arrayReply = 0x2a; // *

/** Redis's own limit of a line it reads (PROTO_INLINE_MAX_SIZE); no reply line comes near it. */
const maxLineBytes = 64 * 1024;
/** The most a bulk string can hold in Redis (proto-max-bulk-len's default, 512 MiB). */
const maxBulkStringBytes = 512 * 1024 * 1024;
/** The most elements Redis's own parser takes in an array (INT_MAX). */
const maxArrayLength = 2 ** 31 - 1;
const noBytes = Buffer.alloc(0);

/** An array whose elements are still being read. */
interface OpenArray {
  readonly items: RedisReply[];
  /** Elements still to come. */
  missing: number;
}

/** A bulk string whose bytes are still being read. */
interface OpenBulkString {
  readonly parts: Buffer[];
  /** Bytes still to come, its closing CRLF included. */
  missing: number;
}

/**
 * Turns the bytes of a connection into replies, each handed to `onReply` as soon as its last byte
 * is fed, in order. One parser per connection: its state is the reply being read. Refuses what is
 * not RESP2 as soon as it shows: a line that starts with another byte (at that byte), a line
 * longer than 64 KiB (before its end arrives), an integer that is not a plain decimal safe
 * integer, a bulk string over 512 MiB, an array over 2^31 - 1 elements.
 *
 * @example
 * const parser = new RedisReplyParser((reply) => pending.shift()?.resolve(reply));
 * socket.on('data', (chunk) => parser.feed(chunk));
 */
export class RedisReplyParser {
  /**
   * The start of a line whose CRLF has not arrived yet, its type byte included: a buffer of its
   * own (a slice would keep its whole chunk alive), grown by doubling so that a line arriving in
   * many small chunks is copied a bounded number of times.
   */
  private partialLine: Buffer = noBytes;
  private partialLineLength = 0;
  private bulkString: OpenBulkString | undefined;
  /** The arrays being read, outermost first. */
  private readonly arrays: OpenArray[] = [];

  constructor(private readonly onReply: (reply: RedisReply) => void) {}

  /** Throws `RedisProtocolError` at bytes that are not RESP2; the parser is unusable afterwards. */
  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      offset =
        this.bulkString === undefined
          ? this.readLine(chunk, offset)
          : this.continueBulkString(this.bulkString, chunk, offset);
    }
  }

  /** Reads the type line at `offset`, or keeps what there is of it; returns where reading goes on. */
  private readLine(chunk: Buffer, offset: number): number {
    if (this.partialLineLength === 0) {
      expectType(chunk, offset);
      const lineEnd = chunk.indexOf('\r\n', offset);
      if (lineEnd !== -1) return this.readType(chunk, offset, lineEnd, chunk, lineEnd + 2);
      this.keepPartialLine(chunk.subarray(offset));
      return chunk.length;
    }
    // The CRLF may be split between the chunks.
    if (this.partialLine[this.partialLineLength - 1] === carriageReturn && chunk[offset] === lineFeed) {
      return this.readPartialLine(this.partialLineLength - 1, chunk, offset + 1);
    }
    const lineEnd = chunk.indexOf('\r\n', offset);
    this.keepPartialLine(chunk.subarray(offset, lineEnd === -1 ? chunk.length : lineEnd));
    return lineEnd === -1 ? chunk.length : this.readPartialLine(this.partialLineLength, chunk, lineEnd + 2);
  }

  private keepPartialLine(bytes: Buffer): void {
    const length = this.partialLineLength + bytes.length;
    // The type byte, the longest line and the CR of a CRLF split between chunks.
    if (length > maxLineBytes + 2) throw lineTooLong();
    if (length > this.partialLine.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(Math.max(length, 2 * this.partialLine.length, 64), maxLineBytes + 2),
      );
      this.partialLine.copy(grown, 0, 0, this.partialLineLength);
      this.partialLine = grown;
    }
    bytes.copy(this.partialLine, this.partialLineLength);
    this.partialLineLength = length;
  }

  /** Reads the kept line up to `end`; reading goes on in `chunk` at `next`. */
  private readPartialLine(end: number, chunk: Buffer, next: number): number {
    const line = this.partialLine;
    this.partialLine = noBytes;
    this.partialLineLength = 0;
    return this.readType(line, 0, end, chunk, next);
  }

  /** Reads the line `line[start, end)`, its type byte first; reading goes on in `chunk` at `next`. */
  private readType(line: Buffer, start: number, end: number, chunk: Buffer, next: number): number {
    if (end - start - 1 > maxLineBytes) throw lineTooLong();
    const text = line.toString('utf8', start + 1, end);
    switch (line[start]) {
      case simpleString:
        this.complete(text);
        return next;
      case errorReply:
        this.complete(new RedisReplyError(text));
        return next;
      case integerReply:
        this.complete(integerOf(text));
        return next;
      case bulkStringReply:
        return this.startBulkString(
          lengthOf(text, maxBulkStringBytes, '512 MiB for a bulk string'),
          chunk,
          next,
        );
      case arrayReply:
        this.startArray(lengthOf(text, maxArrayLength, '2^31 - 1 elements for an array'));
        return next;
      default:
        throw notResp2(line, start);
    }
  }

  private startBulkString(length: number, data: Buffer, offset: number): number {
    if (length === -1) {
      this.complete(null);
      return offset;
    }
    const end = offset + length;
    if (end + 2 > data.length) {
      this.bulkString = { parts: [], missing: length + 2 };
      return offset;
    }
    expectLineEnd(data, end);
    this.complete(data.toString('utf8', offset, end));
    return end + 2;
  }

  private continueBulkString(bulkString: OpenBulkString, data: Buffer, offset: number): number {
    const taken = Math.min(bulkString.missing, data.length - offset);
    bulkString.parts.push(data.subarray(offset, offset + taken));
    bulkString.missing -= taken;
    if (bulkString.missing === 0) {
      this.bulkString = undefined;
      // Decoded only once whole: a multi-byte character split between chunks stays intact.
      const bytes = Buffer.concat(bulkString.parts);
      expectLineEnd(bytes, bytes.length - 2);
      this.complete(bytes.toString('utf8', 0, bytes.length - 2));
    }
    return offset + taken;
  }

  private startArray(length: number): void {
    if (length === -1) this.complete(null);
    else if (length === 0) this.complete([]);
    else this.arrays.push({ items: [], missing: length });
  }

  /** Hands a finished value to its array, and a finished top-level reply to `onReply`. */
  private complete(value: RedisReply): void {
    let finished = value;
    for (;;) {
      const array = this.arrays.at(-1);
      if (array === undefined) {
        this.onReply(finished);
        return;
      }
      array.items.push(finished);
      array.missing--;
      if (array.missing > 0) return;
      this.arrays.pop();
      finished = array.items;
    }
  }
}

/** Refuses a line at its first byte when that byte is not a RESP2 type. */
function expectType(data: Buffer, at: number): void {
  const type = data[at];
  if (
    type !== simpleString &&
    type !== errorReply &&
    type !== integerReply &&
    type !== bulkStringReply &&
    type !== arrayReply
  ) {
    throw notResp2(data, at);
  }
}

function notResp2(data: Buffer, at: number): RedisProtocolError {
  const text = data.toString('latin1', at, Math.min(data.length, at + 40));
  return new RedisProtocolError(`Not a RESP2 reply: ${JSON.stringify(text)}`);
}

function lineTooLong(): RedisProtocolError {
  return new RedisProtocolError(`A RESP2 line is longer than ${maxLineBytes} bytes`);
}

/** A decimal integer, `-` and digits only, within the safe integers of JavaScript. */
function integerOf(text: string): number {
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new RedisProtocolError(`Not a RESP2 integer: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return value;
}

/** The length of a bulk string or array: -1 (nil) up to `max`, which `limit` names. */
function lengthOf(text: string, max: number, limit: string): number {
  const length = integerOf(text);
  if (length < -1) throw new RedisProtocolError(`Not a RESP2 length: ${length}`);
  if (length > max)
    throw new RedisProtocolError(`A RESP2 length of ${length} is over Redis's limit of ${limit}`);
  return length;
}

function expectLineEnd(data: Buffer, at: number): void {
  if (data[at] !== carriageReturn || data[at + 1] !== lineFeed) {
    throw new RedisProtocolError('A RESP2 bulk string does not end with CRLF where its length says');
  }
}
