import { gatewayEnvironment, taskNames } from '@mangaassist/contracts';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { ApiAlarms } from '../constructs/api-alarms.js';
import { ApiCallers, type TokenIssuerSettings } from '../constructs/api-callers.js';
import { ApiFirewall } from '../constructs/api-firewall.js';
import { BedrockInvokeAccess } from '../constructs/bedrock-invoke-access.js';
import { ChatApi, chatRoutes } from '../constructs/chat-api.js';
import { ChatWebSocketApi } from '../constructs/chat-websocket-api.js';
import { DocumentJobs } from '../constructs/document-jobs.js';
import { ModelGuardrail } from '../constructs/model-guardrail.js';
import { ModelInvocationLogging } from '../constructs/model-invocation-logging.js';
import { OrchestratorIngress } from '../constructs/orchestrator-ingress.js';
import { OrchestratorService } from '../constructs/orchestrator-service.js';
import type { FunctionNetwork } from '../constructs/platform-function.js';
import { PublishedNames, readPublishedName } from '../constructs/published-names.js';
import { RecommendationRoutes } from '../constructs/recommendation-routes.js';
import {
  FunctionAlarms,
  LimitAlarms,
  platformFunctionsIn,
  TableAlarms,
} from '../constructs/resource-alarms.js';
import { SharedCache } from '../constructs/shared-cache.js';
import { TaskRoutes } from '../constructs/task-routes.js';
import { TenantApiKeys } from '../constructs/tenant-api-keys.js';
import { WebhookAlarms } from '../constructs/webhook-alarms.js';
import { WebhookReceivers } from '../constructs/webhook-receivers.js';

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The stateful stack's AI event bus, for InferenceCompleted events. */
  readonly eventBus: IEventBus;
  /** Conversation turns. */
  readonly sessionsTable: ITable;
  /** Open WebSocket connections. */
  readonly connectionsTable: ITable;
  /** WebSocket tickets while Redis is down: the ticket function puts, `$connect` deletes. */
  readonly ticketsTable: ITable;
  /** Webhook deliveries claimed and processed. */
  readonly webhookIdempotencyTable: ITable;
  /** Every webhook source's signing secrets. */
  readonly webhookSecret: ISecret;
  /** The catalog enrichment queue (SQS FIFO) the catalog webhook puts each item on. */
  readonly catalogEnrichmentQueue: IQueue;
  /** Each tenant's job callback signing secrets. */
  readonly callbackSecret: ISecret;
  /** Asynchronous document jobs and their idempotency keys. */
  readonly jobsTable: ITable;
  /** Each segment's latest recommendations, written by the events stack's workflow. */
  readonly recommendationsTable: ITable;
  /**
   * The bucket of uploads and every document job's objects, by name (the stateful stack's
   * `documentsBucketName`: referred to without an export).
   */
  readonly documentsBucketName: string;
  /** Where the functions run: the cache's VPC, with the security group the cache admits. */
  readonly functionNetwork: FunctionNetwork;
  /**
   * `rediss://…` of the shared cache (`REDIS_URL`).
   * @default - the URL the stateful stack publishes (`cache/url` in SSM), read at deploy time
   */
  readonly redisUrl?: string;
  /** Where every alarm of this stack notifies (the alarms stack's topic). */
  readonly alarmTopic: ITopic;
  /** The stage's Cognito pool of end users, when it takes their tokens without an issuer of its own. */
  readonly endUserPool?: { readonly issuer: string; readonly clientId: string };
}

/**
 * The stateless public APIs: the REST API (chat, SSE stream, WebSocket tickets, static tasks,
 * document jobs, recommendations) behind tenant API keys, usage plans and a WAF web ACL; the WebSocket API for
 * browsers; the webhook receivers' function URLs; the Bedrock access behind them; the document
 * jobs' queues, workflow, callback deliverer and notification topic; the Fargate orchestrator (the
 * chat endpoints on long-running tasks and the FM proxy); and the alarms that watch them.
 *
 * The document jobs live here rather than in a stack of their own: their routes must be methods
 * of the REST API, whose deployment (in this stack) has to include them, and their function needs
 * the queues' URLs and the state machine's ARN, while the workflow's alarms notify this stack's
 * topic; a separate stack would depend on this one and this one on it.
 */
export class ApiStack extends Stack {
  readonly bedrockAccess: BedrockInvokeAccess;
  readonly tenants: TenantApiKeys;
  /** The REST API's Lambda authorizer: tenant API keys and end users' tokens. */
  readonly callers: ApiCallers;
  readonly chatApi: ChatApi;
  readonly taskRoutes: TaskRoutes;
  readonly webSocket: ChatWebSocketApi;
  /** The prompt-attack guardrail, in stages that configure one (`bedrock.guardrail`). */
  readonly guardrail?: ModelGuardrail;
  /** Bedrock model invocation logging, in stages that turn it on (`bedrock.invocationLogging`). */
  readonly invocationLogging?: ModelInvocationLogging;
  readonly firewall: ApiFirewall;
  readonly alarms: ApiAlarms;
  readonly webhooks: WebhookReceivers;
  readonly webhookAlarms: WebhookAlarms;
  readonly documentJobs: DocumentJobs;
  readonly recommendations: RecommendationRoutes;
  readonly orchestrator: OrchestratorService;
  /** The REST API's way in to the orchestrator, when the stage sends a chat route there. */
  readonly orchestratorIngress?: OrchestratorIngress;
  /** Errors and throttles of every function of this stack. */
  readonly functionAlarms: FunctionAlarms;
  /** Throttles of the tables this stack's functions use. */
  readonly tableAlarms: TableAlarms;
  /** The cache's throttles and ceilings, Bedrock's throttles, the account's Lambda concurrency. */
  readonly limitAlarms: LimitAlarms;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    const {
      config,
      eventBus,
      sessionsTable,
      connectionsTable,
      ticketsTable,
      webhookIdempotencyTable,
      webhookSecret,
      catalogEnrichmentQueue,
      callbackSecret,
      jobsTable,
      recommendationsTable,
      documentsBucketName,
      functionNetwork,
      endUserPool,
      alarmTopic,
      ...stackProps
    } = props;
    super(scope, id, stackProps);
    const redisUrl = props.redisUrl ?? readPublishedName(this, config.stage, 'cache/url');
    const { guardrail } = config.bedrock;
    this.guardrail = guardrail
      ? new ModelGuardrail(this, 'Guardrail', {
          stage: config.stage,
          promptAttackStrength: guardrail.promptAttackStrength,
        })
      : undefined;
    const { invocationLogging } = config.bedrock;
    this.invocationLogging = invocationLogging
      ? new ModelInvocationLogging(this, 'InvocationLogging', {
          stage: config.stage,
          includeText: invocationLogging.includeText,
          retention: config.logRetention,
          removalPolicy: config.removalPolicy,
        })
      : undefined;
    this.bedrockAccess = new BedrockInvokeAccess(this, 'BedrockAccess', {
      regionTargets: config.bedrock.regionTargets,
      ...(this.guardrail ? { guardrail: this.guardrail } : {}),
      ...(config.bedrock.allowedGeographies ? { allowedGeographies: config.bedrock.allowedGeographies } : {}),
      ...(config.bedrock.modelCatalogOverridesJson
        ? { catalogOverridesJson: config.bedrock.modelCatalogOverridesJson }
        : {}),
    });
    this.tenants = new TenantApiKeys(this, 'Tenants', { stage: config.stage, tenants: config.tenants });
    this.callers = new ApiCallers(this, 'Callers', {
      stage: config.stage,
      tenants: this.tenants,
      ...endUserIssuer(config, endUserPool),
      tracing: config.tracing,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });
    // What the platform's configuration requires of every door that builds the FM gateway outside
    // dev, whether or not the door keeps sessions: only the chat doors are granted the table.
    const platformEnvironment = {
      [gatewayEnvironment.redisUrl]: redisUrl,
      ...this.tenants.environment,
      [gatewayEnvironment.sessionsTable]: sessionsTable.tableName,
    };

    const fargateRoutes = chatRoutes.filter((route) => config.chat.compute[route] === 'fargate');
    const fargateTasks = taskNames.filter((task) => config.chat.compute[task] === 'fargate');
    // The way in to the orchestrator, for the routes the stage sends there.
    this.orchestratorIngress =
      fargateRoutes.length + fargateTasks.length > 0
        ? new OrchestratorIngress(this, 'OrchestratorIngress', {
            stage: config.stage,
            network: functionNetwork,
          })
        : undefined;

    this.chatApi = new ChatApi(this, 'ChatApi', {
      stage: config.stage,
      bedrock: this.bedrockAccess,
      eventBus,
      sessionsTable,
      ticketsTable,
      network: functionNetwork,
      environment: platformEnvironment,
      throttlingRateLimit: config.api.throttlingRateLimit,
      throttlingBurstLimit: config.api.throttlingBurstLimit,
      methodThrottles: config.api.methodThrottles,
      manageCloudWatchRole: config.api.manageCloudWatchRole,
      memorySize: config.chat.memorySize,
      timeout: config.chat.timeout,
      ...(config.chat.provisionedConcurrency !== undefined
        ? { provisionedConcurrency: config.chat.provisionedConcurrency }
        : {}),
      streamTimeout: config.chat.streamTimeout,
      chatDeadlineMs: config.chat.deadlineMs,
      responseCacheTtlSeconds: config.chat.responseCacheTtlSeconds,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
      tracing: config.tracing,
      authorizer: this.callers.authorizer,
      ...(this.orchestratorIngress
        ? { fargate: { ingress: this.orchestratorIngress, routes: fargateRoutes } }
        : {}),
    });
    const restStage = this.chatApi.restApi.deploymentStage;
    this.tenants.allowStage(this.chatApi.restApi, restStage);

    this.taskRoutes = new TaskRoutes(this, 'Tasks', {
      stage: config.stage,
      restApi: this.chatApi.restApi,
      requestValidator: this.chatApi.requestValidator,
      bedrock: this.bedrockAccess,
      eventBus,
      functionDefaults: this.chatApi.functionDefaults,
      responseCacheTtlSeconds: config.chat.responseCacheTtlSeconds,
      ...(this.orchestratorIngress
        ? { fargate: { ingress: this.orchestratorIngress, tasks: fargateTasks } }
        : {}),
    });

    this.webSocket = new ChatWebSocketApi(this, 'WebSocket', {
      stage: config.stage,
      bedrock: this.bedrockAccess,
      eventBus,
      sessionsTable,
      connectionsTable,
      ticketsTable,
      functionDefaults: this.chatApi.functionDefaults,
      throttlingRateLimit: config.websocket.throttlingRateLimit,
      throttlingBurstLimit: config.websocket.throttlingBurstLimit,
      maxConcurrentAnswers: config.websocket.maxConcurrentAnswers,
      streamCompute: config.websocket.streamCompute,
      memorySize: config.chat.memorySize,
      streamTimeout: config.chat.streamTimeout,
      chatDeadlineMs: config.chat.deadlineMs,
      responseCacheTtlSeconds: config.chat.responseCacheTtlSeconds,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });
    // Access logging needs the account's CloudWatch role, which the REST API sets up.
    if (this.chatApi.cloudWatchAccount)
      this.webSocket.stage.node.addDependency(this.chatApi.cloudWatchAccount);

    this.firewall = new ApiFirewall(this, 'Firewall', {
      stage: config.stage,
      apiStage: restStage,
      requestsPerApiKeyPer5Minutes: config.firewall.requestsPerApiKeyPer5Minutes,
      requestsPerIpPer5Minutes: config.firewall.requestsPerIpPer5Minutes,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });

    this.alarms = new ApiAlarms(this, 'Alarms', {
      stage: config.stage,
      restStage,
      webSocketStage: this.webSocket.stage,
      webSocketQueues: {
        messages: this.webSocket.messageQueue,
        deadLetters: this.webSocket.messageDeadLetters.queue,
      },
      serverErrorRatePercent: config.alarms.serverErrorRatePercent,
      latencyP99Ms: config.alarms.chatLatencyP99Ms,
      webSocketErrorRatePercent: config.alarms.webSocketErrorRatePercent,
      topic: alarmTopic,
    });

    this.webhooks = new WebhookReceivers(this, 'Webhooks', {
      stage: config.stage,
      secret: webhookSecret,
      idempotencyTable: webhookIdempotencyTable,
      eventBus,
      catalogEnrichmentQueue,
      bedrock: this.bedrockAccess,
      // Only the reviews receiver builds the gateway; it needs Redis, hence the cache's network.
      gatewayEnvironment: platformEnvironment,
      gatewayNetwork: functionNetwork,
      memorySize: config.webhooks.memorySize,
      timeout: config.webhooks.timeout,
      ...(config.webhooks.reservedConcurrency !== undefined
        ? { reservedConcurrency: config.webhooks.reservedConcurrency }
        : {}),
      ...(config.webhooks.provisionedConcurrency !== undefined
        ? { provisionedConcurrency: config.webhooks.provisionedConcurrency }
        : {}),
      tracing: config.tracing,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });
    this.webhookAlarms = new WebhookAlarms(this, 'WebhookAlarms', {
      stage: config.stage,
      receivers: Object.values(this.webhooks.receivers),
      topic: this.alarms.topic,
      clientErrorsPer5Minutes: config.alarms.webhookClientErrorsPer5Minutes,
      serverErrorsPer5Minutes: config.alarms.webhookServerErrorsPer5Minutes,
    });

    this.documentJobs = new DocumentJobs(this, 'DocumentJobs', {
      stage: config.stage,
      restApi: this.chatApi.restApi,
      requestValidator: this.chatApi.requestValidator,
      bedrock: this.bedrockAccess,
      tenantsEnvironment: this.tenants.environment,
      jobsTable,
      documentsBucket: Bucket.fromBucketName(this, 'DocumentsBucket', documentsBucketName),
      eventBus,
      callbackSecret,
      functionDefaults: this.chatApi.functionDefaults,
      alarmTopic: this.alarms.topic,
      chunkConcurrency: config.jobs.chunkConcurrency,
      laneConcurrency: config.jobs.laneConcurrency,
      starterTimeout: config.jobs.starterTimeout,
      stepsMemorySize: config.jobs.stepsMemorySize,
      stepsTimeout: config.jobs.stepsTimeout,
      responseCacheTtlSeconds: config.chat.responseCacheTtlSeconds,
      queueAgeAlarmSeconds: config.alarms.jobQueueAgeSeconds,
      callbackConcurrency: config.jobs.callbackConcurrency,
      jobsPerTenant: config.jobs.jobsPerTenant,
      callbackAgeAlarmSeconds: config.alarms.jobCallbackAgeSeconds,
      removalPolicy: config.removalPolicy,
    });

    this.recommendations = new RecommendationRoutes(this, 'Recommendations', {
      stage: config.stage,
      restApi: this.chatApi.restApi,
      requestValidator: this.chatApi.requestValidator,
      recommendationsTable,
      functionDefaults: this.chatApi.functionDefaults,
    });

    const streamsWebSocket = config.websocket.streamCompute === 'fargate';
    this.orchestrator = new OrchestratorService(this, 'Orchestrator', {
      stage: config.stage,
      network: functionNetwork,
      environment: {
        ...this.chatApi.chatEnvironment,
        // The tasks consume the WebSocket message queue themselves: no stream function.
        ...(streamsWebSocket ? this.webSocket.streamWorkerEnvironment : {}),
      },
      bedrock: this.bedrockAccess,
      sessionsTable,
      eventBus,
      desiredCount: config.orchestrator.desiredCount,
      maxCount: config.orchestrator.maxCount,
      cpu: config.orchestrator.cpu,
      memoryLimitMiB: config.orchestrator.memoryLimitMiB,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
      ...(this.orchestratorIngress ? { ingress: this.orchestratorIngress } : {}),
      // Grow at 70 % of the answers a task streams at once, before messages queue up.
      ...(streamsWebSocket
        ? { webSocketAnswersPerTask: Math.max(1, Math.floor(config.websocket.maxConcurrentAnswers * 0.7)) }
        : {}),
    });
    if (streamsWebSocket) this.webSocket.grantStreamWorker(this.orchestrator.taskDefinition.taskRole);

    // What the events stack's dashboard watches here, by name rather than by export.
    new PublishedNames(this, 'PublishedNames', {
      stage: config.stage,
      names: {
        'websocket/api-id': this.webSocket.api.apiId,
        ...Object.fromEntries(
          Object.values(this.webhooks.receivers).map((receiver) => [
            `webhooks/${receiver.source}/function`,
            receiver.function.function.functionName,
          ]),
        ),
        ...Object.fromEntries(
          Object.entries(this.documentJobs.queues.lanes).map(([lane, { queue }]) => [
            `jobs/${lane}/queue`,
            queue.queueName,
          ]),
        ),
        'jobs/callbacks/queue': this.documentJobs.callbackQueue.queue.queueName,
      },
    });

    // The cache admits only IAM-authenticated clients: everything here that can reach it may connect.
    for (const fn of platformFunctionsIn(this).filter((candidate) => candidate.function.isBoundToVpc)) {
      fn.role.addToPrincipalPolicy(SharedCache.connectStatement(this, config.stage));
    }
    this.orchestrator.taskDefinition.taskRole.addToPrincipalPolicy(
      SharedCache.connectStatement(this, config.stage),
    );

    const topic = this.alarms.topic;
    this.functionAlarms = new FunctionAlarms(this, 'FunctionAlarms', {
      stage: config.stage,
      topic,
      functions: platformFunctionsIn(this),
      errorsPer5Minutes: config.alarms.functionErrorsPer5Minutes,
    });
    this.tableAlarms = new TableAlarms(this, 'TableAlarms', {
      stage: config.stage,
      topic,
      tables: {
        sessions: sessionsTable,
        connections: connectionsTable,
        'ws-tickets': ticketsTable,
        'webhook-idempotency': webhookIdempotencyTable,
        jobs: jobsTable,
        recommendations: recommendationsTable,
      },
    });
    this.limitAlarms = new LimitAlarms(this, 'LimitAlarms', {
      stage: config.stage,
      topic,
      cache: { name: SharedCache.nameFor(config.stage), ...config.cache },
      cacheUsagePercent: config.alarms.cacheUsagePercent,
      accountConcurrency: config.alarms.accountConcurrency,
      modelSpendUsdPerHour: Math.round((config.alarms.monthlyModelBudgetUsd / (30 * 24)) * 2 * 100) / 100,
      bedrockThrottlesPer5Minutes: config.alarms.bedrockThrottlesPer5Minutes,
    });
  }
}

/** The issuer the authorizer trusts: the stage's own OIDC issuer, else its Cognito pool, else none. */
function endUserIssuer(
  config: EnvironmentConfig,
  pool: ApiStackProps['endUserPool'],
): { endUsers?: TokenIssuerSettings } {
  const { endUsers } = config;
  if (endUsers === undefined) return {};
  if (endUsers.oidc) return { endUsers: { ...endUsers.oidc, tenantClaim: endUsers.tenantClaim } };
  if (pool === undefined) {
    throw new Error(
      `${config.stage}: end users' tokens need the stateful stack's user pool, or endUsers.oidc`,
    );
  }
  return { endUsers: { issuer: pool.issuer, audience: [pool.clientId], tenantClaim: endUsers.tenantClaim } };
}
