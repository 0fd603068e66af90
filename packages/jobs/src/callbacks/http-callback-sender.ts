import { lookup as dnsLookup } from 'node:dns/promises';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { CallbackResponse, CallbackSender } from './callback-sender.js';
import { callbackUrlProblem, isLoopbackAddress, isPublicAddress } from './callback-url.js';

/** Options of {@link HttpCallbackSender}. */
export interface HttpCallbackSenderOptions {
  /**
   * Milliseconds the whole exchange may take: resolving the host, connecting, sending, and reading
   * the response. When it runs out the request is destroyed.
   * @default 10_000
   */
  readonly timeoutMs?: number;
  /**
   * Send over `http` to `localhost`, `127.0.0.1` or `[::1]`, and connect to loopback addresses a
   * hostname resolves to (`pnpm dev` only).
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
  /**
   * Bytes of the response body read (and discarded) before the connection is closed.
   * @default 65_536
   */
  readonly maxResponseBytes?: number;
  /** @default 'MangaAssist-Callbacks/1' */
  readonly userAgent?: string;
  /**
   * Resolves a hostname to every address it has (tests inject a fixed answer).
   * @default - `dns.promises.lookup(hostname, { all: true })`, the system resolver
   */
  readonly resolve?: (hostname: string) => Promise<readonly string[]>;
}

/** A resolved address the sender refuses to connect to; its message is the outcome's reason. */
class BlockedAddressError extends Error {
  constructor(hostname: string) {
    super(`refused: host ${hostname} resolves to a non-public address`);
    this.name = 'BlockedAddressError';
  }
}

async function resolveWithSystem(hostname: string): Promise<readonly string[]> {
  const addresses = await dnsLookup(hostname, { all: true });
  return addresses.map(({ address }) => address);
}

function notDelivered(status: number, reason: string): CallbackResponse {
  return { delivered: false, status, reason };
}

function outcomeOf(status: number): CallbackResponse {
  if (status >= 200 && status < 300) return { delivered: true, status };
  if (status >= 300 && status < 400) return notDelivered(status, `redirect (${status}) not followed`);
  return notDelivered(status, `receiver answered ${status}`);
}

/** A short reason for a request that got no response; never anything the receiver sent. */
function reasonOf(error: unknown): string {
  if (error instanceof BlockedAddressError) return error.message;
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return code === undefined ? 'request failed' : `request failed (${code})`;
  }
}

/**
 * {@link CallbackSender} over `node:http`/`node:https`.
 *
 * Before any connection it refuses a URL {@link callbackUrlProblem} refuses. It then resolves the host
 * itself and refuses to connect if any address it resolves to is not public ({@link isPublicAddress};
 * with `allowLoopbackHttp`, loopback addresses are allowed too). The socket connects to an address
 * that was checked, so a name that answers differently on a second lookup (DNS rebinding) gains
 * nothing. Redirects are never followed (a 3xx is not delivered), no connection is reused, and the
 * response body is read up to `maxResponseBytes` and discarded.
 *
 * Outcomes: a 2xx is delivered; any other status is not, with that status; a refused URL or
 * address, a socket or TLS error, or a timeout before the response's status is `status` 0 with a
 * short reason. A timeout after the status (a body that never ends) keeps the status's outcome.
 * Never throws.
 *
 * @example
 * const sender = new HttpCallbackSender({ timeoutMs: 5_000 });
 * const outcome = await sender.post(job.callbackUrl, body, signedHeaders);
 */
export class HttpCallbackSender implements CallbackSender {
  private readonly timeoutMs: number;
  private readonly allowLoopbackHttp: boolean;
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;
  private readonly resolve: (hostname: string) => Promise<readonly string[]>;

  constructor(options: HttpCallbackSenderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.allowLoopbackHttp = options.allowLoopbackHttp ?? false;
    this.maxResponseBytes = options.maxResponseBytes ?? 65_536;
    this.userAgent = options.userAgent ?? 'MangaAssist-Callbacks/1';
    this.resolve = options.resolve ?? resolveWithSystem;
  }

  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<CallbackResponse> {
    const problem = callbackUrlProblem(url, { allowLoopbackHttp: this.allowLoopbackHttp });
    if (problem !== undefined) return Promise.resolve(notDelivered(0, `refused: ${problem}`));
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    // Lower-cased so that a caller's `Content-Type` cannot sit beside ours as a second header.
    const callerHeaders = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    );

    return new Promise((settle) => {
      let settled = false;
      // Set once the status line arrives: from then on it is the outcome, whatever happens to the body.
      let answered: CallbackResponse | undefined;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
      const finish = (outcome: CallbackResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        settle(outcome);
      };
      const failed = (error: unknown): void => {
        const reason = timeout.signal.aborted ? `timed out after ${this.timeoutMs} ms` : reasonOf(error);
        finish(answered ?? notDelivered(0, reason));
      };

      let request: ClientRequest;
      try {
        request = send(target, {
          method: 'POST',
          headers: {
            ...callerHeaders,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': this.userAgent,
          },
          // A fresh agent without keep-alive: the socket closes with the exchange, none is pooled.
          agent: false,
          lookup: this.checkedLookup,
          // Aborting destroys the request in whatever phase it is: lookup, connect, send or body.
          signal: timeout.signal,
        });
      } catch (error) {
        // A header value Node refuses (a newline, say) throws here rather than emitting.
        failed(error);
        return;
      }

      request.on('error', failed);
      request.on('response', (response) => {
        const outcome = outcomeOf(response.statusCode ?? 0);
        answered = outcome;
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > this.maxResponseBytes) request.destroy();
        });
        // Emitted after the body ended or the exchange was destroyed (limit, reset, timeout).
        response.on('close', () => finish(outcome));
        // A reset mid-body: the status already decided the outcome.
        response.on('error', () => finish(outcome));
      });
      request.end(body);
    });
  }

  /**
   * Resolves like `dns.lookup`, but fails when any address is not allowed. Node calls it with
   * `all: true` when it may try several addresses (autoSelectFamily), otherwise for one address.
   */
  private readonly checkedLookup: LookupFunction = (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    void this.resolve(hostname).then(
      (addresses) => {
        if (addresses.some((address) => !this.mayConnectTo(address))) {
          callback(new BlockedAddressError(hostname), '');
          return;
        }
        const usable = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((candidate) => family === 0 || candidate.family === family);
        const [first] = usable;
        if (first === undefined) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        } else if (options.all === true) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error, ''),
    );
  };

  private mayConnectTo(address: string): boolean {
    return isPublicAddress(address) || (this.allowLoopbackHttp && isLoopbackAddress(address));
  }
}
