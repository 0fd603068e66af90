import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/**
 * The log group of the state machine `machineName`: `/aws/vendedlogs/states/<name>`, a prefix that
 * keeps Step Functions from adding each machine to the account's CloudWatch Logs resource policy,
 * which is limited in size.
 */
export function stateMachineLogGroup(
  scope: Construct,
  machineName: string,
  options: { readonly retention?: RetentionDays; readonly removalPolicy?: RemovalPolicy } = {},
): LogGroup {
  return new LogGroup(scope, 'Logs', {
    logGroupName: `/aws/vendedlogs/states/${machineName}`,
    retention: options.retention ?? RetentionDays.ONE_MONTH,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.DESTROY,
  });
}

/**
 * Acknowledges the one `Resource: "*"` a logged and traced state machine's role needs: CloudWatch
 * Logs delivery and X-Ray accept no narrower resource.
 */
export function acknowledgeLoggingWildcards(stateMachine: StateMachine): void {
  Validations.of(stateMachine.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Resource "*" only where AWS allows nothing narrower: the CloudWatch Logs delivery actions Step Functions needs to log (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions.',
  });
}
