import { defaultModelCatalog, defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  type BedrockGrantOptions,
  BedrockInvokeAccess,
  BedrockInvokeAccessError,
  type BedrockInvokeAccessProps,
} from '../../../lib/constructs/bedrock-invoke-access.js';
import { asList, flatten, type PolicyStatement, policyStatements, unitTestApp } from '../support.js';

const catalogModelIds = Object.values(defaultModelCatalog.models).map((spec) => spec.modelId);

function grantToRole(props: Partial<BedrockInvokeAccessProps> = {}, options: BedrockGrantOptions = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const access = new BedrockInvokeAccess(stack, 'Bedrock', {
    regionTargets: defaultRegionTargets,
    ...props,
  });
  const role = new Role(stack, 'Grantee', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  access.grantInvoke(role, options);
  const statements = policyStatements(Template.fromStack(stack));
  return { access, stack, statements };
}

const resourcesOf = (statements: PolicyStatement[]) =>
  statements.flatMap((statement) => asList(statement.Resource).map(flatten));

describe('BedrockInvokeAccess', () => {
  it('grants only InvokeModel and InvokeModelWithResponseStream, which also cover Converse', () => {
    const { statements } = grantToRole();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(asList(statement.Action).sort()).toEqual([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]);
    }
  });

  it('never grants Bedrock on every resource', () => {
    expect(resourcesOf(grantToRole().statements)).not.toContain('*');
  });

  it('grants each inference profile in the region it is called from', () => {
    const resources = resourcesOf(grantToRole().statements);
    for (const region of ['ap-northeast-1', 'ap-northeast-3']) {
      expect(resources).toContain(
        `arn:<AWS::Partition>:bedrock:${region}:<AWS::AccountId>:inference-profile/jp.anthropic.claude-haiku-4-5-20251001-v1:0`,
      );
    }
    expect(resources).toContain(
      'arn:<AWS::Partition>:bedrock:us-east-1:<AWS::AccountId>:inference-profile/us.anthropic.claude-opus-4-5-20251101-v1:0',
    );
  });

  it('allows the foundation models behind a profile only for calls made through the granted profiles', () => {
    const { access, statements } = grantToRole();
    const routed = statements.filter((statement) =>
      asList(statement.Resource).some((resource) => flatten(resource).includes(':foundation-model/')),
    );
    expect(routed).toHaveLength(1);
    const [statement] = routed;
    expect(asList(statement?.Resource).map(flatten)).toEqual(
      expect.arrayContaining([
        'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      ]),
    );
    const profiles = statement?.Condition?.StringEquals?.['bedrock:InferenceProfileArn'];
    expect(asList(profiles).map(flatten).sort()).toEqual(
      access.inferenceProfileArns.map((arn) => flatten(Stack.of(access).resolve(arn))).sort(),
    );
  });

  it("grants nothing but the catalog's models", () => {
    for (const resource of resourcesOf(grantToRole().statements)) {
      // `…/anthropic.claude-…` (a foundation model) or `…/jp.anthropic.claude-…` (a profile)
      const name = resource.slice(resource.lastIndexOf('/') + 1);
      expect(catalogModelIds.some((id) => name === id || name.endsWith(`.${id}`))).toBe(true);
    }
  });

  it('grants on-demand targets on the foundation model in their own region, unconditioned', () => {
    const { access, statements } = grantToRole({ regionTargets: [{ region: 'us-west-2' }] });
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Condition).toBeUndefined();
    expect(resourcesOf(statements).sort()).toEqual([
      'arn:<AWS::Partition>:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      'arn:<AWS::Partition>:bedrock:us-west-2::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0',
    ]);
    expect(access.unreachableModels).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5']);
  });

  it('grants nothing outside the allowed geographies', () => {
    const { access, statements } = grantToRole({ allowedGeographies: ['jp', 'apac'] });
    const resources = resourcesOf(statements).join('\n');
    expect(resources).not.toMatch(/us-east-1|inference-profile\/us\./);
    expect(access.unreachableModels).toEqual(['claude-opus-4-5']);
  });

  it('follows catalog overrides', () => {
    const { access } = grantToRole({
      catalogOverridesJson: JSON.stringify({ models: { 'claude-3-haiku': { profiles: ['us'] } } }),
    });
    const profiles = access.inferenceProfileArns.map((arn) => flatten(Stack.of(access).resolve(arn)));
    expect(profiles).not.toContain(
      'arn:<AWS::Partition>:bedrock:ap-northeast-1:<AWS::AccountId>:inference-profile/apac.anthropic.claude-3-haiku-20240307-v1:0',
    );
    expect(profiles).toContain(
      'arn:<AWS::Partition>:bedrock:us-east-1:<AWS::AccountId>:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0',
    );
  });

  it('refuses a configuration under which no model can be reached', () => {
    expect(() =>
      grantToRole({ regionTargets: [{ region: 'eu-west-1', profile: 'eu' }], allowedGeographies: ['jp'] }),
    ).toThrow(BedrockInvokeAccessError);
  });

  it('tells the handler the same targets, geographies and catalog overrides it was granted', () => {
    const overrides = JSON.stringify({ aliases: { fast: 'claude-3-haiku' } });
    const { access } = grantToRole({ allowedGeographies: ['jp', 'apac'], catalogOverridesJson: overrides });
    expect(access.handlerEnvironment).toEqual({
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
      BEDROCK_ALLOWED_GEOGRAPHIES: 'jp,apac',
      MODEL_CATALOG_JSON: overrides,
    });
    expect(grantToRole().access.handlerEnvironment).toEqual({
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
    });
  });

  it('grants a selected model with the models it falls back to, and no other', () => {
    const { statements } = grantToRole({}, { models: ['fast'] });
    const names = resourcesOf(statements).map((resource) => resource.slice(resource.lastIndexOf('/') + 1));
    const granted = new Set(
      names.map((name) => catalogModelIds.find((id) => name === id || name.endsWith(`.${id}`))),
    );
    expect([...granted].sort()).toEqual([
      'anthropic.claude-3-haiku-20240307-v1:0',
      'anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
    const routed = statements.find((statement) => statement.Condition !== undefined);
    for (const profile of asList(routed?.Condition?.StringEquals?.['bedrock:InferenceProfileArn']).map(
      flatten,
    )) {
      expect(profile).toMatch(/haiku/);
    }
  });

  it('refuses to grant a model the catalog does not know', () => {
    expect(() => grantToRole({}, { models: ['claude-2'] })).toThrow(BedrockInvokeAccessError);
  });

  it('acknowledges the wildcard-region finding for a selected model, leaving no cdk-nag finding', () => {
    const { stack } = grantToRole({}, { models: ['fast'] });
    expect(
      new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName),
    ).toEqual([]);
  });

  it("acknowledges cdk-nag's wildcard-region finding for exactly the granted models", () => {
    const { stack } = grantToRole();
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    expect(violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('grants other actions on a model’s profiles and models, without the inference condition, and nag-clean', () => {
    const stack = new Stack(unitTestApp(), 'OnModels');
    const access = new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets });
    const role = new Role(stack, 'Grantee', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    access.grantOnModels(role, ['bedrock:CreateModelInvocationJob'], { models: ['fast'] });
    const statements = policyStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Action: 'bedrock:CreateModelInvocationJob' });
    expect(statements[0]?.Condition).toBeUndefined();
    const resources = resourcesOf(statements);
    expect(resources.some((arn) => arn.includes('inference-profile/jp.anthropic.claude-haiku-4-5'))).toBe(
      true,
    );
    expect(resources.some((arn) => arn.includes('foundation-model/anthropic.claude-haiku-4-5'))).toBe(true);
    expect(resources.some((arn) => /claude-3-sonnet|claude-sonnet/.test(arn))).toBe(false);
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    expect(violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
