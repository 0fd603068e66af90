import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { environmentConfig, type Stage, stages } from '../../lib/config.js';
import { addComplianceChecks, addMangaAssistStacks } from '../../lib/mangaassist-app.js';
import { unitTestApp } from './support.js';

function buildApp(stage: Stage) {
  const app = unitTestApp();
  const stacks = addMangaAssistStacks(app, environmentConfig(stage));
  return { app, stacks };
}

/** One synthesised app per stage, shared by the read-only checks below. */
const synthesised = new Map<Stage, ReturnType<typeof buildApp>>();
function synthesisedApp(stage: Stage) {
  let built = synthesised.get(stage);
  if (built === undefined) {
    built = buildApp(stage);
    built.app.synth();
    synthesised.set(stage, built);
  }
  return built;
}

describe('MangaAssist app', () => {
  it('splits each environment into an alarms stack, a stateful stack and the stateless API and events stacks', () => {
    const { stacks } = synthesisedApp('staging');
    expect(stacks.alarms.stackName).toBe('MangaAssist-staging-Alarms');
    expect(stacks.stateful.stackName).toBe('MangaAssist-staging-Stateful');
    expect(stacks.api.stackName).toBe('MangaAssist-staging-Api');
    expect(stacks.events.stackName).toBe('MangaAssist-staging-Events');
    const dependencies = (stack: { dependencies: { stackName: string }[] }) =>
      stack.dependencies.map((dependency) => dependency.stackName).sort();
    expect(dependencies(stacks.stateful)).toEqual([]);
    expect(dependencies(stacks.api)).toEqual(['MangaAssist-staging-Alarms', 'MangaAssist-staging-Stateful']);
    expect(dependencies(stacks.events)).toEqual([
      'MangaAssist-staging-Alarms',
      'MangaAssist-staging-Api',
      'MangaAssist-staging-Stateful',
    ]);
  });

  it('sets every feature flag aws-cdk-lib recommends, so the synth has none left to warn about', () => {
    const recommended = JSON.parse(
      readFileSync(
        new URL('../../node_modules/aws-cdk-lib/recommended-feature-flags.json', import.meta.url),
        'utf8',
      ),
    ) as Record<string, unknown>;
    const { context } = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    };
    expect(Object.keys(recommended).length).toBeGreaterThan(50);
    expect(Object.keys(recommended).filter((flag) => !(flag in context))).toEqual([]);
  });

  it.each(stages)('keeps every %s stack well inside CloudFormation’s 500 resources', (stage) => {
    const { stacks } = synthesisedApp(stage);
    for (const stack of [stacks.alarms, stacks.stateful, stacks.api, stacks.events]) {
      const count = Object.keys(Template.fromStack(stack).toJSON().Resources as object).length;
      expect(count, stack.stackName).toBeLessThanOrEqual(400);
    }
  });

  it("routes every alarm of the API and events stacks to the alarms stack's topic", () => {
    const { stacks } = synthesisedApp('dev');
    for (const stack of [stacks.api, stacks.events]) {
      const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) {
        expect(JSON.stringify(alarm)).toMatch(/Fn::ImportValue.*MangaAssist-dev-Alarms.*AlarmsTopic/);
      }
    }
    Template.fromStack(stacks.alarms).resourceCountIs('AWS::Budgets::Budget', 2);
  });

  it('tags every resource with the project and the stage, except auto scaling targets, listeners and dashboards', () => {
    const { stacks } = synthesisedApp('dev');
    const tags = Match.arrayWith([
      { Key: 'project', Value: 'MangaAssist' },
      { Key: 'stage', Value: 'dev' },
    ]);
    Template.fromStack(stacks.stateful).hasResourceProperties('AWS::Events::EventBus', { Tags: tags });
    Template.fromStack(stacks.stateful).hasResourceProperties('AWS::DynamoDB::Table', { Tags: tags });
    Template.fromStack(stacks.api).hasResourceProperties('AWS::Lambda::Function', { Tags: tags });
    Template.fromStack(stacks.api).hasResourceProperties('AWS::ApiGateway::RestApi', { Tags: tags });
    Template.fromStack(stacks.events).hasResourceProperties('AWS::Lambda::Function', { Tags: tags });
    Template.fromStack(stacks.events).hasResourceProperties('AWS::SQS::Queue', { Tags: tags });
    Template.fromStack(stacks.api).hasResourceProperties('AWS::ECS::Service', { Tags: tags });
    // The CI linter (cfn-lint 1.51) refuses Tags on them as an error.
    for (const type of [
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ElasticLoadBalancingV2::Listener',
    ]) {
      Template.fromStack(stacks.api).hasResourceProperties(type, { Tags: Match.absent() });
    }
    Template.fromStack(stacks.events).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      Tags: Match.absent(),
    });
  });

  it.each(stages)('leaves no AwsSolutions finding in %s unfixed or unacknowledged', (stage) => {
    const { app } = synthesisedApp(stage);
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app).violations;
    expect(
      violations.map((violation) => `${violation.severity} ${violation.ruleName}: ${violation.description}`),
    ).toEqual([]);
  });

  it.each(stages)('raises no construct errors or warnings in %s', (stage) => {
    const { stacks } = synthesisedApp(stage);
    for (const stack of [stacks.stateful, stacks.api, stacks.events]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('exports from the stateful stack only what is never replaced: the network, the secrets, the user pool', () => {
    const { stacks } = synthesisedApp('prod');
    expect(stacks.stateful.dependencies).toEqual([]);
    const outputs = (
      Template.fromStack(stacks.stateful).toJSON() as { Outputs?: Record<string, { Export?: unknown }> }
    ).Outputs;
    const exported = Object.entries(outputs ?? {})
      .filter(([, output]) => output.Export !== undefined)
      .map(([id]) => id.replace(/^ExportsOutput(Ref|FnGetAtt)/, '').replace(/[0-9A-F]{8,}.*$/, ''));
    // Tables, the bus, the catalog queue and the cache's URL go by name or SSM parameter instead.
    for (const name of exported) {
      expect(name).toMatch(
        /^(Network|WebhookSecrets|CallbackSecrets|ModerationWebhookKey|EndUsers|CatalogEnrichmentDeadLetters)/,
      );
    }
    const api = JSON.stringify(Template.fromStack(stacks.api).toJSON());
    expect(api).not.toMatch(/ImportValue[^}]*(Table|Bus|Cache|CatalogEnrichmentQueue)/);
  });

  it('synthesises with the compliance checks on', () => {
    const { app } = buildApp('prod');
    addComplianceChecks(app);
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis on an AwsSolutions finding nobody acknowledged', () => {
    const { app } = buildApp('dev');
    addComplianceChecks(app);
    const careless = new Stack(app, 'Careless');
    new Role(careless, 'Admin', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM4/);
  });
});
