// The public surface of @mangaassist/recommendations.

export {
  defaultRecommendationSegments,
  parseRecommendations,
  type RecommendationParse,
  recommendationLimits,
  recommendationPrompt,
  segmentCandidates,
} from './recommendation-picks.js';
export {
  makeRecommendationSteps,
  RecommendationStepError,
  type RecommendationStepInput,
  type RecommendationStepsDependencies,
  recommendationStepInputSchema,
  type SegmentOutcome,
} from './recommendation-steps.js';
export {
  MemoryRecommendationStore,
  maxStoredSegments,
  type RecommendationStore,
  RecommendationStoreUnavailableError,
} from './recommendation-store.js';
export {
  type RecommendationStepName,
  type RecommendationWorkflowDefinition,
  type RecommendationWorkflowOptions,
  recommendationStepErrors,
  recommendationStepNames,
  recommendationStepsFunctionArnSubstitution,
  recommendationStepTimeoutSeconds,
  recommendationWorkflowDefinition,
  recommendationWorkflowStates,
} from './recommendation-workflow.js';
export {
  makeRecommendationsEndpoint,
  type RecommendationsEndpointOptions,
} from './recommendations-endpoint.js';
