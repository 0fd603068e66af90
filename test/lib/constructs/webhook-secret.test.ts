import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { WebhookSecret, type WebhookSecretProps } from '../../../lib/constructs/webhook-secret.js';
import { unitTestApp } from '../support.js';

function build(props: Partial<WebhookSecretProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const secret = new WebhookSecret(stack, 'WebhookSecrets', { stage: 'dev', ...props });
  return { stack, secret, template: Template.fromStack(stack) };
}

describe('WebhookSecret', () => {
  it('is one secret named after the stage', () => {
    const { template } = build({ stage: 'staging' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mangaassist-staging-webhook-secrets',
    });
    expect(WebhookSecret.secretName('prod')).toBe('mangaassist-prod-webhook-secrets');
  });

  it('keeps every value out of the template: Secrets Manager generates a placeholder', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: Match.absent(),
      GenerateSecretString: Match.anyValue(),
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
