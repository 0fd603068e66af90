import { type Logger, silentLogger } from '@mangaassist/commons';
import { type WebhookSource, webhookSources } from '@mangaassist/contracts';
import { errorResponse, type HttpEndpoint } from '@mangaassist/http';
import type { WebhookReceiver } from './webhook-receiver.js';

export interface WebhookRouterOptions {
  /** Where the sources are mounted: `{pathPrefix}/{source}`. @default '/webhooks' */
  readonly pathPrefix?: string;
  /**
   * A source also served at `/`: a function URL serves one source, and its sender may be
   * configured with the bare URL or with the same path as `pnpm dev`.
   * @default - nothing is served at `/`
   */
  readonly rootSource?: WebhookSource;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * Routes `POST {pathPrefix}/{source}` (one trailing slash tolerated) to that source's receiver.
 * A source without a receiver is 404 `unknown_webhook_source`, any other path 404 `not_found`,
 * both JSON, before any other check (the receiver then answers 405 for a method other than POST).
 *
 * Throws `Error` at construction for two receivers of one source, or a `rootSource` without a
 * receiver.
 *
 * @example
 * const endpoint = makeWebhookRouter([stripeReceiver, reviewsReceiver, catalogReceiver]);
 * await endpoint({ method: 'POST', path: '/webhooks/stripe', … });
 */
export function makeWebhookRouter(
  receivers: readonly WebhookReceiver[],
  options: WebhookRouterOptions = {},
): HttpEndpoint {
  const prefix = `${(options.pathPrefix ?? '/webhooks').replace(/\/+$/, '')}/`;
  const logger = options.logger ?? silentLogger;
  const bySource = new Map<string, WebhookReceiver>();
  for (const receiver of receivers) {
    if (bySource.has(receiver.source)) throw new Error(`Two webhook receivers for source ${receiver.source}`);
    bySource.set(receiver.source, receiver);
  }
  const root = options.rootSource === undefined ? undefined : bySource.get(options.rootSource);
  if (options.rootSource !== undefined && root === undefined) {
    throw new Error(`No webhook receiver for the root source ${options.rootSource}`);
  }

  return async (request, signal) => {
    const path = request.path.length > 1 ? request.path.replace(/\/$/, '') : request.path;
    if (path === '/' && root) return root.handle(request, signal);
    const segment = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const receiver = segment === undefined ? undefined : bySource.get(segment);
    if (receiver) return receiver.handle(request, signal);

    const known = [...bySource.keys()];
    const isSource = segment !== undefined && segment !== '' && !segment.includes('/');
    logger.warn('webhook refused', {
      requestId: request.requestId,
      status: 404,
      code: isSource ? 'unknown_webhook_source' : 'not_found',
      // Only a known name is logged as such: the path is whatever the caller sent.
      reason:
        isSource && (webhookSources as readonly string[]).includes(segment)
          ? `source ${segment} not served here`
          : 'no such path',
    });
    return isSource
      ? errorResponse(
          404,
          request.requestId,
          'unknown_webhook_source',
          `No such webhook source; this endpoint serves: ${known.join(', ')}.`,
        )
      : errorResponse(404, request.requestId, 'not_found', `Webhooks are posted to ${prefix}{source}.`);
  };
}
