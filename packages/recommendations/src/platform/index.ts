// The composition roots of the recommendations functions.

export {
  createRecommendationStepsPlatform,
  createRecommendationsApiPlatform,
  type RecommendationStepsPlatform,
  type RecommendationStepsPlatformOptions,
  type RecommendationsConfig,
  type RecommendationsPlatformOptions,
  recommendationsConfigFromEnvironment,
  recommendationsConfigSchema,
  recommendationsEventBridgeSettings,
} from './recommendations-platform.js';
