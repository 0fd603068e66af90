// The authorizer's composition root.

export {
  type AuthorizerConfig,
  authorizerConfigFromEnvironment,
  authorizerConfigSchema,
  createAuthorizerPlatform,
  jwksUrlOf,
} from './authorizer-platform.js';
