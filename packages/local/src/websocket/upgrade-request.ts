import type { IncomingMessage } from 'node:http';

/** Why an upgrade request is refused: the HTTP status and any headers to answer with. */
export interface UpgradeRefusal {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A `Sec-WebSocket-Key`: 16 bytes in base64 (RFC 6455 §4.1). */
const webSocketKey = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Checks that an HTTP upgrade request is a WebSocket opening handshake a server can accept
 * (RFC 6455 §4.2.1): method GET (else 405), `Upgrade: websocket`, `Sec-WebSocket-Version: 13`
 * (else 400 naming the version spoken) and a `Sec-WebSocket-Key` of 16 bytes in base64 (else
 * 400). Undefined when it is. Checked before `$connect`, so that a handshake bound to fail never
 * spends a ticket nor stores a connection.
 */
export function checkUpgradeRequest(request: IncomingMessage): UpgradeRefusal | undefined {
  if (request.method !== 'GET') return { status: 405, headers: { Allow: 'GET' } };
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return { status: 400 };
  if (request.headers['sec-websocket-version'] !== '13') {
    return { status: 400, headers: { 'Sec-WebSocket-Version': '13' } };
  }
  const key = request.headers['sec-websocket-key'];
  if (key === undefined || !webSocketKey.test(key)) return { status: 400 };
  return undefined;
}
