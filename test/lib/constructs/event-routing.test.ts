import { type EventConsumer, type EventRule, eventConsumers } from '@mangaassist/contracts';
import { RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiDestination, Authorization, Connection, EventBus } from 'aws-cdk-lib/aws-events';
import { Code, type IFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { EventRouting, type EventRoutingProps } from '../../../lib/constructs/event-routing.js';
import { asList, flatten, logicalId, resourcesOf, unitTestApp } from '../support.js';

interface RuleProperties {
  readonly Name: string;
  readonly EventBusName?: unknown;
  readonly EventPattern?: unknown;
  readonly ScheduleExpression?: string;
  readonly State: string;
  readonly Targets: {
    readonly Id: string;
    readonly Arn: unknown;
    readonly RoleArn?: unknown;
    readonly RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
    readonly DeadLetterConfig: { Arn: unknown };
    readonly InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
  }[];
}

const retry = { maximumEventAgeSeconds: 600, maximumRetryAttempts: 5 };

function patternRule(overrides: Partial<EventRule> = {}): EventRule {
  return {
    name: 'orders-or-refunds',
    description: 'Orders or refunds of one shop.',
    eventPattern: {
      $or: [{ source: ['shop.orders'] }, { 'detail-type': [{ prefix: 'Refund.' }] }],
      detail: { shop: [{ 'anything-but': ['test'] }] },
    },
    targets: [
      {
        id: 'analytics',
        kind: 'lambda',
        handler: 'analytics',
        inputTransformer: { inputPathsMap: { id: '$.id' }, inputTemplate: '{"event":<id>}' },
        retry,
      },
      { id: 'alert', kind: 'api-destination', retry },
    ],
    ...overrides,
  };
}

const scheduleRule: EventRule = {
  name: 'nightly',
  description: 'Every night.',
  schedule: 'rate(6 hours)',
  targets: [{ id: 'fm-trigger', kind: 'lambda', handler: 'fm-trigger', retry }],
};

function build(props: Partial<EventRoutingProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const consumers: Partial<Record<EventConsumer, IFunction>> = {};
  for (const consumer of eventConsumers) {
    consumers[consumer] = new LambdaFunction(stack, `Fn-${consumer}`, {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => {};'),
    });
  }
  const connection = new Connection(stack, 'Connection', {
    authorization: Authorization.apiKey('x-api-key', SecretValue.secretsManager('key')),
  });
  const routing = new EventRouting(stack, 'Routing', {
    stage: 'dev',
    eventBus: new EventBus(stack, 'Bus'),
    consumers: consumers as Record<EventConsumer, IFunction>,
    apiDestinations: {
      alert: new ApiDestination(stack, 'Alert', { connection, endpoint: 'https://hooks.example.com/x' }),
    },
    stateMachines: {
      'recommendation-regeneration': new StateMachine(stack, 'Workflow', {
        definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Nothing')),
      }),
    },
    rules: [patternRule(), scheduleRule],
    ...props,
  });
  return { stack, routing, template: Template.fromStack(stack) };
}

const { template, routing } = build();

function rule(name: string): RuleProperties {
  const found = resourcesOf<RuleProperties>(template, 'AWS::Events::Rule').find(
    (entry) => entry.properties.Name === name,
  );
  if (found === undefined) throw new Error(`no rule ${name}`);
  return found.properties;
}

const fnArn = (consumer: EventConsumer) => ({
  'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', `Fn${consumer.replace(/-/g, '')}`), 'Arn'],
});

describe('EventRouting', () => {
  it('writes a pattern rule’s JSON into the template verbatim, operators and $or included', () => {
    const deployed = rule('mangaassist-dev-orders-or-refunds');
    expect(deployed.EventPattern).toEqual(patternRule().eventPattern);
    expect(deployed.EventBusName).toEqual({ Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') });
    expect(deployed.State).toBe('ENABLED');
  });

  it('puts a schedule rule on the default bus, with its schedule and no pattern', () => {
    const deployed = rule('mangaassist-dev-nightly');
    expect(deployed.ScheduleExpression).toBe('rate(6 hours)');
    expect(deployed.EventBusName).toBeUndefined();
    expect(deployed.EventPattern).toBeUndefined();
    expect(routing.rules.nightly?.eventBus).toBeUndefined();
  });

  it('names each target with its contract id and gives it the contract’s retry policy', () => {
    const targets = rule('mangaassist-dev-orders-or-refunds').Targets;
    expect(targets.map((target) => target.Id)).toEqual(['analytics', 'alert']);
    for (const target of targets) {
      expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 5 });
    }
  });

  it('copies an input transformer exactly, and sends the whole event where there is none', () => {
    const [analytics, alert] = rule('mangaassist-dev-orders-or-refunds').Targets;
    expect(analytics?.InputTransformer).toEqual({
      InputPathsMap: { id: '$.id' },
      InputTemplate: '{"event":<id>}',
    });
    expect(alert?.InputTransformer).toBeUndefined();
  });

  it('invokes the consumer’s function, which only this rule may invoke', () => {
    const [analytics] = rule('mangaassist-dev-orders-or-refunds').Targets;
    expect(analytics?.Arn).toEqual(fnArn('analytics'));
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: fnArn('analytics'),
      SourceArn: {
        'Fn::GetAtt': [logicalId(template, 'AWS::Events::Rule', 'RoutingOrdersOrRefunds'), 'Arn'],
      },
    });
  });

  it('sends to the API destination with a role that may invoke it alone', () => {
    const [, alert] = rule('mangaassist-dev-orders-or-refunds').Targets;
    const destination = logicalId(template, 'AWS::Events::ApiDestination', 'Alert');
    expect(alert?.Arn).toEqual({ 'Fn::GetAtt': [destination, 'Arn'] });
    expect(alert?.RoleArn).toBeDefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'events:InvokeApiDestination',
            Resource: { 'Fn::GetAtt': [destination, 'Arn'] },
          },
        ],
      },
    });
  });

  it('gives every target its own DLQ, which only its rule may write to', () => {
    const pattern = logicalId(template, 'AWS::Events::Rule', 'RoutingOrdersOrRefunds');
    const targets = [
      ...rule('mangaassist-dev-orders-or-refunds').Targets,
      ...rule('mangaassist-dev-nightly').Targets,
    ];
    const queues = targets.map((target) => flatten(target.DeadLetterConfig.Arn));
    expect(new Set(queues).size).toBe(3);
    template.resourceCountIs('AWS::SQS::Queue', 3);
    const queue = logicalId(template, 'AWS::SQS::Queue', 'RoutingOrdersOrRefundsAnalyticsDlq');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [pattern, 'Arn'] } } },
          }),
        ]),
      },
    });
    expect(Object.keys(routing.rules['orders-or-refunds']?.deadLetterQueues ?? {})).toEqual([
      'analytics',
      'alert',
    ]);
  });

  it('keeps the DLQs with the stack when told to retain', () => {
    build({ removalPolicy: RemovalPolicy.RETAIN }).template.allResources('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
    });
  });

  it('starts a state machine with the event as input, with a role that may start that machine alone', () => {
    const workflowRule: EventRule = {
      ...scheduleRule,
      name: 'regenerate',
      targets: [
        {
          id: 'recommendation-regeneration',
          kind: 'state-machine',
          workflow: 'recommendation-regeneration',
          retry,
        },
      ],
    };
    const built = build({ rules: [workflowRule] });
    const deployed = resourcesOf<RuleProperties>(built.template, 'AWS::Events::Rule')[0]?.properties;
    const machine = logicalId(built.template, 'AWS::StepFunctions::StateMachine', 'Workflow');

    expect(deployed?.Targets).toEqual([
      expect.objectContaining({
        Id: 'recommendation-regeneration',
        Arn: { Ref: machine },
        RoleArn: expect.anything(),
        RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 5 },
        DeadLetterConfig: expect.anything(),
      }),
    ]);
    expect(deployed?.Targets[0]).not.toHaveProperty('Input');
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machine } }],
      },
    });
    expect(() =>
      build({ rules: [workflowRule], stateMachines: {} as EventRoutingProps['stateMachines'] }),
    ).toThrow(/no state machine for target recommendation-regeneration/);
  });

  it('refuses a target whose API destination was not given', () => {
    expect(() => build({ apiDestinations: {} })).toThrow(/no API destination for target alert/);
  });

  it('refuses a rule with neither a pattern nor a schedule', () => {
    const { eventPattern: _pattern, ...withoutPattern } = patternRule();
    expect(() => build({ rules: [withoutPattern] })).toThrow(/neither an event pattern nor a schedule/);
  });

  it('names rules after the stage and the contract, within EventBridge’s 64 characters', () => {
    for (const entry of resourcesOf<RuleProperties>(template, 'AWS::Events::Rule')) {
      expect(entry.properties.Name).toMatch(/^mangaassist-dev-[.\-_A-Za-z0-9]+$/);
      expect(entry.properties.Name.length).toBeLessThanOrEqual(64);
    }
    expect(asList(Object.keys(routing.rules))).toEqual(['orders-or-refunds', 'nightly']);
  });
});
