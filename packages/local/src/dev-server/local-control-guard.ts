import type { IncomingHttpHeaders } from 'node:http';

/** Why a `/_local` request is refused: the status and error code to answer with. */
export interface LocalControlRefusal {
  readonly statusCode: 403 | 415;
  readonly code: 'forbidden' | 'unsupported_media_type';
  readonly message: string;
}

export interface LocalControlGuardOptions {
  /** The port the local server listens on: a Host or Origin naming another port is refused. */
  readonly port: number;
  /**
   * The address the server was told to listen on; a specific one (not `0.0.0.0` or `::`) is
   * accepted as a host name too, so a developer who binds a LAN address can still use it.
   * @default '127.0.0.1'
   */
  readonly listenHost?: string;
}

const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];
const wildcardHosts = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * Decides whether a request for a `/_local` route (inspection, API keys, emulator controls) may
 * proceed, so that no other web page can read or steer a developer's `pnpm dev`:
 * - `Host` must name this server by a loopback name (`localhost`, `127.0.0.1`, `[::1]`, or the
 *   listen address) with its port: a DNS-rebound name (`attacker.example` resolving to
 *   127.0.0.1) is refused, 403 `forbidden`;
 * - an `Origin`, when sent, must be this server's own origin (`http://` + that Host): another
 *   site's page is refused, 403 `forbidden` (same-origin requests of the chat page pass);
 * - a POST must be `content-type: application/json` (parameters allowed), 415
 *   `unsupported_media_type` otherwise: browsers send a cross-site form or `text/plain` POST
 *   without a CORS preflight, but never a JSON one.
 *
 * @returns `undefined` when the request may proceed.
 */
export function refuseLocalControl(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  options: LocalControlGuardOptions,
): LocalControlRefusal | undefined {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !allowedHosts(options).has(host)) {
    return forbidden('The /_local routes answer only to a loopback Host of this server.');
  }
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return forbidden('The /_local routes answer only to pages of their own origin.');
  }
  if (method === 'POST' && !isJson(headers['content-type'])) {
    return {
      statusCode: 415,
      code: 'unsupported_media_type',
      message: 'A /_local control takes content-type: application/json.',
    };
  }
  return undefined;
}

function allowedHosts({ port, listenHost = '127.0.0.1' }: LocalControlGuardOptions): Set<string> {
  const names = [...loopbackNames];
  const listen = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  if (!wildcardHosts.has(listen)) names.push(listen.toLowerCase());
  // A browser leaves out the port when it is the scheme's default.
  return new Set(names.flatMap((name) => (port === 80 ? [`${name}:${port}`, name] : [`${name}:${port}`])));
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

function forbidden(message: string): LocalControlRefusal {
  return { statusCode: 403, code: 'forbidden', message };
}
