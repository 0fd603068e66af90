import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource in a finding id (`AwsSolutions-IAM5[Resource::<name>]`): the
 * resolved value flattened as cdk-nag's `flattenCfnReference` does it, so an acknowledgement can
 * name exactly the ARN it accepts: `Fn::Join`s joined, `Ref`s as `<LogicalId>` (`<AWS::Partition>`),
 * `Fn::GetAtt`s as `<LogicalId.Attribute>`, `Fn::Sub` and `Fn::ImportValue` by their text (`${X}`
 * as `<X>`), anything else as JSON.
 *
 * A value that crosses stacks resolves here to the producer's attribute, but cdk-nag sees the
 * import CDK writes at synthesis (named by a generated export): refer to such a resource by name
 * in the consuming stack instead (see `DocumentBucket.bucketNameFor`).
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  return flatten(Stack.of(scope).resolve(value));
}

function flatten(resolved: unknown): string {
  if (resolved === undefined) return '';
  if (typeof resolved === 'string') return resolved.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof resolved === 'object' && resolved !== null) {
    const node = resolved as Record<string, unknown>;
    if (node['Fn::Join']) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    if (node['Fn::Sub']) return flatten(node['Fn::Sub']);
    if (node['Fn::GetAtt']) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (node['Fn::ImportValue']) return flatten(node['Fn::ImportValue']);
    if (node.Ref) return `<${flatten(node.Ref)}>`;
  }
  return JSON.stringify(resolved);
}
