import { type Tenant, tenantSchema } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { TenantApiKeys } from '../../../lib/constructs/tenant-api-keys.js';
import { logicalId, unitTestApp } from '../support.js';

const tenants: Tenant[] = [
  tenantSchema.parse({ id: 'manga-store-web', name: 'Web store' }),
  tenantSchema.parse({
    id: 'partner-shop',
    name: 'Partner shop',
    throttle: { rateLimit: 5, burstLimit: 10 },
    quota: { limit: 1000, period: 'DAY' },
    dailyBudgetUsd: 1,
  }),
];

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const keys = new TenantApiKeys(stack, 'Tenants', { stage: 'dev', tenants });
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  restApi.root.addMethod('GET', new MockIntegration(), { apiKeyRequired: true });
  keys.allowStage(restApi, restApi.deploymentStage);
  return { keys, stack, template: Template.fromStack(stack) };
}

const { keys, stack, template } = build();

describe('TenantApiKeys', () => {
  it("creates one enabled API key per tenant, named after the stage and the tenant, its value from the tenant's generated secret", () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    for (const tenant of tenants) {
      const prefix = `Tenants${tenant.id.replaceAll('-', '')}`;
      const secret = logicalId(template, 'AWS::SecretsManager::Secret', `${prefix}KeyValue`);
      template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
        Name: `mangaassist-dev-${tenant.id}`,
        Enabled: true,
        // A dynamic reference: CloudFormation resolves it, the template never holds the value.
        Value: {
          'Fn::Join': [
            '',
            ['{{resolve:secretsmanager:', { Ref: secret }, Match.stringLikeRegexp('^:SecretString:')],
          ],
        },
      });
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `mangaassist-dev-api-key-${tenant.id}`,
        GenerateSecretString: { PasswordLength: 40, ExcludePunctuation: true, IncludeSpace: false },
      });
      template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    }
  });

  it("gives each tenant a usage plan with its throttle and quota, holding that tenant's key", () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'mangaassist-dev-manga-store-web',
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: 100_000, Period: 'MONTH' },
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'mangaassist-dev-partner-shop',
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
    for (const tenant of tenants) {
      const prefix = `Tenants${tenant.id.replaceAll('-', '')}`;
      template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        KeyId: { Ref: logicalId(template, 'AWS::ApiGateway::ApiKey', prefix) },
        KeyType: 'API_KEY',
        UsagePlanId: { Ref: logicalId(template, 'AWS::ApiGateway::UsagePlan', prefix) },
      });
    }
  });

  it("opens every plan on the API's stage", () => {
    const stage = logicalId(template, 'AWS::ApiGateway::Stage', 'Api');
    const plans = Object.values(template.findResources('AWS::ApiGateway::UsagePlan'));
    for (const plan of plans) {
      expect(plan).toMatchObject({ Properties: { ApiStages: [{ Stage: { Ref: stage } }] } });
    }
  });

  it('tags keys and plans with their tenant for cost allocation', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'mangaassist-dev-partner-shop',
      Tags: [{ Key: 'tenant', Value: 'partner-shop' }],
    });
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
      Name: 'mangaassist-dev-partner-shop',
      Tags: [{ Key: 'tenant', Value: 'partner-shop' }],
    });
  });

  it('tells the functions the tenants and which key id is whose in TENANTS_JSON', () => {
    const resolved = stack.resolve(keys.environment.TENANTS_JSON) as { 'Fn::Join': [string, unknown[]] };
    const [, parts] = resolved['Fn::Join'];
    // Substitute each key id's Ref with its logical id to read the JSON that CloudFormation renders.
    const rendered = parts
      .map((part) => (typeof part === 'string' ? part : `id-of-${(part as { Ref: string }).Ref}`))
      .join('');
    const web = logicalId(template, 'AWS::ApiGateway::ApiKey', 'Tenantsmangastoreweb');
    const partner = logicalId(template, 'AWS::ApiGateway::ApiKey', 'Tenantspartnershop');
    expect(JSON.parse(rendered)).toEqual({
      tenants,
      apiKeys: { [`id-of-${web}`]: 'manga-store-web', [`id-of-${partner}`]: 'partner-shop' },
    });
  });

  it('outputs key ids, never key values', () => {
    const outputs = (
      Object.values(template.findOutputs('*')) as { Value: unknown; Description?: string }[]
    ).filter((output) => output.Description?.startsWith('API key id'));
    expect(outputs).toHaveLength(2);
    for (const output of outputs) {
      expect(output.Value).toEqual({ Ref: expect.stringMatching(/ApiKey/) });
      expect(output.Description).toMatch(/get-secret-value --secret-id mangaassist-dev-api-key-/);
    }
  });
});
