import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkUpgradeRequest } from './upgrade-request.js';

/** An upgrade request as Node parses it (lower-case header names), with `overrides`. */
function upgradeRequest(
  overrides: { method?: string; headers?: Record<string, string | undefined> } = {},
): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.method = overrides.method ?? 'GET';
  const headers: Record<string, string | undefined> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...overrides.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) request.headers[name] = value;
  return request;
}

describe('checkUpgradeRequest', () => {
  it('accepts a WebSocket opening handshake of RFC 6455', () => {
    expect(checkUpgradeRequest(upgradeRequest())).toBeUndefined();
    expect(checkUpgradeRequest(upgradeRequest({ headers: { upgrade: 'WebSocket' } }))).toBeUndefined();
  });

  it('refuses another method than GET with 405 and Allow: GET', () => {
    expect(checkUpgradeRequest(upgradeRequest({ method: 'POST' }))).toEqual({
      status: 405,
      headers: { Allow: 'GET' },
    });
  });

  it('refuses another protocol than websocket with 400', () => {
    expect(checkUpgradeRequest(upgradeRequest({ headers: { upgrade: 'h2c' } }))).toEqual({ status: 400 });
  });

  it('refuses a version other than 13 with 400, naming the version it speaks', () => {
    for (const version of ['8', undefined]) {
      expect(checkUpgradeRequest(upgradeRequest({ headers: { 'sec-websocket-version': version } }))).toEqual({
        status: 400,
        headers: { 'Sec-WebSocket-Version': '13' },
      });
    }
  });

  it('refuses a key that is not 16 bytes in base64 with 400', () => {
    for (const key of [
      undefined,
      'short',
      Buffer.alloc(15).toString('base64'),
      Buffer.alloc(17).toString('base64'),
    ]) {
      expect(checkUpgradeRequest(upgradeRequest({ headers: { 'sec-websocket-key': key } }))).toEqual({
        status: 400,
      });
    }
  });
});
