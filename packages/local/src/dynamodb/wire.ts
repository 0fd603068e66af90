/**
 * The DynamoDB JSON protocol (`x-amz-target: DynamoDB_20120810.<Operation>`, bodies in
 * `application/x-amz-json-1.0`) as far as the embedded DynamoDB's own operations need it: reading
 * a request, answering it, and calling dynalite over loopback.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';

/** A request or reply body: JSON with attribute values in DynamoDB's wire form (`{ "S": "…" }`). */
export type WireBody = Record<string, unknown>;

export interface WireReply {
  readonly status: number;
  readonly body: WireBody;
}

/** Sends one operation to a DynamoDB JSON endpoint and returns its reply, errors included. */
export type DynamoDbCall = (operation: string, input: WireBody) => Promise<WireReply>;

const targetPrefix = 'DynamoDB_20120810.';

/** The operation a request names in `x-amz-target`, or undefined for anything else. */
export function operationOf(request: IncomingMessage): string | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(targetPrefix)) return undefined;
  return target.slice(targetPrefix.length);
}

/** A reply with an error DynamoDB's way: HTTP status plus `{ "__type", "message" }`. */
export function errorReply(type: string, message: string, status = 400, extra: WireBody = {}): WireReply {
  return { status, body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra } };
}

/** A `ValidationException`, with the namespace DynamoDB uses for it. */
export function validationError(message: string): WireReply {
  return { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message } };
}

/** The short name of a reply's error (`ConditionalCheckFailedException`), undefined on success. */
export function errorName(reply: WireReply): string | undefined {
  if (reply.status < 300) return undefined;
  const type = reply.body.__type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : 'UnknownError';
}

/** Reads a request body as a JSON object; undefined when it is not one. */
export async function readJsonObject(request: IncomingMessage): Promise<WireBody | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Answers as DynamoDB does: JSON body, request id and the body's CRC32 checksum. */
export function sendReply(response: ServerResponse, reply: WireReply): void {
  const body = JSON.stringify(reply.body);
  response.statusCode = reply.status;
  response.setHeader('content-type', 'application/x-amz-json-1.0');
  response.setHeader('x-amzn-requestid', randomBytes(39).toString('base64url').toUpperCase());
  response.setHeader('x-amz-crc32', String(crc32(body)));
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}

/**
 * Calls a DynamoDB JSON endpoint with a placeholder SigV4 header: dynalite requires one to be
 * present but never checks the signature. Bodies pass through untouched (no marshalling).
 */
export function loopbackCaller(endpoint: string): DynamoDbCall {
  return async (operation, input) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${targetPrefix}${operation}`,
        'x-amz-date': amzDate(new Date()),
        authorization:
          'AWS4-HMAC-SHA256 Credential=embedded/20250101/us-east-1/dynamodb/aws4_request, ' +
          'SignedHeaders=host;x-amz-date, Signature=embedded',
      },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    return { status: response.status, body: isObject(parsed) ? parsed : {} };
  };
}

export function isObject(value: unknown): value is WireBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
