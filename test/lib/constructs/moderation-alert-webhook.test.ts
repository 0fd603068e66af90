import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import {
  ModerationAlertWebhook,
  type ModerationAlertWebhookProps,
} from '../../../lib/constructs/moderation-alert-webhook.js';
import { flatten, logicalId, unitTestApp } from '../support.js';

function build(props: Partial<Omit<ModerationAlertWebhookProps, 'apiKey'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const apiKey = new Secret(stack, 'Key');
  new ModerationAlertWebhook(stack, 'Alert', {
    stage: 'dev',
    endpoint: 'https://hooks.example.com/alerts',
    apiKeyHeader: 'x-api-key',
    apiKey,
    ...props,
  });
  return Template.fromStack(stack);
}

const template = build();

describe('ModerationAlertWebhook', () => {
  it('authorises with an API key read from the secret by dynamic reference, never in plain text', () => {
    template.hasResourceProperties('AWS::Events::Connection', {
      Name: 'mangaassist-dev-moderation-alerts',
      AuthorizationType: 'API_KEY',
    });
    const [connection] = Object.values(template.findResources('AWS::Events::Connection'));
    const parameters = (
      connection as {
        Properties: {
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: string; ApiKeyValue: unknown } };
        };
      }
    ).Properties.AuthParameters.ApiKeyAuthParameters;
    expect(parameters.ApiKeyName).toBe('x-api-key');
    expect(flatten(parameters.ApiKeyValue)).toBe(
      `{{resolve:secretsmanager:<${logicalId(template, 'AWS::SecretsManager::Secret', 'Key')}>:SecretString:::}}`,
    );
  });

  it('POSTs to the configured endpoint through the connection, at 10 requests per second by default', () => {
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      Name: 'mangaassist-dev-moderation-alerts',
      ConnectionArn: {
        'Fn::GetAtt': [logicalId(template, 'AWS::Events::Connection', 'AlertConnection'), 'Arn'],
      },
      InvocationEndpoint: 'https://hooks.example.com/alerts',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
    });
  });

  it('takes the header name and rate from its props', () => {
    const custom = build({ apiKeyHeader: 'x-alert-key', rateLimitPerSecond: 2 });
    custom.hasResourceProperties('AWS::Events::Connection', {
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-alert-key' } },
    });
    custom.hasResourceProperties('AWS::Events::ApiDestination', { InvocationRateLimitPerSecond: 2 });
  });
});
