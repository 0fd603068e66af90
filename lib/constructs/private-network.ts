import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface PrivateNetworkProps {
  /**
   * Availability zones; ElastiCache Serverless needs subnets in at least two.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * The zones by name (instead of `maxAzs`): more than the two an account-agnostic stack finds.
   * @default - `maxAzs` zones of the region
   */
  readonly availabilityZones?: readonly string[];
  /**
   * NAT gateways for the functions' egress, at least one (see the class description).
   * @default 1
   */
  readonly natGateways?: number;
  /**
   * The event buses the functions may put events on through the EventBridge endpoint.
   * @default - any bus of this account
   */
  readonly eventBusNames?: readonly string[];
  /**
   * Retention of the flow log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The VPC the Redis cache lives in and the functions that use it run in:
 *
 * - `data` subnets (isolated, no route out) for the cache;
 * - `functions` subnets (private, egress through NAT) for the Lambda functions, with gateway
 *   endpoints for DynamoDB and S3 and interface endpoints for Bedrock Runtime and EventBridge, so
 *   that prompts, answers, conversation turns, events and the document jobs' documents stay on
 *   the AWS network and off the NAT (the gateway endpoints cost nothing);
 * - `public` subnets holding only the NAT gateways.
 *
 * Why NAT and not isolated subnets with endpoints only: two things the functions call have no
 * VPC endpoint. The WebSocket API's `@connections` management API is a public API, and an
 * `execute-api` interface endpoint routes only to private APIs (with private DNS on, it would
 * also capture the public API's hostname and answer 403), so an execute-api endpoint must NOT
 * be added here. And Bedrock failover targets in other regions (`BEDROCK_REGION_TARGETS`) are
 * reachable only through the internet: Bedrock does not offer cross-region PrivateLink.
 *
 * No endpoints for CloudWatch Logs or X-Ray: Lambda ships a function's logs and trace segments
 * itself, outside the function's network interfaces. None for Secrets Manager: no function
 * reads a secret.
 *
 * `functionSecurityGroup` allows only HTTPS out; the cache adds its own port to it.
 * Rejected flows are logged to CloudWatch Logs.
 */
export class PrivateNetwork extends Construct {
  readonly vpc: Vpc;
  /** Where the functions run. */
  readonly functionSubnets: SubnetSelection;
  /** Where data stores (the cache) live: no route out of the VPC. */
  readonly dataSubnets: SubnetSelection;
  /** For every function in the VPC: HTTPS out (AWS APIs through endpoints or NAT), nothing in. */
  readonly functionSecurityGroup: SecurityGroup;
  readonly flowLogs: LogGroup;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps = {}) {
    super(scope, id);
    this.functionSubnets = { subnetGroupName: 'functions' };
    this.dataSubnets = { subnetGroupName: 'data' };

    this.vpc = new Vpc(this, 'Vpc', {
      ...(props.availabilityZones
        ? { availabilityZones: [...props.availabilityZones] }
        : { maxAzs: props.maxAzs ?? 2 }),
      natGateways: props.natGateways ?? 1,
      natGatewaySubnets: { subnetGroupName: 'public' },
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false },
        { name: 'functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 26 },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.functionSubnets] },
        S3: { service: GatewayVpcEndpointAwsService.S3, subnets: [this.functionSubnets] },
      },
    });

    this.flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('RejectedFlows', {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogs),
      trafficType: FlowLogTrafficType.REJECT,
    });

    this.functionSecurityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'MangaAssist functions: HTTPS to AWS APIs, plus the cache port the cache allows',
      allowAllOutbound: false,
    });
    this.functionSecurityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to AWS APIs (VPC endpoints, or NAT for the WebSocket @connections API and other regions)',
    );

    const endpointSecurityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'MangaAssist interface endpoints: HTTPS from the functions only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      Port.tcp(443),
      'HTTPS from the functions',
    );
    const interfaceEndpoints = {
      BedrockRuntime: InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
      Events: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
    };
    const stack = Stack.of(this);
    // What each endpoint lets through: this account's principals, and only the calls the
    // platform makes. A stolen credential of another account, or another API of the service,
    // does not pass here.
    const endpointPolicies: Record<keyof typeof interfaceEndpoints, PolicyStatement> = {
      BedrockRuntime: new PolicyStatement({
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:ApplyGuardrail'],
        resources: ['*'],
      }),
      Events: new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: (props.eventBusNames ?? ['*']).map((name) =>
          name === '*'
            ? '*'
            : stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: name }),
        ),
      }),
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.functionSubnets,
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
      const statement = endpointPolicies[name as keyof typeof interfaceEndpoints];
      statement.addAnyPrincipal();
      statement.addCondition('StringEquals', { 'aws:PrincipalAccount': stack.account });
      endpoint.addToPolicy(statement);
    }
  }
}
