/**
 * Environment variable names shared by the constructs that set them and the handlers that
 * read them. Values are validated by each handler's own schema at cold start.
 */
export const gatewayEnvironment = {
  /** `dev | staging | prod`. */
  stage: 'MANGA_ENV',
  /** JSON array of `{ region, profile? }` failover targets, in order. */
  regionTargets: 'BEDROCK_REGION_TARGETS',
  /** Comma-separated geographies data may be processed in (`jp,apac`); unset = anywhere configured. */
  allowedGeographies: 'BEDROCK_ALLOWED_GEOGRAPHIES',
  /** JSON array of weighted A/B experiments, sticky per session (see the router's `experimentSchema`). */
  routingExperiments: 'ROUTING_EXPERIMENTS_JSON',
  /** JSON overrides of the model catalog. */
  modelCatalog: 'MODEL_CATALOG_JSON',
  /** Id or ARN of the Bedrock guardrail applied to users' new messages; unset = none. */
  guardrailId: 'BEDROCK_GUARDRAIL_ID',
  /** Its version (`DRAFT` or a number; default `DRAFT`). */
  guardrailVersion: 'BEDROCK_GUARDRAIL_VERSION',
  /** Custom Bedrock Runtime endpoint (the local emulator); unset = AWS. */
  bedrockEndpoint: 'BEDROCK_ENDPOINT_URL',
  /** `rediss://…` of the response cache; unset = an in-memory cache per instance. */
  redisUrl: 'REDIS_URL',
  responseCacheTtlSeconds: 'RESPONSE_CACHE_TTL_SECONDS',
  /** Bus for InferenceCompleted events; unset = events are not published. */
  eventBusName: 'EVENT_BUS_NAME',
  /** Budget for one chat request, ms (default 3000: the chat SLA). */
  chatDeadlineMs: 'CHAT_DEADLINE_MS',
  /** Name of the sessions table (`tableSpecs.sessions`). */
  sessionsTable: 'SESSIONS_TABLE',
  /** Name of the WebSocket connections table. */
  connectionsTable: 'CONNECTIONS_TABLE',
  /** Name of the table that keeps WebSocket tickets while Redis is down. */
  ticketsTable: 'WS_TICKETS_TABLE',
  /** Custom DynamoDB endpoint (the embedded DynamoDB); unset = AWS. */
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT_URL',
  /** JSON: `{ "tenants": Tenant[], "apiKeys": { "<API Gateway key id>": "<tenant id>" } }`. */
  tenants: 'TENANTS_JSON',
  /** The issuer (`iss`) of end users' tokens; unset = the API accepts API keys only. */
  authIssuer: 'AUTH_ISSUER',
  /** Comma-separated: the audiences (`aud`, or Cognito's `client_id`) a token may be for. */
  authAudience: 'AUTH_AUDIENCE',
  /** Where the issuer's signing keys are; unset = `<issuer>/.well-known/jwks.json`. */
  authJwksUrl: 'AUTH_JWKS_URL',
  /** The claim that names a token's tenant; unset = `custom:tenant` (a Cognito attribute). */
  authTenantClaim: 'AUTH_TENANT_CLAIM',
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`: where to post WebSocket frames. */
  websocketCallbackUrl: 'WEBSOCKET_CALLBACK_URL',
  /** URL of the SQS FIFO queue the WebSocket message route puts client messages on for the stream worker. */
  websocketMessageQueueUrl: 'WEBSOCKET_MESSAGE_QUEUE_URL',
  /**
   * The same queue's URL, given to the orchestrator where WebSocket answers run on Fargate: it
   * then consumes the queue itself (the stream function is not deployed).
   */
  websocketStreamQueueUrl: 'WEBSOCKET_STREAM_QUEUE_URL',
  /** Answers one orchestrator task streams to WebSocket clients at once. */
  websocketStreamConcurrency: 'WEBSOCKET_STREAM_CONCURRENCY',
  /** URL of the SQS FIFO queue the catalog webhook puts each catalog item on for its enrichment. */
  catalogEnrichmentQueueUrl: 'CATALOG_ENRICHMENT_QUEUE_URL',
  /** Which static route a task function serves: `moderate | summarize | analyze`. */
  taskName: 'TASK_NAME',
  /** Which webhook source a function URL serves: `stripe | reviews | catalog`. */
  webhookSource: 'WEBHOOK_SOURCE',
  /** ARN (or name) of the Secrets Manager secret holding `WebhookSecrets` JSON. */
  webhookSecretId: 'WEBHOOK_SECRET_ID',
  /** Name of the webhook idempotency table. */
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  /** Tables of the event consumers. */
  productsTable: 'PRODUCTS_TABLE',
  reviewsTable: 'REVIEWS_TABLE',
  analyticsTable: 'ANALYTICS_TABLE',
  consumedEventsTable: 'CONSUMED_EVENTS_TABLE',
  /** Sender address of order confirmations (SES). */
  senderEmail: 'SENDER_EMAIL',
  /** Which consumer an event function is: one of `eventConsumers` or `queueConsumers`. */
  eventConsumer: 'EVENT_CONSUMER',
  /** Custom EventBridge endpoint (the local bus); unset = AWS. */
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT_URL',
  /** Name of the jobs table (`jobsTable`). */
  jobsTable: 'JOBS_TABLE',
  /** Name of the bucket of documents, chunks and results. */
  documentsBucket: 'DOCUMENTS_BUCKET',
  /** ARN of the service role Bedrock assumes to run the re-enrichment's batch jobs. */
  reenrichmentBatchRoleArn: 'REENRICHMENT_BATCH_ROLE_ARN',
  /** From this many products a catalog re-enrichment is one Bedrock batch job (at least 100). */
  reenrichmentBatchThreshold: 'REENRICHMENT_BATCH_THRESHOLD',
  /** URL of the SQS queue of normal-priority jobs. */
  jobsQueueUrl: 'JOBS_QUEUE_URL',
  /** URL of the SQS queue of low-priority jobs. */
  jobsLowQueueUrl: 'JOBS_LOW_QUEUE_URL',
  /** URL of the SQS queue of job callbacks waiting for delivery. */
  jobCallbacksQueueUrl: 'JOB_CALLBACKS_QUEUE_URL',
  /** ARN (or name) of the Secrets Manager secret holding each tenant's callback signing secrets. */
  callbackSecretId: 'CALLBACK_SECRET_ID',
  /** Jobs one tenant may have running at once; more wait in their queue (default 5). */
  jobsPerTenant: 'JOBS_PER_TENANT',
  /** ARN of the job workflow's state machine. */
  jobStateMachineArn: 'JOB_STATE_MACHINE_ARN',
  /** Name of the recommendations table (`recommendationsTable`). */
  recommendationsTable: 'RECOMMENDATIONS_TABLE',
} as const;
