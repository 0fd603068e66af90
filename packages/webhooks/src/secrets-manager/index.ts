// The public surface of @mangaassist/webhooks/secrets-manager.

export {
  createSecretsManagerClient,
  type SecretsManagerClientOptions,
  SecretsManagerWebhookSecrets,
  type SecretsManagerWebhookSecretsOptions,
} from './secrets-manager-webhook-secrets.js';
