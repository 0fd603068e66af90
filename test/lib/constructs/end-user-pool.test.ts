import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EndUserPool } from '../../../lib/constructs/end-user-pool.js';
import { unitTestApp } from '../support.js';

function build(removalPolicy?: RemovalPolicy) {
  const stack = new Stack(unitTestApp(), 'Test', { env: { region: 'ap-northeast-1' } });
  const pool = new EndUserPool(stack, 'EndUsers', {
    stage: 'prod',
    ...(removalPolicy ? { removalPolicy } : {}),
  });
  return { pool, stack, template: Template.fromStack(stack) };
}

describe('EndUserPool', () => {
  const { pool, stack, template } = build();

  it('holds users created by their tenant, each with an immutable tenant attribute', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'mangaassist-prod-end-users',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'tenant', AttributeDataType: 'String', Mutable: false }),
      ]),
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      MfaConfiguration: 'OPTIONAL',
      DeletionProtection: 'ACTIVE',
    });
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('has one public app client: no secret, SRP sign-in, no OAuth flows, and no way to write the tenant', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      WriteAttributes: Match.not(Match.arrayWith(['custom:tenant'])),
    });
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0] as {
      Properties: { WriteAttributes: string[] };
    };
    expect(client.Properties.WriteAttributes.length).toBeGreaterThan(0);
    expect(client.Properties.WriteAttributes.some((attribute) => attribute.startsWith('custom:'))).toBe(
      false,
    );
  });

  it('names the issuer its tokens carry', () => {
    expect(stack.resolve(pool.issuer)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://cognito-idp.ap-northeast-1.',
          { Ref: 'AWS::URLSuffix' },
          '/',
          { Ref: expect.stringMatching(/^EndUsersUserPool/) },
        ],
      ],
    });
  });

  it('outputs the pool and app client ids an operator and the apps need', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      expect.stringMatching(/^EndUsersAppClientId/),
      expect.stringMatching(/^EndUsersUserPoolId/),
    ]);
  });

  it('can be deleted with a stage that is thrown away', () => {
    const { template: disposable } = build(RemovalPolicy.DESTROY);
    disposable.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete' });
    disposable.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
  });
});
