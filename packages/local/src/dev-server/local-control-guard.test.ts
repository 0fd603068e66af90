import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type LocalControlGuardOptions, refuseLocalControl } from './local-control-guard.js';

const server: LocalControlGuardOptions = { port: 3000 };

/** The headers of a request the chat page (or a script on this machine) sends. */
function ownHeaders(overrides: IncomingHttpHeaders = {}): IncomingHttpHeaders {
  return { host: 'localhost:3000', 'content-type': 'application/json', ...overrides };
}

describe('refuseLocalControl', () => {
  it('lets a JSON POST to a loopback name of the server through', () => {
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LocalHost:3000']) {
      expect(refuseLocalControl('POST', ownHeaders({ host }), server)).toBeUndefined();
    }
  });

  it('lets a GET without a content type through', () => {
    expect(refuseLocalControl('GET', { host: '127.0.0.1:3000' }, server)).toBeUndefined();
  });

  it('refuses a Host that is not a loopback name with this port, or no Host at all', () => {
    for (const host of [
      'attacker.example:3000',
      'localhost',
      'localhost:3001',
      '127.0.0.2:3000',
      undefined,
    ]) {
      expect(refuseLocalControl('GET', { host }, server), `Host ${host}`).toMatchObject({
        statusCode: 403,
        code: 'forbidden',
      });
    }
  });

  it('accepts a Host without a port when the server listens on port 80', () => {
    expect(refuseLocalControl('GET', { host: 'localhost' }, { port: 80 })).toBeUndefined();
  });

  it('accepts the specific address the server was told to listen on, but not a wildcard one', () => {
    expect(
      refuseLocalControl('GET', { host: '192.168.1.20:3000' }, { port: 3000, listenHost: '192.168.1.20' }),
    ).toBeUndefined();
    expect(
      refuseLocalControl('GET', { host: '[fe80::1]:3000' }, { port: 3000, listenHost: 'fe80::1' }),
    ).toBeUndefined();
    expect(
      refuseLocalControl('GET', { host: '0.0.0.0:3000' }, { port: 3000, listenHost: '0.0.0.0' }),
    ).toMatchObject({ statusCode: 403 });
  });

  it('refuses an Origin other than the server its Host names', () => {
    for (const origin of [
      'http://attacker.example',
      'http://127.0.0.1:3000',
      'https://localhost:3000',
      'null',
    ]) {
      expect(refuseLocalControl('POST', ownHeaders({ origin }), server), `Origin ${origin}`).toMatchObject({
        statusCode: 403,
        code: 'forbidden',
      });
    }
  });

  it('lets a request of its own origin through', () => {
    expect(
      refuseLocalControl('POST', ownHeaders({ origin: 'http://localhost:3000' }), server),
    ).toBeUndefined();
  });

  it('refuses a POST that is not application/json with 415, as a cross-site form would send it', () => {
    for (const contentType of [undefined, 'text/plain', 'text/plain; charset=utf-8', 'application/jsonx']) {
      expect(
        refuseLocalControl('POST', ownHeaders({ 'content-type': contentType }), server),
        `content-type ${contentType}`,
      ).toMatchObject({ statusCode: 415, code: 'unsupported_media_type' });
    }
    expect(
      refuseLocalControl('POST', ownHeaders({ 'content-type': 'application/json; charset=UTF-8' }), server),
    ).toBeUndefined();
  });
});
