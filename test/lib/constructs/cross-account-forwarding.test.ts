import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CrossAccountForwarding } from '../../../lib/constructs/cross-account-forwarding.js';
import { logicalId, policyStatements, unitTestApp } from '../support.js';

const targetBusArn = 'arn:aws:events:ap-northeast-1:111122223333:event-bus/mangaassist-central';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  new CrossAccountForwarding(stack, 'Forwarding', {
    stage: 'prod',
    eventBus: new EventBus(stack, 'Bus'),
    targetBusArn,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();

describe('CrossAccountForwarding', () => {
  it('forwards every event of the bus to the other bus, through a role, with a DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mangaassist-prod-cross-account-forwarding',
      EventBusName: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      EventPattern: { source: [{ prefix: '' }] },
      State: 'ENABLED',
      Targets: [
        {
          Id: 'Target0',
          Arn: targetBusArn,
          RoleArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::IAM::Role', 'ForwardingRole'), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'ForwardingDlq'), 'Arn'] },
          },
        },
      ],
    });
  });

  it('lets EventBridge assume the role, which may put events on the receiving bus alone', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
        ],
      },
    });
    expect(policyStatements(template)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: targetBusArn },
    ]);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
