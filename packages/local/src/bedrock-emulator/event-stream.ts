import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Content type of every Bedrock event-stream response. */
export const eventStreamContentType = 'application/vnd.amazon.eventstream';

/** One `:message-type: event` frame; the SDK picks the union member by `:event-type`. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/**
 * One `:message-type: exception` frame. `exceptionType` is the stream union's member name
 * (lower camel case, e.g. `modelStreamErrorException`), which is how the SDK finds the
 * exception class; the JSON body fills its fields (`message`, ...).
 */
export function encodeException(exceptionType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':message-type': { type: 'string', value: 'exception' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}
