import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { ApiFirewall, type ApiFirewallProps, rateLimitedBody } from '../../../lib/constructs/api-firewall.js';
import { flatten, logicalId, unitTestApp } from '../support.js';

function build(props: Partial<Omit<ApiFirewallProps, 'apiStage'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { stageName: 'dev' } });
  restApi.root.addMethod('GET', new MockIntegration());
  new ApiFirewall(stack, 'Firewall', { stage: 'dev', apiStage: restApi.deploymentStage, ...props });
  return Template.fromStack(stack);
}

const template = build();

interface Rule {
  readonly Name: string;
  readonly Priority: number;
  readonly Action?: Record<string, unknown>;
  readonly OverrideAction?: Record<string, unknown>;
  readonly Statement: Record<string, Record<string, unknown>>;
}

const rules = (from: Template) =>
  (Object.values(from.findResources('AWS::WAFv2::WebACL'))[0] as { Properties: { Rules: Rule[] } }).Properties
    .Rules;

describe('ApiFirewall', () => {
  it('is a regional web ACL that allows what no rule blocks', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'mangaassist-dev-api',
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true }),
    });
  });

  it('blocks an API key above 90 000 requests in 5 minutes first, then an address above 36 000, with 429 and the JSON error body', () => {
    const [perKey, perIp] = rules(template);
    const blocked = {
      Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rate-limited' } },
    };
    expect(perKey).toMatchObject({
      Name: 'RateLimitPerApiKey',
      Priority: 0,
      Action: blocked,
      Statement: {
        RateBasedStatement: {
          Limit: 90_000,
          EvaluationWindowSec: 300,
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [
            { Header: { Name: 'x-api-key', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
          ],
        },
      },
    });
    expect(perIp).toMatchObject({
      Name: 'RateLimitPerIp',
      Priority: 1,
      Action: blocked,
      Statement: { RateBasedStatement: { Limit: 36_000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } },
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      CustomResponseBodies: { 'rate-limited': { ContentType: 'APPLICATION_JSON', Content: rateLimitedBody } },
    });
    expect(JSON.parse(rateLimitedBody)).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it("logs a hash of the API key and of end users' bearer tokens, never either, wherever WAF would log their value", () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      DataProtectionConfig: {
        DataProtections: [
          {
            Action: 'HASH',
            Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['x-api-key', 'authorization'] },
          },
        ],
      },
    });
  });

  it('takes both limits from its props', () => {
    const [perKey, perIp] = rules(
      build({ requestsPerApiKeyPer5Minutes: 700, requestsPerIpPer5Minutes: 500 }),
    );
    expect(perKey?.Statement.RateBasedStatement).toMatchObject({ Limit: 700 });
    expect(perIp?.Statement.RateBasedStatement).toMatchObject({ Limit: 500 });
  });

  it("blocks Amazon's known bad addresses and known exploit inputs, then applies the common rule set, counting rather than blocking bodies over 8 KB", () => {
    const managed = rules(template)
      .filter((rule) => rule.Statement.ManagedRuleGroupStatement)
      .map((rule) => [rule.Priority, rule.Statement.ManagedRuleGroupStatement?.Name, rule.OverrideAction]);
    expect(managed).toEqual([
      [2, 'AWSManagedRulesAmazonIpReputationList', { None: {} }],
      [3, 'AWSManagedRulesKnownBadInputsRuleSet', { None: {} }],
      [4, 'AWSManagedRulesCommonRuleSet', { None: {} }],
    ]);
    const common = rules(template).find((rule) => rule.Name === 'AwsCommonRuleSet');
    expect(common?.Statement.ManagedRuleGroupStatement).toMatchObject({
      VendorName: 'AWS',
      RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
    });
    const knownBad = rules(template).find((rule) => rule.Name === 'AwsKnownBadInputs');
    expect(knownBad?.Statement.ManagedRuleGroupStatement).not.toHaveProperty('RuleActionOverrides');
  });

  it('is associated with the REST API stage', () => {
    const association = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'))[0] as {
      Properties: { ResourceArn: unknown; WebACLArn: unknown };
    };
    const restApi = logicalId(template, 'AWS::ApiGateway::RestApi', 'Api');
    const stage = logicalId(template, 'AWS::ApiGateway::Stage', 'Api');
    expect(flatten(association.Properties.ResourceArn)).toBe(
      `arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/<${restApi}>/stages/<${stage}>`,
    );
    expect(association.Properties.WebACLArn).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::WAFv2::WebACL', 'Firewall'), 'Arn'],
    });
  });

  it('logs blocked and counted requests, without the API key, to an aws-waf-logs- group with retention', () => {
    const logGroup = logicalId(template, 'AWS::Logs::LogGroup', 'Firewall');
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-mangaassist-dev-api',
      RetentionInDays: 30,
    });
    const logging = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0] as {
      Properties: {
        LogDestinationConfigs: unknown[];
        RedactedFields: unknown[];
        LoggingFilter: { DefaultBehavior: string; Filters: { Behavior: string; Conditions: unknown[] }[] };
      };
    };
    expect(logging.Properties.LogDestinationConfigs.map(flatten)).toEqual([
      `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logGroup}>`,
    ]);
    expect(logging.Properties.RedactedFields).toEqual([
      { SingleHeader: { Name: 'x-api-key' } },
      { SingleHeader: { Name: 'authorization' } },
    ]);
    expect(logging.Properties.LoggingFilter.DefaultBehavior).toBe('DROP');
    expect(logging.Properties.LoggingFilter.Filters[0]).toMatchObject({
      Behavior: 'KEEP',
      Conditions: expect.arrayContaining([
        { ActionCondition: { Action: 'BLOCK' } },
        { ActionCondition: { Action: 'EXCLUDED_AS_COUNT' } },
      ]),
    });
  });
});
