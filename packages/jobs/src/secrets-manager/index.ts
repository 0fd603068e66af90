export {
  type CallbackSecretsDocument,
  callbackSecretsDocumentSchema,
  SecretsManagerCallbackSecrets,
} from './secrets-manager-callback-secrets.js';
