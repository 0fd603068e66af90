import { Aws, Fn, Stack } from 'aws-cdk-lib';
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
      `<${stack.getLogicalId(topic.node.defaultChild as never)}.TopicName>/*`,
    );
  });

  it('writes the text of an import and of a substitution, with placeholders as <X>', () => {
    expect(nagResourceName(stack, `${Fn.importValue('Producer:Export')}/jobs/*`)).toBe(
      'Producer:Export/jobs/*',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder, not a template.
    expect(nagResourceName(stack, Fn.sub('arn:${AWS::Partition}:s3:::b/*'))).toBe(
      'arn:<AWS::Partition>:s3:::b/*',
    );
  });

  it('writes any other intrinsic as JSON', () => {
    const selected = Fn.select(1, Fn.split(':', topic.topicArn));
    expect(nagResourceName(stack, `${selected}:*`)).toBe(`${JSON.stringify(stack.resolve(selected))}:*`);
  });

  it('leaves plain strings as they are', () => {
    expect(nagResourceName(stack, 'arn:aws:s3:::bucket/*')).toBe('arn:aws:s3:::bucket/*');
  });
});
