import { App } from 'aws-cdk-lib';
import { environmentConfig } from '../lib/config.js';
import { addComplianceChecks, addMangaAssistStacks } from '../lib/mangaassist-app.js';

// `cdk synth|deploy -c env=dev|staging|prod` (cdk.json defaults to dev).
const app = new App();
addMangaAssistStacks(app, environmentConfig(app.node.tryGetContext('env') ?? 'dev'));
addComplianceChecks(app);
app.synth();
