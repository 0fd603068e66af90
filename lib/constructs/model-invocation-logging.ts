import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface ModelInvocationLoggingProps {
  readonly stage: string;
  /**
   * Log the prompts and answers themselves, not only who called which model with how many
   * tokens. They are customers' text: leave this off unless a retention and access policy for
   * that text is in place.
   * @default false
   */
  readonly includeText?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly retention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Bedrock model invocation logging to a CloudWatch log group (`/aws/bedrock/mangaassist-<stage>`):
 * one record per model call, with the model, the caller's role, the request id and the token
 * counts; the prompt and the answer only with `includeText`. Bedrock keeps one such setting per
 * account and region, so deploy it from one stage per account (`bedrock.invocationLogging`).
 *
 * CloudFormation has no resource for the setting: a custom resource calls
 * `PutModelInvocationLoggingConfiguration` on create and update and
 * `DeleteModelInvocationLoggingConfiguration` on delete, with the runtime's own AWS SDK (nothing
 * is downloaded). Bedrock writes through a role only it may assume, for this account.
 */
export class ModelInvocationLogging extends Construct {
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ModelInvocationLoggingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/bedrock/mangaassist-${props.stage}`,
      retention: props.retention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new Role(this, 'WriterRole', {
      assumedBy: new ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: '*' }) },
        },
      }),
      description: `MangaAssist ${props.stage}: Bedrock writes model invocation logs with it`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.logGroupArn}`],
      }),
    );
    const configure: AwsSdkCall = {
      service: 'Bedrock',
      action: 'PutModelInvocationLoggingConfiguration',
      parameters: {
        loggingConfig: {
          cloudWatchConfig: { logGroupName: this.logGroup.logGroupName, roleArn: role.roleArn },
          textDataDeliveryEnabled: props.includeText ?? false,
          imageDataDeliveryEnabled: false,
          embeddingDataDeliveryEnabled: false,
          videoDataDeliveryEnabled: false,
        },
      },
      physicalResourceId: PhysicalResourceId.of(`bedrock-invocation-logging-${props.stage}`),
    };
    const setting = new AwsCustomResource(this, 'Setting', {
      onCreate: configure,
      onUpdate: configure,
      onDelete: { service: 'Bedrock', action: 'DeleteModelInvocationLoggingConfiguration' },
      installLatestAwsSdk: false,
      // The provider function's own logs, kept as the stage keeps every log.
      logGroup: new LogGroup(this, 'ProviderLogs', {
        retention: props.retention ?? RetentionDays.ONE_MONTH,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      }),
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({
          actions: [
            'bedrock:PutModelInvocationLoggingConfiguration',
            'bedrock:DeleteModelInvocationLoggingConfiguration',
          ],
          resources: ['*'],
        }),
        new PolicyStatement({ actions: ['iam:PassRole'], resources: [role.roleArn] }),
      ]),
    });
    setting.node.addDependency(role);
    Validations.of(setting).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "Bedrock's model invocation logging setting is one per account and region, not a resource: its actions take no resource ARN.",
    });
    // The stack's one provider function for every AwsCustomResource (CDK's singleton).
    const provider = stack.node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    if (provider) {
      Validations.of(provider).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "CDK's AwsCustomResource provider: a short-lived deploy-time function whose role CDK builds with the AWS basic execution policy (its own logs only).",
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            "CDK's AwsCustomResource provider runs on the runtime aws-cdk-lib pins; it runs only at deploy time.",
        },
      );
    }
  }
}
