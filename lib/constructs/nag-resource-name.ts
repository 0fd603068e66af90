import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource in a finding id (`AwsSolutions-IAM5[Resource::<name>]`): the
 * resolved value with `Fn::Join`s flattened and `Ref`s as `<LogicalId>` (`<AWS::Partition>`),
 * so an acknowledgement can name exactly the ARN it accepts.
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  return flatten(Stack.of(scope).resolve(value));
}

function flatten(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'object' && resolved !== null && 'Fn::Join' in resolved) {
    const [separator, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(flatten).join(separator);
  }
  if (typeof resolved === 'object' && resolved !== null && 'Ref' in resolved) {
    return `<${String((resolved as { Ref: unknown }).Ref)}>`;
  }
  return JSON.stringify(resolved);
}
