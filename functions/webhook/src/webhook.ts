import type { Logger } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import type { WebhookSource } from '@mangaassist/contracts';
import { type FunctionUrlHandler, makeFunctionUrlHandler } from '@mangaassist/http/function-url';
import { makeWebhookRouter, type WebhookReceiver } from '@mangaassist/webhooks';

export interface WebhookHandlerDependencies {
  /** The one source this function serves (`WEBHOOK_SOURCE`), also served at `/`. */
  readonly source: WebhookSource;
  /** Its receiver (`createWebhookPlatform`'s `receivers`). */
  readonly receivers: readonly WebhookReceiver[];
  /** Work that must finish before Lambda freezes the environment (the gateway's event flush). */
  readonly afterResponse?: () => Promise<void>;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * The function URL handler of one source: serves it at `/` and at `/webhooks/{source}` (the
 * path `pnpm dev` uses, which partners register), 404 for anything else.
 */
export function makeWebhookHandler(dependencies: WebhookHandlerDependencies): FunctionUrlHandler {
  const logger = dependencies.logger ?? silentLogger;
  const router = makeWebhookRouter([...dependencies.receivers], { rootSource: dependencies.source, logger });
  return makeFunctionUrlHandler(router, {
    logger,
    ...(dependencies.afterResponse ? { afterResponse: dependencies.afterResponse } : {}),
  });
}
