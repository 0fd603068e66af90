// Secrets Manager's side of @mangaassist/auth: where the tenants' key values are kept.

export { secretsManagerKeySource } from './secrets-manager-key-source.js';
