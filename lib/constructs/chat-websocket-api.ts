import { gatewayEnvironment, websocketMessageQueueName } from '@mangaassist/contracts';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { nagResourceName } from './nag-resource-name.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface ChatWebSocketApiProps {
  /** Deployment stage: the WebSocket stage name, part of resource names, and `MANGA_ENV`. */
  readonly stage: string;
  /** Bedrock permission and gateway settings for the stream function. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * Bus for `InferenceCompleted` events.
   * @default - no bus: the message function does not publish events
   */
  readonly eventBus?: IEventBus;
  /** Conversation turns (`SESSIONS_TABLE`), read and written by the stream function. */
  readonly sessionsTable: ITable;
  /** Open connections (`CONNECTIONS_TABLE`), read and written by the connection and stream functions. */
  readonly connectionsTable: ITable;
  /** Tickets issued while Redis is down (`WS_TICKETS_TABLE`): `$connect` redeems them by deleting. */
  readonly ticketsTable: ITable;
  /**
   * Logging, tracing, network and the environment every function reads (`REDIS_URL`,
   * `TENANTS_JSON`).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: SharedFunctionProps;
  /**
   * Steady-state messages per second across the stage.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * The stream function's memory, MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Longest streamed answer (or followed `resume`): the stream function's timeout. The message
   * queue's visibility timeout is 30 s longer, so a message is never redelivered while its
   * answer still streams.
   * @default Duration.minutes(3)
   */
  readonly streamTimeout?: Duration;
  /**
   * Receives of a queued client message before it goes to the dead-letter queue. More than one
   * lets a message through a throttled or crashed stream function; a message whose answer was
   * started already is never answered twice (its logged stream is replayed instead).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Answers the stream function runs at once (the event source mapping's maximum concurrency);
   * on Fargate, the answers one task streams at once.
   * @default 100
   */
  readonly maxConcurrentAnswers?: number;
  /**
   * Who answers the queued messages: the stream function, or a long-running worker outside this
   * construct (the orchestrator's tasks), which gets `streamWorkerEnvironment` and
   * `grantStreamWorker`; no stream function is deployed then.
   * @default 'lambda'
   */
  readonly streamCompute?: 'lambda' | 'fargate';
  /**
   * Budget for one model request, ms (`CHAT_DEADLINE_MS`).
   * @default 3000
   */
  readonly chatDeadlineMs?: number;
  /**
   * Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`).
   * @default 300
   */
  readonly responseCacheTtlSeconds?: number;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Client actions (`$request.body.action`) the message function answers; `$default` catches the rest. */
export const messageRouteKeys = ['sendMessage', 'getHistory', 'clearSession', 'resume'] as const;

/**
 * The WebSocket API for browsers' streaming chat (seed 002 §2.2).
 *
 * - `$connect` / `$disconnect` → `functions/ws-connection`: stores the connection (TTL) and
 *   removes it.
 * - `sendMessage`, `getHistory`, `clearSession`, `resume` and `$default` →
 *   `functions/ws-message`, which only puts the frame on an SQS FIFO queue (message group: the
 *   connection; deduplication id: API Gateway's message id) and answers at once, so that no
 *   route integration reaches API Gateway's 29 s timeout, however long the answer streams.
 * - The queue → `functions/ws-stream` (batch size 1, partial batch responses), which answers
 *   and pushes `start`, `delta` … `complete` frames back through the stage's `@connections` API
 *   (`WEBSOCKET_CALLBACK_URL`) for as long as the answer runs. One connection's messages are
 *   answered in the order sent, one at a time; a message that keeps failing goes, after
 *   `maxReceiveCount` receives, to a FIFO dead-letter queue (`messageDeadLetters`), which
 *   should be alarmed. Only these two functions may manage connections
 *   (`execute-api:ManageConnections` on this stage's connections only): the route tells a
 *   client its message could not be queued.
 *
 * Authentication: a browser cannot set `x-api-key` on a WebSocket, so it first gets a
 * single-use ticket from `POST /v1/ws-tickets` (with its tenant's key) and connects with
 * `?ticket=…`. The `$connect` function redeems the ticket (an atomic get-and-delete in Redis),
 * records the connection with its tenant, and answers 401 for a missing ticket and 403 for an
 * unknown, used or expired one, which makes API Gateway refuse the handshake. A REQUEST authorizer on
 * `route.request.querystring.ticket` would also work, but it is a second function on the
 * connect path, and its policy cache would have to be off for single-use tickets; redeeming in
 * `$connect` keeps the check and the connection record in one step.
 *
 * The stage is throttled and writes one JSON access log line per event (never the query
 * string, so tickets stay out of the logs).
 */
export class ChatWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly connectionFunction: PlatformFunction;
  /** The message route: queues client messages. */
  readonly messageFunction: PlatformFunction;
  /** The stream worker on Lambda (`streamCompute: 'lambda'`): answers queued messages. */
  readonly streamFunction?: PlatformFunction;
  /**
   * What a stream worker on Fargate needs in its environment: the queue to consume, the
   * connections table, where to post frames, and how many answers to stream at once.
   */
  readonly streamWorkerEnvironment: Readonly<Record<string, string>>;
  /** Client messages on their way from the route to the stream worker (SQS FIFO). */
  readonly messageQueue: Queue;
  /** Client messages the stream worker failed `maxReceiveCount` times. */
  readonly messageDeadLetters: DeadLetterQueue;
  readonly accessLogs: LogGroup;
  /** `wss://…/<stage>`: where browsers connect (with `?ticket=`). */
  readonly url: string;
  private readonly connectionsTable: ITable;

  constructor(scope: Construct, id: string, props: ChatWebSocketApiProps) {
    super(scope, id);
    this.connectionsTable = props.connectionsTable;
    const defaults = props.functionDefaults ?? {};

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `mangaassist-${props.stage}-chat`,
      description: `MangaAssist ${props.stage}: streaming chat for browsers`,
      routeSelectionExpression: '$request.body.action',
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stage,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 100,
        burstLimit: props.throttlingBurstLimit ?? 200,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat(),
      },
    });

    const commonEnvironment = {
      ...defaults.environment,
      [gatewayEnvironment.stage]: props.stage,
      [gatewayEnvironment.connectionsTable]: props.connectionsTable.tableName,
      // The platforms wire their pusher from this URL; the connection function never posts, so
      // only the message and stream functions may manage connections.
      [gatewayEnvironment.websocketCallbackUrl]: this.stage.callbackUrl,
    };

    this.connectionFunction = new PlatformFunction(this, 'ConnectionFunction', {
      ...defaults,
      entry: 'functions/ws-connection/src/handler.ts',
      description: `MangaAssist ${props.stage}: WebSocket $connect (ticket) and $disconnect`,
      memorySize: 512,
      timeout: Duration.seconds(10),
      environment: {
        ...commonEnvironment,
        [gatewayEnvironment.ticketsTable]: props.ticketsTable.tableName,
      },
    });
    props.connectionsTable.grantReadWriteData(this.connectionFunction);
    props.ticketsTable.grant(this.connectionFunction, 'dynamodb:DeleteItem');

    const streamTimeout = props.streamTimeout ?? Duration.minutes(3);
    this.messageDeadLetters = new DeadLetterQueue(this, 'MessageDeadLetters', {
      purpose: 'WebSocket client messages the stream function failed to answer',
      fifo: true,
    });
    this.messageQueue = new Queue(this, 'MessageQueue', {
      queueName: websocketMessageQueueName(props.stage),
      fifo: true,
      // High-throughput FIFO: ordering and deduplication only matter within one connection.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Past the function's timeout, so a message is never delivered again while it streams; not
      // six times it (AWS's advice for throttles), which would hold a crashed connection's later
      // messages for 18 minutes: the mapping's maximum concurrency keeps throttles away instead.
      visibilityTimeout: streamTimeout.plus(Duration.seconds(30)),
      deadLetterQueue: { queue: this.messageDeadLetters.queue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    // The route calls only SQS and the @connections API: outside the VPC, with none of the
    // shared environment (Redis, tenants) it has no use for.
    const { network: _vpc, environment: _shared, ...routeDefaults } = defaults;
    this.messageFunction = new PlatformFunction(this, 'MessageFunction', {
      ...routeDefaults,
      entry: 'functions/ws-message/src/handler.ts',
      description: `MangaAssist ${props.stage}: WebSocket chat actions, queued for the stream function`,
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.websocketCallbackUrl]: this.stage.callbackUrl,
        [gatewayEnvironment.websocketMessageQueueUrl]: this.messageQueue.queueUrl,
      },
    });
    // SendMessage only: the route has the queue's URL and never reads its attributes.
    this.messageQueue.grant(this.messageFunction, 'sqs:SendMessage');

    this.streamWorkerEnvironment = {
      [gatewayEnvironment.websocketStreamQueueUrl]: this.messageQueue.queueUrl,
      [gatewayEnvironment.websocketStreamConcurrency]: String(props.maxConcurrentAnswers ?? 100),
      [gatewayEnvironment.connectionsTable]: props.connectionsTable.tableName,
      [gatewayEnvironment.websocketCallbackUrl]: this.stage.callbackUrl,
    };
    if ((props.streamCompute ?? 'lambda') === 'lambda') {
      const streamFunction = new PlatformFunction(this, 'StreamFunction', {
        ...defaults,
        entry: 'functions/ws-stream/src/handler.ts',
        description: `MangaAssist ${props.stage}: answers queued WebSocket chat actions, streaming`,
        ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
        timeout: streamTimeout,
        environment: {
          ...commonEnvironment,
          ...props.bedrock.handlerEnvironment,
          [gatewayEnvironment.chatDeadlineMs]: String(props.chatDeadlineMs ?? 3000),
          [gatewayEnvironment.responseCacheTtlSeconds]: String(props.responseCacheTtlSeconds ?? 300),
          [gatewayEnvironment.sessionsTable]: props.sessionsTable.tableName,
          ...(props.eventBus ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
        },
      });
      streamFunction.invocationTarget.addEventSource(
        new SqsEventSource(this.messageQueue, {
          batchSize: 1,
          reportBatchItemFailures: true,
          maxConcurrency: props.maxConcurrentAnswers ?? 100,
        }),
      );
      props.connectionsTable.grantReadWriteData(streamFunction);
      props.sessionsTable.grantReadWriteData(streamFunction);
      props.bedrock.grantInvoke(streamFunction);
      props.eventBus?.grantPutEventsTo(streamFunction);
      this.streamFunction = streamFunction;
    }
    for (const pusher of [this.messageFunction, this.streamFunction]) {
      if (pusher) this.grantPushing(pusher.role);
    }

    const connection = new WebSocketLambdaIntegration('Connection', this.connectionFunction.invocationTarget);
    const message = new WebSocketLambdaIntegration('Message', this.messageFunction.invocationTarget);
    const connect = this.api.addRoute('$connect', { integration: connection });
    Validations.of(connect).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        '$connect is authenticated by the connection function, not by an authorizer: it redeems the single-use ticket (?ticket=, issued by POST /v1/ws-tickets to an API-key holder) and answers 401 (missing) or 403 (unknown, used or expired), which refuses the connection.',
    });
    const connected = [
      this.api.addRoute('$disconnect', { integration: connection }),
      this.api.addRoute('$default', { integration: message }),
      ...messageRouteKeys.map((routeKey) => this.api.addRoute(routeKey, { integration: message })),
    ];
    for (const route of connected) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'WebSocket routes other than $connect run only on a connection $connect accepted (with a valid ticket); API Gateway supports authorization on $connect only.',
      });
    }

    this.url = this.stage.url;
    new CfnOutput(this, 'Url', { value: this.url, description: 'WebSocket chat (connect with ?ticket=)' });
  }

  /**
   * Lets a stream worker outside this construct (`streamCompute: 'fargate'`) answer the queue:
   * receive, renew and delete its messages, read and write the connections, and post frames.
   * The worker's role also needs what any chat answer needs (sessions, Bedrock, the bus).
   */
  grantStreamWorker(role: IRole): void {
    // What the poller calls, nothing more (`grantConsumeMessages` adds GetQueueUrl and GetQueueAttributes).
    this.messageQueue.grant(role, 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage');
    this.connectionsTable.grantReadWriteData(role);
    this.grantPushing(role);
  }

  /** `execute-api:ManageConnections` on this stage's connections. */
  private grantPushing(role: IRole): void {
    this.stage.grantManagementApiAccess(role);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, connectionsArn(this.stage))}]`,
      reason:
        "execute-api:ManageConnections on this stage's @connections only: connection ids are assigned by API Gateway at $connect, so the last segment must be a wildcard.",
    });
  }
}

/** One JSON object per event; never the query string (tickets). */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      requestTimeEpoch: AccessLogField.contextRequestTimeEpoch(),
      eventType: AccessLogField.contextEventType(),
      routeKey: AccessLogField.contextRouteKey(),
      connectionId: AccessLogField.contextConnectionId(),
      status: AccessLogField.contextStatus(),
      errorMessage: '$context.error.message',
      integrationStatus: '$context.integration.status',
      integrationLatencyMs: '$context.integration.latency',
      integrationError: '$context.integration.error',
      sourceIp: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
    }),
  );
}

/** The ARN `stage.grantManagementApiAccess` grants: every connection of this stage. */
function connectionsArn(stage: WebSocketStage): string {
  const api = Stack.of(stage).formatArn({ service: 'execute-api', resource: stage.api.apiId });
  return `${api}/${stage.stageName}/*/@connections/*`;
}
