import { Validations } from 'aws-cdk-lib';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';

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
