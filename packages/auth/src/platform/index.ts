// The authorizer's composition root.

export {
  type AuthorizerConfig,
  authorizerConfigFromEnvironment,
  authorizerConfigSchema,
  createAuthorizerPlatform,
} from './authorizer-platform.js';
