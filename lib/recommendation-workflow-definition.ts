/**
 * The recommendation state machine's definition (ASL), as `@mangaassist/recommendations` defines
 * it for both the deployed state machine and `pnpm dev`.
 */
export {
  type RecommendationWorkflowDefinition,
  recommendationStepsFunctionArnSubstitution,
  recommendationStepTimeoutSeconds,
  recommendationWorkflowDefinition,
} from '@mangaassist/recommendations';
