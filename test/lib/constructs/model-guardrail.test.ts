import { guardrailMessages } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { ModelGuardrail, type ModelGuardrailProps } from '../../../lib/constructs/model-guardrail.js';
import { asList, flatten, logicalId, policyStatements, unitTestApp } from '../support.js';

function build(props: Partial<ModelGuardrailProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const guardrail = new ModelGuardrail(stack, 'Prompt', { stage: 'prod', ...props });
  const access = new BedrockInvokeAccess(stack, 'Bedrock', {
    regionTargets: defaultRegionTargets,
    guardrail,
  });
  const role = new Role(stack, 'Grantee', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  access.grantInvoke(role);
  return { stack, access, template: Template.fromStack(stack) };
}

const { stack, access, template } = build();
const versionDescription = (built: Template) =>
  (
    Object.values(built.findResources('AWS::Bedrock::GuardrailVersion'))[0] as {
      Properties: { Description: string };
    }
  ).Properties.Description;

describe('ModelGuardrail', () => {
  it('filters prompt attacks in the input at HIGH, and answers a block in Japanese and English', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      Name: 'mangaassist-prod-prompt-attack',
      BlockedInputMessaging: guardrailMessages.blockedInput,
      BlockedOutputsMessaging: guardrailMessages.blockedOutput,
      ContentPolicyConfig: {
        FiltersConfig: [{ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' }],
        // Classic reads only English, French and Spanish.
        ContentFiltersTierConfig: { TierName: 'STANDARD' },
      },
      CrossRegionConfig: {
        GuardrailProfileArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':bedrock:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':guardrail-profile/apac.guardrail.v1:0',
            ],
          ],
        },
      },
    });
    expect(guardrailMessages.blockedInput).toMatch(/お応えできません.*Sorry/);
  });

  it('publishes a version of it, and a new one whenever the policy changes', () => {
    template.hasResourceProperties('AWS::Bedrock::GuardrailVersion', {
      GuardrailIdentifier: {
        'Fn::GetAtt': [logicalId(template, 'AWS::Bedrock::Guardrail', 'PromptGuardrail'), 'GuardrailId'],
      },
    });
    expect(versionDescription(template)).toBe(versionDescription(build().template));
    expect(versionDescription(template)).not.toBe(
      versionDescription(build({ promptAttackStrength: 'MEDIUM' }).template),
    );
  });

  it('names the guardrail by ARN (its region) and version, and lets the functions apply it and its profile only', () => {
    const guardrailId = logicalId(template, 'AWS::Bedrock::Guardrail', 'PromptGuardrail');
    expect(stack.resolve(access.handlerEnvironment.BEDROCK_GUARDRAIL_ID)).toEqual({
      'Fn::GetAtt': [guardrailId, 'GuardrailArn'],
    });
    expect(stack.resolve(access.handlerEnvironment.BEDROCK_GUARDRAIL_VERSION)).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::Bedrock::GuardrailVersion', 'PromptVersion'), 'Version'],
    });
    const apply = policyStatements(template).filter((statement) =>
      asList(statement.Action).includes('bedrock:ApplyGuardrail'),
    );
    expect(apply).toHaveLength(1);
    expect(asList(apply[0]?.Action)).toEqual(['bedrock:ApplyGuardrail']);
    const [guardrailArn, profileArn] = asList(apply[0]?.Resource);
    expect(guardrailArn).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailArn'] });
    expect(flatten(profileArn)).toBe(
      'arn:<AWS::Partition>:bedrock:*:<AWS::AccountId>:guardrail-profile/apac.guardrail.v1:0',
    );
  });

  it('leaves no cdk-nag finding', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('BedrockInvokeAccess without a guardrail', () => {
  it('names none to the functions and grants no ApplyGuardrail', () => {
    const plain = new Stack(unitTestApp(), 'Plain');
    const without = new BedrockInvokeAccess(plain, 'Bedrock', { regionTargets: defaultRegionTargets });
    without.grantInvoke(
      new Role(plain, 'Grantee', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }),
    );
    expect(without.handlerEnvironment).not.toHaveProperty('BEDROCK_GUARDRAIL_ID');
    expect(JSON.stringify(Template.fromStack(plain).toJSON())).not.toContain('ApplyGuardrail');
  });
});
