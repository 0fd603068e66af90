import { type Tenant, tenantSchema } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { ApiCallers, type TokenIssuerSettings } from '../../../lib/constructs/api-callers.js';
import { TenantApiKeys } from '../../../lib/constructs/tenant-api-keys.js';
import {
  flatten,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

const tenants: Tenant[] = [
  tenantSchema.parse({ id: 'web', name: 'Web' }),
  tenantSchema.parse({ id: 'app', name: 'App', requireUserToken: true }),
];

const issuer: TokenIssuerSettings = {
  issuer: 'https://issuer.example',
  audience: ['client-a', 'client-b'],
  jwksUrl: 'https://issuer.example/keys',
  tenantClaim: 'org',
};

function build(endUsers?: TokenIssuerSettings) {
  const stack = new Stack(unitTestApp(), 'Test', { env: { region: 'ap-northeast-1' } });
  const keys = new TenantApiKeys(stack, 'Tenants', { stage: 'dev', tenants });
  const callers = new ApiCallers(stack, 'Callers', {
    stage: 'dev',
    tenants: keys,
    ...(endUsers ? { endUsers } : {}),
  });
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  restApi.root.addMethod('GET', new MockIntegration(), { authorizer: callers.authorizer });
  return Template.fromStack(stack);
}

describe('ApiCallers', () => {
  const template = build(issuer);

  it('is an uncached REQUEST authorizer without identity sources, so every request is decided on its own headers', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      Name: 'mangaassist-dev-callers',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  it("tells the function the tenants, their keys' ids and the issuer, and runs it outside any VPC", () => {
    expect(functionEnvironment(template, 'CallersFunction')).toMatchObject({
      MANGA_ENV: 'dev',
      TENANTS_JSON: expect.anything(),
      AUTH_ISSUER: 'https://issuer.example',
      AUTH_AUDIENCE: 'client-a,client-b',
      AUTH_JWKS_URL: 'https://issuer.example/keys',
      AUTH_TENANT_CLAIM: 'org',
    });
    expect(functionProperties(template, 'CallersFunction').VpcConfig).toBeUndefined();
  });

  it("may read the secrets holding this stage's tenant key values, and nothing else", () => {
    const statements = functionStatements(template, 'CallersFunction').filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')),
    );
    expect([...new Set(statements.flatMap((statement) => [statement.Action].flat()))].sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const resources = statements.flatMap((statement) => [statement.Resource].flat().map(flatten)).sort();
    const secrets = tenants
      .map(({ id }) => `<${logicalId(template, 'AWS::SecretsManager::Secret', `Tenants${id}KeyValue`)}>`)
      .sort();
    expect(resources).toEqual(secrets);
    const services = functionStatements(template, 'CallersFunction')
      .flatMap((statement) => [statement.Action].flat())
      .map((action) => action.split(':')[0]);
    expect([...new Set(services)].sort()).toEqual(['logs', 'secretsmanager', 'xray']);
  });

  it('takes API keys only when the stage has no issuer', () => {
    const variables = functionEnvironment(build(), 'CallersFunction');
    expect(variables).toHaveProperty('TENANTS_JSON');
    expect(Object.keys(variables).filter((name) => name.startsWith('AUTH_'))).toEqual([]);
  });
});
