import { Aws, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { nagResourceName } from '../../../lib/constructs/nag-resource-name.js';
import { unitTestApp } from '../support.js';

describe('nagResourceName', () => {
  const stack = new Stack(unitTestApp(), 'Test');
  const topic = new Topic(stack, 'Topic');

  it('writes pseudo parameters and references as <Name>, the way cdk-nag names findings', () => {
    expect(nagResourceName(stack, `arn:${Aws.PARTITION}:sns:${Aws.REGION}:*`)).toBe(
      'arn:<AWS::Partition>:sns:<AWS::Region>:*',
    );
    expect(nagResourceName(stack, `${topic.topicName}/*`)).toBe(
      `${JSON.stringify({ 'Fn::GetAtt': [stack.getLogicalId(topic.node.defaultChild as never), 'TopicName'] })}/*`,
    );
  });

  it('leaves plain strings as they are', () => {
    expect(nagResourceName(stack, 'arn:aws:s3:::bucket/*')).toBe('arn:aws:s3:::bucket/*');
  });
});
