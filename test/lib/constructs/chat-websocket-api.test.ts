import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { ChatWebSocketApi, messageRouteKeys } from '../../../lib/constructs/chat-websocket-api.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  roleStatements,
  unitTestApp,
} from '../support.js';

function build(
  streamCompute?: 'lambda' | 'fargate',
  before?: (stack: Stack, webSocket: ChatWebSocketApi) => void,
) {
  const stack = new Stack(unitTestApp(), 'Test');
  const table = (id: string) =>
    new Table(stack, id, { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const webSocket = new ChatWebSocketApi(stack, 'Chat', {
    stage: 'dev',
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    eventBus: new EventBus(stack, 'Bus'),
    sessionsTable: table('Sessions'),
    connectionsTable: table('Connections'),
    ticketsTable: table('Tickets'),
    functionDefaults: { environment: { REDIS_URL: 'rediss://cache:6379', TENANTS_JSON: '{"tenants":[]}' } },
    ...(streamCompute ? { streamCompute } : {}),
  });
  before?.(stack, webSocket);
  return { stack, webSocket, template: Template.fromStack(stack) };
}

const { stack, webSocket, template } = build();
const api = () => logicalId(template, 'AWS::ApiGatewayV2::Api', 'Chat');
const tableArn = (prefix: string) =>
  JSON.stringify({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', prefix), 'Arn'] });

/** The function (logical id) the route's integration invokes. */
function routeTarget(routeKey: string): string {
  const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } });
  const [route] = Object.values(routes) as { Properties: { Target: unknown } }[];
  const integrationId = flatten(route?.Properties.Target).replace(/^integrations\/<(.+)>$/, '$1');
  const integration = template.findResources('AWS::ApiGatewayV2::Integration')[integrationId] as {
    Properties: { IntegrationUri: unknown };
  };
  const uri = flatten(integration.Properties.IntegrationUri);
  const match = /"Fn::GetAtt":\["(\w+)","Arn"\]/.exec(uri);
  if (!match?.[1]) throw new Error(`no function in ${uri}`);
  return match[1];
}

describe('ChatWebSocketApi', () => {
  it('selects routes by the action in the message body', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      Name: 'mangaassist-dev-chat',
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('sends $connect and $disconnect to the connection function', () => {
    const connection = logicalId(template, 'AWS::Lambda::Function', 'ChatConnectionFunction');
    expect(routeTarget('$connect')).toBe(connection);
    expect(routeTarget('$disconnect')).toBe(connection);
  });

  it('sends the chat actions and anything else ($default) to the message function', () => {
    expect(messageRouteKeys).toEqual(['sendMessage', 'getHistory', 'clearSession', 'resume']);
    const message = logicalId(template, 'AWS::Lambda::Function', 'ChatMessageFunction');
    for (const routeKey of ['$default', ...messageRouteKeys]) expect(routeTarget(routeKey)).toBe(message);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 7);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
  });

  it('integrates both functions through Lambda proxy integrations', () => {
    template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY' });
  });

  it('authenticates at $connect with a ticket the connection function redeems, and says so to cdk-nag', () => {
    const connect = webSocket.api.node.findChild('$connect-Route');
    const acknowledged = connect.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => JSON.stringify(entry.data));
    expect(acknowledged.join('\n')).toMatch(/AwsSolutions-APIG4.*ticket/);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'NONE',
    });
  });

  it('deploys a throttled stage named after the deployment stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('writes JSON access logs without the query string that carries tickets', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: { AccessLogSettings: { DestinationArn: unknown; Format: string } };
    };
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      connectionId: '$context.connectionId',
      status: '$context.status',
    });
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/querystring|ticket/i);
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'ChatAccessLogs'), 'Arn'],
    });
  });

  it("lets only the message and stream functions manage connections, and only this stage's", () => {
    const manage = (prefix: string) =>
      functionStatements(template, prefix).filter((statement) =>
        asList(statement.Action).includes('execute-api:ManageConnections'),
      );
    expect(manage('ChatConnectionFunction')).toEqual([]);
    for (const prefix of ['ChatMessageFunction', 'ChatStreamFunction']) {
      const [statement, ...others] = manage(prefix);
      expect(others).toEqual([]);
      expect(asList(statement?.Resource).map(flatten)).toEqual([
        `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${api()}>/dev/*/@connections/*`,
      ]);
    }
  });

  it('queues client messages on an encrypted high-throughput FIFO queue, TLS only, dead-lettered after five receives', () => {
    const queue = logicalId(template, 'AWS::SQS::Queue', 'ChatMessageQueue');
    const deadLetters = logicalId(template, 'AWS::SQS::Queue', 'ChatMessageDeadLetters');
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mangaassist-dev-ws-messages.fifo',
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      // Longer than the stream function's timeout: never redelivered while its answer streams.
      VisibilityTimeout: 210,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('lets the message function only send to the queue (and push), outside the VPC and its environment', () => {
    const queueArn = JSON.stringify({
      'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'ChatMessageQueue'), 'Arn'],
    });
    const actions = functionActions(template, 'ChatMessageFunction');
    expect(actions.filter((action) => !/^(logs|xray):/.test(action)).sort()).toEqual([
      'execute-api:ManageConnections',
      'sqs:SendMessage',
    ]);
    const sqsResources = functionStatements(template, 'ChatMessageFunction')
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('sqs:')))
      .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(sqsResources).toEqual([queueArn]);
    expect(functionEnvironment(template, 'ChatMessageFunction')).toEqual({
      MANGA_ENV: 'dev',
      WEBSOCKET_CALLBACK_URL: expect.anything(),
      WEBSOCKET_MESSAGE_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'ChatMessageQueue') },
    });
    expect(functionProperties(template, 'ChatMessageFunction')).not.toHaveProperty('VpcConfig');
  });

  it('feeds the stream function one message at a time, reporting failed messages only, at most 100 answers at once', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'ChatMessageQueue'), 'Arn'] },
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'ChatStreamFunction') },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 100 },
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  it('tells every function that pushes, or connects, where frames go: the stage callback URL', () => {
    for (const prefix of ['ChatConnectionFunction', 'ChatMessageFunction', 'ChatStreamFunction']) {
      expect(flatten(functionEnvironment(template, prefix).WEBSOCKET_CALLBACK_URL)).toBe(
        `https://<${api()}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/dev`,
      );
    }
    expect(flatten(stack.resolve(webSocket.url))).toBe(
      `wss://<${api()}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/dev`,
    );
  });

  it('gives the connection function the connections table and the shared environment', () => {
    expect(functionEnvironment(template, 'ChatConnectionFunction')).toMatchObject({
      MANGA_ENV: 'dev',
      REDIS_URL: 'rediss://cache:6379',
      TENANTS_JSON: '{"tenants":[]}',
      CONNECTIONS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Connections') },
      WS_TICKETS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Tickets') },
    });
    expect(functionEnvironment(template, 'ChatConnectionFunction')).not.toHaveProperty('SESSIONS_TABLE');
  });

  it('gives the stream function both tables, the gateway settings and the bus', () => {
    expect(functionEnvironment(template, 'ChatStreamFunction')).toMatchObject({
      MANGA_ENV: 'dev',
      REDIS_URL: 'rediss://cache:6379',
      CONNECTIONS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Connections') },
      SESSIONS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Sessions') },
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
      CHAT_DEADLINE_MS: '3000',
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
    });
  });

  it('grants the connection function the connections table, and deleting tickets from the tickets table', () => {
    const actions = functionActions(template, 'ChatConnectionFunction');
    expect(actions.every((action) => /^(dynamodb|logs|xray):/.test(action))).toBe(true);
    const tablesOf = (actionMatches: (action: string) => boolean) =>
      functionStatements(template, 'ChatConnectionFunction')
        .filter((statement) => asList(statement.Action).some(actionMatches))
        .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(tablesOf((action) => action.startsWith('dynamodb:') && action !== 'dynamodb:DeleteItem')).toEqual([
      tableArn('Connections'),
    ]);
    const ticketStatements = functionStatements(template, 'ChatConnectionFunction').filter((statement) =>
      asList(statement.Resource).map(flatten).includes(tableArn('Tickets')),
    );
    expect(ticketStatements.flatMap((statement) => asList(statement.Action))).toEqual([
      'dynamodb:DeleteItem',
    ]);
  });

  it('grants the stream function both tables, Bedrock, the bus, the queue and the connections API, nothing else', () => {
    const actions = functionActions(template, 'ChatStreamFunction');
    expect(actions).toEqual(
      expect.arrayContaining([
        'bedrock:InvokeModelWithResponseStream',
        'events:PutEvents',
        'execute-api:ManageConnections',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
      ]),
    );
    expect(
      actions.every((action) => /^(bedrock|events|execute-api|dynamodb|sqs|logs|xray):/.test(action)),
    ).toBe(true);
    expect(actions).not.toContain('sqs:SendMessage');
    const tables = functionStatements(template, 'ChatStreamFunction')
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('dynamodb:')))
      .flatMap((statement) => asList(statement.Resource).map(flatten))
      .sort();
    expect(tables).toEqual([tableArn('Connections'), tableArn('Sessions')].sort());
  });

  it('lets a streamed answer run for minutes while the routes stay short', () => {
    expect(functionProperties(template, 'ChatStreamFunction').Timeout).toBe(180);
    expect(functionProperties(template, 'ChatMessageFunction').Timeout).toBe(10);
    expect(functionProperties(template, 'ChatConnectionFunction').Timeout).toBe(10);
  });

  it('outputs the URL browsers connect to', () => {
    template.hasOutput('*', { Description: Match.stringLikeRegexp('WebSocket chat') });
  });

  it('deploys no stream function for answers on Fargate, and grants the worker’s role what the function had of the queue, connections and stage', () => {
    const fargate = build('fargate', (stack, api) =>
      api.grantStreamWorker(
        new Role(stack, 'Worker', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') }),
      ),
    );
    const { template } = fargate;
    expect(fargate.webSocket.streamFunction).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(Object.keys(fargate.webSocket.streamWorkerEnvironment).sort()).toEqual([
      'CONNECTIONS_TABLE',
      'WEBSOCKET_CALLBACK_URL',
      'WEBSOCKET_STREAM_CONCURRENCY',
      'WEBSOCKET_STREAM_QUEUE_URL',
    ]);
    const statements = roleStatements(template, 'Worker');
    const resourcesOfAction = (prefix: string) =>
      statements
        .filter((statement) => asList(statement.Action).some((action) => action.startsWith(prefix)))
        .map((statement) => flatten(statement.Resource));
    expect(
      statements
        .flatMap((statement) => asList(statement.Action))
        .filter((action) => action.startsWith('sqs:'))
        .sort(),
    ).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage']);
    expect(resourcesOfAction('sqs:').join()).toContain('ChatMessageQueue');
    expect(resourcesOfAction('dynamodb:').join()).toContain('Connections');
    expect(resourcesOfAction('execute-api:').join()).toContain('@connections');
    expect(statements.flatMap((statement) => asList(statement.Action))).not.toContain('sqs:SendMessage');
  });
});
