import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CallbackSecret, type CallbackSecretProps } from '../../../lib/constructs/callback-secret.js';
import { unitTestApp } from '../support.js';

function build(props: Partial<CallbackSecretProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const secret = new CallbackSecret(stack, 'CallbackSecrets', { stage: 'dev', ...props });
  return { stack, secret, template: Template.fromStack(stack) };
}

describe('CallbackSecret', () => {
  it('is one secret named after the stage', () => {
    const { template } = build({ stage: 'staging' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mangaassist-staging-callback-secrets',
    });
    expect(CallbackSecret.secretName('prod')).toBe('mangaassist-prod-callback-secrets');
  });

  it('starts as an empty document naming no tenant, and holds no signing secret in the template', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: '{}',
      GenerateSecretString: Match.absent(),
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/whsec_[A-Za-z0-9+/=]/);
  });

  it('is encrypted with the AWS managed Secrets Manager key', () => {
    build().template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.absent() });
  });

  it('is retained unless told otherwise', () => {
    build().template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
    });
  });

  it('acknowledges the missing rotation Lambda with its reason, leaving no cdk-nag finding', () => {
    const { stack, template } = build();
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});
