import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PrivateNetwork, type PrivateNetworkProps } from '../../../lib/constructs/private-network.js';
import { flatten, unitTestApp } from '../support.js';

function build(props: PrivateNetworkProps = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const network = new PrivateNetwork(stack, 'Network', props);
  return { network, stack, template: Template.fromStack(stack) };
}

const { network, stack, template } = build();

interface SecurityGroupRule {
  readonly IpProtocol: string;
  readonly FromPort?: number;
  readonly ToPort?: number;
  readonly CidrIp?: string;
}

describe('PrivateNetwork', () => {
  it('spans two AZs with public, function and isolated data subnets', () => {
    expect(network.vpc.availabilityZones).toHaveLength(2);
    expect(network.vpc.selectSubnets(network.functionSubnets).subnets).toHaveLength(2);
    expect(network.vpc.selectSubnets(network.dataSubnets).subnets).toHaveLength(2);
    expect(network.vpc.isolatedSubnets).toHaveLength(2);
    template.resourceCountIs('AWS::EC2::Subnet', 6);
  });

  it('gives the data subnets no route out and the function subnets a route through NAT only', () => {
    const routes = Object.values(template.findResources('AWS::EC2::Route')).map(
      (route) => (route as { Properties: Record<string, unknown> }).Properties,
    );
    const natRoutes = routes.filter((route) => 'NatGatewayId' in route);
    const internetRoutes = routes.filter((route) => 'GatewayId' in route);
    expect(natRoutes).toHaveLength(2);
    expect(internetRoutes).toHaveLength(2);
    const dataRouteTables = network.vpc
      .selectSubnets(network.dataSubnets)
      .subnets.map((subnet) => flatten(stack.resolve(subnet.routeTable.routeTableId)));
    for (const route of routes) expect(dataRouteTables).not.toContain(flatten(route.RouteTableId));
  });

  it('spans the zones it is given by name, when a stage needs more than two', () => {
    const zones = ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'];
    const three = build({ availabilityZones: zones, natGateways: 3 });
    expect(three.network.vpc.availabilityZones).toEqual(zones);
    three.template.resourceCountIs('AWS::EC2::Subnet', 9);
    three.template.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('strips the default security group of its rules, so nothing placed in it by mistake can talk', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it("lets through each interface endpoint only this account's principals, and only the calls the platform makes", () => {
    const { template: bounded } = build({ eventBusNames: ['mangaassist-prod-ai-events'] });
    const policies = Object.values(bounded.findResources('AWS::EC2::VPCEndpoint'))
      .map(
        (endpoint) =>
          endpoint as {
            Properties: {
              VpcEndpointType?: string;
              ServiceName: unknown;
              PolicyDocument?: { Statement: unknown[] };
            };
          },
      )
      .filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface')
      .map((endpoint) => endpoint.Properties.PolicyDocument?.Statement);
    expect(policies).toEqual([
      [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['bedrock:ApplyGuardrail', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
      [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: expect.anything(),
          Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    ]);
    expect(flatten(policies[1]?.[0] && (policies[1][0] as { Resource: unknown }).Resource)).toBe(
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/mangaassist-prod-ai-events',
    );
  });

  it('has one NAT gateway by default and as many as configured', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    build({ natGateways: 2 }).template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('reaches DynamoDB and S3 through gateway endpoints and Bedrock Runtime and EventBridge through private interface endpoints', () => {
    for (const service of ['.dynamodb', '.s3']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([service])]) }),
      });
    }
    const interfaceServices = Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .map((endpoint) => (endpoint as { Properties: Record<string, unknown> }).Properties)
      .filter((endpoint) => endpoint.VpcEndpointType === 'Interface')
      .map((endpoint) => {
        expect(endpoint.PrivateDnsEnabled).toBe(true);
        return flatten(endpoint.ServiceName);
      });
    expect(interfaceServices.sort()).toEqual([
      'com.amazonaws.<AWS::Region>.bedrock-runtime',
      'com.amazonaws.<AWS::Region>.events',
    ]);
  });

  it('never adds an execute-api endpoint, which would break calls to the public WebSocket @connections API', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((endpoint) =>
      flatten((endpoint as { Properties: { ServiceName: unknown } }).Properties.ServiceName),
    );
    expect(services.join('\n')).not.toContain('execute-api');
  });

  it('lets the functions out on HTTPS only and admits nothing in', () => {
    const group = template.findResources('AWS::EC2::SecurityGroup')[
      stack.getLogicalId(network.functionSecurityGroup.node.defaultChild as never)
    ] as { Properties: { SecurityGroupEgress: SecurityGroupRule[]; SecurityGroupIngress?: unknown } };
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
    ]);
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('opens the interface endpoints to the functions’ security group only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [
          stack.getLogicalId(network.functionSecurityGroup.node.defaultChild as never),
          'GroupId',
        ],
      },
    });
  });

  it('logs rejected flows to a log group with a retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});
