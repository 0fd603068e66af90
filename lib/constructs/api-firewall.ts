import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The headers that carry a caller's credential: never logged, by WAF or anyone. */
const credentialHeaders = ['x-api-key', 'authorization'] as const;

export interface ApiFirewallProps {
  /** Deployment stage; part of the ACL's, metrics' and log group's names. */
  readonly stage: string;
  /** The REST API stage the web ACL protects. */
  readonly apiStage: Stage;
  /**
   * Requests one API key may send in any 5 minutes before it gets 429, whatever addresses they
   * come from: a ceiling over the tenant's usage plan, for a key that leaked (WAF's minimum is 10).
   * @default 90000 (300 a second)
   */
  readonly requestsPerApiKeyPer5Minutes?: number;
  /**
   * Requests one client IP may send in any 5 minutes before it gets 429, keys or none: a backstop
   * for floods, above a usage plan's rate so a tenant's back end behind one NAT address meets its
   * plan first.
   * @default 36000 (120 a second)
   */
  readonly requestsPerIpPer5Minutes?: number;
  /**
   * Retention of the WAF log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The one managed rule overridden to COUNT; see the class description. */
export const countedManagedRules = ['SizeRestrictions_BODY'] as const;

/** The JSON error body of a request blocked by the rate rule (no request id: WAF cannot add one). */
export const rateLimitedBody = JSON.stringify({
  error: {
    code: 'rate_limited',
    message: 'Too many requests from this API key or address; slow down and retry later.',
  },
});

/**
 * A regional WAFv2 web ACL on the REST API stage (seed 003):
 *
 * 1. `RateLimitPerApiKey`: more than `requestsPerApiKeyPer5Minutes` requests with one `x-api-key`
 *    in a 5-minute window are blocked with 429 and the API's JSON error body, before any other
 *    rule runs: the tenants' usage plans throttle each key first; this bounds a leaked key used
 *    from many addresses.
 * 2. `RateLimitPerIp`: more than `requestsPerIpPer5Minutes` from one address, keys or none (a
 *    client cycling made-up keys gets a bucket per key above, not per address here).
 * 3. `AWSManagedRulesAmazonIpReputationList`: addresses Amazon's threat intelligence lists (bots,
 *    reconnaissance, DDoS sources) are blocked.
 * 4. `AWSManagedRulesKnownBadInputsRuleSet`: request patterns known to exploit vulnerabilities
 *    (Log4j's JNDI lookups, Java deserialisation, `localhost` host headers) are blocked.
 * 5. `AWSManagedRulesCommonRuleSet` (OWASP-style protections), with `SizeRestrictions_BODY`
 *    overridden to COUNT: that rule blocks bodies over 8 KB, while a valid chat request carries
 *    up to 50 messages of up to 100 000 characters; API Gateway's request models bound the body
 *    instead, and its 10 MB payload limit still applies. The other body rules inspect the first
 *    8 KB as usual. COUNT keeps the rule's matches visible in metrics and logs.
 *
 * Blocked and counted requests are logged to CloudWatch Logs (`aws-waf-logs-…`, the name WAF
 * requires) without the `x-api-key` header; allowed requests are not logged (the API's access
 * logs have them), which keeps the cost to what needs looking at. WAF cannot protect WebSocket
 * APIs; that API authenticates with tickets and is throttled at its stage.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const metricPrefix = `mangaassist-${props.stage}-api`;
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${metricPrefix}-${metricName}`,
    });

    const rateLimited: CfnWebACL.RuleActionProperty = {
      block: { customResponse: { responseCode: 429, customResponseBodyKey: 'rate-limited' } },
    };
    /** An AWS managed rule group, blocking as AWS sets it, but for the rules `counted`. */
    const managedRuleGroup = (
      priority: number,
      groupName: string,
      name: string,
      metricName: string,
      counted: readonly string[] = [],
    ): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: groupName,
          ...(counted.length > 0
            ? { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
            : {}),
        },
      },
      visibilityConfig: visibility(metricName),
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: metricPrefix,
      description: `MangaAssist ${props.stage}: REST API protection`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('acl'),
      // The per-key rule's counted values, as well as matched and sampled requests, would show the
      // key, or an end user's bearer token, in the logs: WAF logs a hash of each instead.
      dataProtectionConfig: {
        dataProtections: [
          { action: 'HASH', field: { fieldType: 'SINGLE_HEADER', fieldKeys: [...credentialHeaders] } },
        ],
      },
      customResponseBodies: {
        'rate-limited': { contentType: 'APPLICATION_JSON', content: rateLimitedBody },
      },
      rules: [
        {
          name: 'RateLimitPerApiKey',
          priority: 0,
          action: rateLimited,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerApiKeyPer5Minutes ?? 90_000,
              evaluationWindowSec: 300,
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [
                { header: { name: 'x-api-key', textTransformations: [{ priority: 0, type: 'NONE' }] } },
              ],
            },
          },
          visibilityConfig: visibility('rate-limit-per-api-key'),
        },
        {
          name: 'RateLimitPerIp',
          priority: 1,
          action: rateLimited,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerIpPer5Minutes ?? 36_000,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('rate-limit-per-ip'),
        },
        managedRuleGroup(2, 'AWSManagedRulesAmazonIpReputationList', 'AwsIpReputationList', 'ip-reputation'),
        managedRuleGroup(3, 'AWSManagedRulesKnownBadInputsRuleSet', 'AwsKnownBadInputs', 'known-bad-inputs'),
        managedRuleGroup(
          4,
          'AWSManagedRulesCommonRuleSet',
          'AwsCommonRuleSet',
          'common-rule-set',
          countedManagedRules,
        ),
      ],
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.apiStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${metricPrefix}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group's ARN without the `:*` that `logGroupArn` ends with.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: credentialHeaders.map((name) => ({ singleHeader: { Name: name } })),
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            // EXCLUDED_AS_COUNT: what a managed rule overridden to COUNT matched.
            Conditions: ['BLOCK', 'COUNT', 'EXCLUDED_AS_COUNT'].map((action) => ({
              ActionCondition: { Action: action },
            })),
          },
        ],
      },
    });
  }
}
