/**
 * Trigger: a Lambda function URL (auth NONE: the signature is the authentication), one function
 * per webhook source, which `WEBHOOK_SOURCE` names; served at `/` and `/webhooks/{source}`.
 * Verifies the signature over the raw body (timestamp within 300 s, past or future), validates
 * the payload, and processes each `source:event-id` exactly once (DynamoDB idempotency with an
 * expiring in-progress claim), publishing to EventBridge.
 * Failure semantics: bad input is a 4xx JSON error and publishes nothing; a duplicate answers
 * 200 `already_processed`; one in progress 409; a failed processing releases its claim and
 * answers 5xx, so the sender's retry is processed.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { EventBridgeEventPublisher } from '@mangaassist/events/eventbridge';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import {
  createSecretsManagerClient,
  SecretsManagerWebhookSecrets,
} from '@mangaassist/webhooks/secrets-manager';
import {
  makeWebhookHandler,
  webhookEnvironmentFrom,
  webhookEventBridgeClientConfig,
  webhookSchemes,
} from './webhook.js';

/** How long a response may wait for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

const env = webhookEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `webhook-${env.source}` });

// Only the reviews receiver calls a model; the others are not configured (nor allowed) to.
const model =
  env.source === 'reviews' ? createGateway(gatewayConfigFromEnvironment(process.env), { logger }) : undefined;

const secrets = new SecretsManagerWebhookSecrets(createSecretsManagerClient(), {
  secretId: env.secretId,
  formats: { [env.source]: webhookSchemes[env.source] },
  logger,
});
const idempotency = new DynamoDbIdempotencyStore(
  createDocumentClient(env.dynamoDbEndpoint ? { endpoint: env.dynamoDbEndpoint } : {}),
  { tableName: env.idempotencyTable, logger },
);
const events = new EventBridgeEventPublisher(new EventBridgeClient(webhookEventBridgeClientConfig(env)), {
  eventBusName: env.eventBusName,
  logger,
});

export const handler = makeWebhookHandler({
  source: env.source,
  secrets,
  idempotency,
  events,
  logger,
  ...(model ? { gateway: model.gateway, afterResponse: () => model.gateway.flush(eventFlushMs) } : {}),
});
