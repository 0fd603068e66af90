import { apiKeyIdHeader } from '@mangaassist/orchestrator';
import { Duration, Validations } from 'aws-cdk-lib';
import {
  ConnectionType,
  Integration,
  IntegrationType,
  ResponseTransferMode,
  VpcLink,
} from 'aws-cdk-lib/aws-apigateway';
import { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import {
  NetworkLoadBalancer,
  NetworkTargetGroup,
  Protocol,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { orchestratorPorts } from './orchestrator-service.js';
import type { FunctionNetwork } from './platform-function.js';

export interface OrchestratorIngressProps {
  /** Deployment stage: the load balancer is `mangaassist-<stage>-orch` (32 characters at most). */
  readonly stage: string;
  /** The VPC and the private subnets the load balancer sits in (the tasks' network). */
  readonly network: FunctionNetwork;
}

/** How API Gateway forwards one route to the orchestrator. */
export interface OrchestratorRouteOptions {
  /** Stream the answer through (SSE): `responseTransferMode: STREAM`. @default false */
  readonly stream?: boolean;
  /** The integration's timeout: up to 29 s buffered, 15 minutes streamed. @default 29 s */
  readonly timeout?: Duration;
}

/**
 * The way in from the REST API to the orchestrator's public listener: a private Network Load
 * Balancer in the tasks' subnets and the API's VPC link to it.
 *
 * Only API Gateway can reach the listener: the load balancer's security group admits nothing,
 * and PrivateLink traffic (the VPC link's) is exempted from its inbound rules, so no task or
 * function in the VPC can send the API-key-id header API Gateway sets. Each route's integration
 * (`integration`) is an HTTP proxy over the link that sets that header from
 * `context.identity.apiKeyId` (the key API Gateway checked), so the tenant is the key's, as
 * behind Lambda.
 */
export class OrchestratorIngress extends Construct {
  readonly loadBalancer: NetworkLoadBalancer;
  readonly securityGroup: SecurityGroup;
  readonly targetGroup: NetworkTargetGroup;
  readonly vpcLink: VpcLink;

  constructor(scope: Construct, id: string, props: OrchestratorIngressProps) {
    super(scope, id);
    const { vpc } = props.network;
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `MangaAssist ${props.stage} orchestrator load balancer: the REST API VPC link only`,
      allowAllOutbound: false,
    });
    this.loadBalancer = new NetworkLoadBalancer(this, 'LoadBalancer', {
      loadBalancerName: `mangaassist-${props.stage}-orch`,
      vpc,
      vpcSubnets: props.network.subnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.securityGroup],
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: false,
    });
    this.targetGroup = new NetworkTargetGroup(this, 'Targets', {
      vpc,
      port: orchestratorPorts.api,
      protocol: Protocol.TCP,
      targetType: TargetType.IP,
      // Longer than the drain is not needed: a task leaves the group before ECS signals it.
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        protocol: Protocol.HTTP,
        path: '/readyz',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });
    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: Protocol.TCP,
      defaultTargetGroups: [this.targetGroup],
    });
    this.vpcLink = new VpcLink(this, 'VpcLink', {
      vpcLinkName: `mangaassist-${props.stage}-orchestrator`,
      targets: [this.loadBalancer],
    });

    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'A Network Load Balancer logs TLS listeners only; this one is TCP behind the REST API, whose access logs record every request it forwards.',
    });
  }

  /**
   * The HTTP proxy integration of `path` (`/v1/chat`) over the VPC link, as `POST`, carrying the
   * caller's API key id in `x-mangaassist-api-key-id`.
   */
  integration(path: string, options: OrchestratorRouteOptions = {}): Integration {
    return new Integration({
      type: IntegrationType.HTTP_PROXY,
      integrationHttpMethod: 'POST',
      uri: `http://${this.loadBalancer.loadBalancerDnsName}${path}`,
      options: {
        connectionType: ConnectionType.VPC_LINK,
        vpcLink: this.vpcLink,
        timeout: options.timeout ?? Duration.seconds(29),
        requestParameters: { [`integration.request.header.${apiKeyIdHeader}`]: 'context.identity.apiKeyId' },
        ...(options.stream ? { responseTransferMode: ResponseTransferMode.STREAM } : {}),
      },
    });
  }
}
