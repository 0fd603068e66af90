import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ModelInvocationLogging } from '../../../lib/constructs/model-invocation-logging.js';
import { flatten, logicalId, roleStatements, unitTestApp } from '../support.js';

function build(includeText?: boolean) {
  const stack = new Stack(unitTestApp(), 'Test', { env: { region: 'ap-northeast-1' } });
  new ModelInvocationLogging(stack, 'Logging', {
    stage: 'prod',
    ...(includeText === undefined ? {} : { includeText }),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The JSON text of a custom resource call, its `Ref`s rendered `<id>` and other tokens `<token>`. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const [, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : 'Ref' in (part as object)
          ? `<${(part as { Ref: string }).Ref}>`
          : '<token>',
    )
    .join('');
}

/** The SDK call the custom resource makes on create. */
function createCall(template: Template): {
  action: string;
  parameters: { loggingConfig: Record<string, unknown> };
} {
  const [resource] = Object.values(template.findResources('Custom::AWS')) as {
    Properties: { Create: unknown };
  }[];
  return JSON.parse(rendered(resource?.Properties.Create));
}

describe('ModelInvocationLogging', () => {
  const { template } = build();

  it("logs who called which model with how many tokens, and not customers' text by default", () => {
    const call = createCall(template);
    expect(call.action).toBe('PutModelInvocationLoggingConfiguration');
    expect(call.parameters.loggingConfig).toMatchObject({
      textDataDeliveryEnabled: false,
      imageDataDeliveryEnabled: false,
      embeddingDataDeliveryEnabled: false,
      videoDataDeliveryEnabled: false,
      cloudWatchConfig: {
        logGroupName: `<${logicalId(template, 'AWS::Logs::LogGroup', 'LoggingLogs')}>`,
        roleArn: '<token>',
      },
    });
    expect(createCall(build(true).template).parameters.loggingConfig.textDataDeliveryEnabled).toBe(true);
  });

  it('writes to its own retained log group, through a role only Bedrock of this account may assume', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/bedrock/mangaassist-prod' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'bedrock.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: Match.anyValue(),
            },
          }),
        ],
      },
    });
    const [role] = Object.values(template.findResources('AWS::IAM::Role')).filter((resource) =>
      JSON.stringify(resource).includes('bedrock.amazonaws.com'),
    ) as {
      Properties: {
        AssumeRolePolicyDocument: { Statement: { Condition: { ArnLike: Record<string, unknown> } }[] };
      };
    }[];
    expect(
      flatten(role?.Properties.AssumeRolePolicyDocument.Statement[0]?.Condition.ArnLike['aws:SourceArn']),
    ).toBe('arn:aws:bedrock:ap-northeast-1:<AWS::AccountId>:*');
    const statements = roleStatements(template, 'LoggingWriterRole');
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('removes the setting when the stage goes away, and may pass only its writer role', () => {
    const [resource] = Object.values(template.findResources('Custom::AWS')) as {
      Properties: { Delete: unknown };
    }[];
    expect(JSON.parse(rendered(resource?.Properties.Delete))).toMatchObject({
      service: 'Bedrock',
      action: 'DeleteModelInvocationLoggingConfiguration',
    });
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('LoggingSettingCustomResourcePolicy'),
    )?.[1] as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } };
    const passRole = policy.Properties.PolicyDocument.Statement.find(
      (statement) => statement.Action === 'iam:PassRole',
    );
    expect(flatten(passRole?.Resource)).toMatch(/LoggingWriterRole/);
  });
});
