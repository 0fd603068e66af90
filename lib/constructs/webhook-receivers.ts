import { gatewayEnvironment, type WebhookSource, webhookSources } from '@mangaassist/contracts';
import type { ModelAlias } from '@mangaassist/fm-gateway/catalog';
import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type Alias, type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { type FunctionNetwork, PlatformFunction } from './platform-function.js';

/**
 * The handler each receiver runs (also told its source by `WEBHOOK_SOURCE`): the sources that call
 * a model have an entry of their own, so the others carry no model client in their bundle.
 */
export const webhookHandlerEntries: Readonly<Record<WebhookSource, string>> = {
  stripe: 'functions/webhook/src/handler.ts',
  reviews: 'functions/webhook/src/reviews-handler.ts',
  catalog: 'functions/webhook/src/catalog-handler.ts',
};

/**
 * The sources whose processing calls a model, and which model: reviews get their sentiment from
 * the fast model. Only these get Bedrock access and the gateway's configuration.
 */
export const webhookModels: Readonly<Partial<Record<WebhookSource, ModelAlias>>> = { reviews: 'fast' };

export interface WebhookReceiversProps {
  /** Deployment stage: part of descriptions, and `MANGA_ENV`. */
  readonly stage: string;
  /** The signing secrets of every source (`WEBHOOK_SECRET_ID` is its ARN); each receiver may read it. */
  readonly secret: ISecret;
  /** Deliveries claimed and processed (`IDEMPOTENCY_TABLE`); each receiver reads and writes it. */
  readonly idempotencyTable: ITable;
  /** Where the receivers publish `PaymentCompleted`, `ReviewSubmitted`, `CatalogUpdate.*` (`EVENT_BUS_NAME`). */
  readonly eventBus: IEventBus;
  /**
   * The catalog enrichment queue (SQS FIFO, `CATALOG_ENRICHMENT_QUEUE_URL`): only the catalog
   * receiver may send to it.
   */
  readonly catalogEnrichmentQueue: IQueue;
  /** Bedrock permission and gateway settings, for the sources in `webhookModels`. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * What the FM gateway's configuration requires besides Bedrock's settings (outside dev:
   * `REDIS_URL`, `SESSIONS_TABLE`, `TENANTS_JSON`), for the sources that call a model only.
   * @default - none
   */
  readonly gatewayEnvironment?: Readonly<Record<string, string>>;
  /**
   * Where the sources that call a model run: inside the network that reaches `REDIS_URL`. The
   * other receivers run outside any VPC: they reach only AWS APIs.
   * @default - outside any VPC
   */
  readonly gatewayNetwork?: FunctionNetwork;
  /**
   * For tests only: one handler every receiver runs instead of its own (unit tests switch
   * bundling off); a real deployment needs each source's entry (reviews has its own).
   * @default - `webhookHandlerEntries` of its source
   */
  readonly entry?: string;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for, and capping, each receiver.
   * @default - none: the receivers share the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Warm instances behind each receiver's `live` alias.
   * @default - none
   */
  readonly provisionedConcurrency?: number;
  /**
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** One source's receiver. */
export interface WebhookReceiver {
  readonly source: WebhookSource;
  readonly function: PlatformFunction;
  /** The `live` alias: the function URL's target, carrying any provisioned concurrency. */
  readonly alias: Alias;
  readonly functionUrl: FunctionUrl;
  /**
   * What to register at the partner: the function URL plus `webhooks/<source>`, the path
   * `pnpm dev` serves the source at.
   */
  readonly endpoint: string;
}

/**
 * The inbound webhooks: one function per source (`stripe`, `reviews`, `catalog`), each running
 * its entry of `webhookHandlerEntries` and told its source by `WEBHOOK_SOURCE`, each behind a
 * Lambda function URL on its `live` alias (so the URL partners register survives configuration
 * changes such as provisioned concurrency). A source scales, is capped by its reserved
 * concurrency and fails on its own.
 *
 * - The URLs have no IAM auth (`authType: NONE`): partners cannot sign AWS requests, and the
 *   handler verifies each delivery's signature over its raw body before anything else, which is
 *   the authentication. No CORS: browsers never call them. The URL adds the two resource-based
 *   permissions a public function URL needs: `lambda:InvokeFunctionUrl` (condition
 *   `lambda:FunctionUrlAuthType: NONE`) and `lambda:InvokeFunction` (condition
 *   `lambda:InvokedViaFunctionUrl: true`, so the function cannot be invoked directly), both for
 *   principal `*`.
 * - Each receiver may read the one webhook secret, read and write the idempotency table and put
 *   events on the bus; only the sources in `webhookModels` may invoke Bedrock, and only their
 *   model and its fallbacks; only the catalog receiver may send to the catalog enrichment queue.
 */
export class WebhookReceivers extends Construct {
  readonly receivers: Readonly<Record<WebhookSource, WebhookReceiver>>;

  constructor(scope: Construct, id: string, props: WebhookReceiversProps) {
    super(scope, id);
    const receivers: Partial<Record<WebhookSource, WebhookReceiver>> = {};
    for (const source of webhookSources) {
      receivers[source] = this.receiver(source, props);
    }
    this.receivers = receivers as Record<WebhookSource, WebhookReceiver>;
  }

  private receiver(source: WebhookSource, props: WebhookReceiversProps): WebhookReceiver {
    const model = webhookModels[source];
    const fn = new PlatformFunction(this, pascalCase(source), {
      entry: props.entry ?? webhookHandlerEntries[source],
      description: `MangaAssist ${props.stage}: webhooks from ${source} (function URL)`,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      ...(props.provisionedConcurrency !== undefined
        ? { provisionedConcurrentExecutions: props.provisionedConcurrency }
        : {}),
      liveAlias: true,
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      ...(model && props.gatewayNetwork ? { network: props.gatewayNetwork } : {}),
      environment: {
        ...(model ? { ...props.gatewayEnvironment, ...props.bedrock.handlerEnvironment } : {}),
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.webhookSource]: source,
        [gatewayEnvironment.webhookSecretId]: props.secret.secretArn,
        [gatewayEnvironment.idempotencyTable]: props.idempotencyTable.tableName,
        [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName,
        ...(source === 'catalog'
          ? { [gatewayEnvironment.catalogEnrichmentQueueUrl]: props.catalogEnrichmentQueue.queueUrl }
          : {}),
      },
    });
    props.secret.grantRead(fn);
    props.idempotencyTable.grantReadWriteData(fn);
    props.eventBus.grantPutEventsTo(fn);
    if (model) props.bedrock.grantInvoke(fn, { models: [model] });
    // SendMessage only (it covers SendMessageBatch): the receiver has the queue's URL.
    if (source === 'catalog') props.catalogEnrichmentQueue.grant(fn, 'sqs:SendMessage');

    const alias = fn.alias;
    if (alias === undefined) throw new Error(`${fn.node.path}: a receiver always has a live alias`);
    // authType NONE makes the URL add both public permissions (InvokeFunctionUrl and
    // InvokeFunction via the URL) on the alias; no `cors`: browsers never call a webhook.
    const functionUrl = alias.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    const endpoint = `${functionUrl.url}webhooks/${source}`;
    new CfnOutput(this, `${pascalCase(source)}Endpoint`, {
      value: endpoint,
      description: `POST webhooks from ${source}: register this URL at the sender`,
    });
    return { source, function: fn, alias, functionUrl, endpoint };
  }
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
