import { App } from 'aws-cdk-lib';
import { environmentConfig, overridesFromContext } from '../lib/config.js';
import { addComplianceChecks, addMangaAssistStacks } from '../lib/mangaassist-app.js';

// `cdk synth|deploy -c env=dev|staging|prod` (cdk.json defaults to dev), plus a deployment's own
// `-c senderEmail=… -c senderIdentity=… -c moderationWebhookUrl=… -c crossAccountBusArn=…`.
const app = new App();
addMangaAssistStacks(
  app,
  environmentConfig(
    app.node.tryGetContext('env') ?? 'dev',
    overridesFromContext((key) => app.node.tryGetContext(key)),
  ),
);
addComplianceChecks(app);
app.synth();
