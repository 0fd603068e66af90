export {
  compileEventPattern,
  type EventMatcher,
  type EventPattern,
  type EventPatternValidation,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern.js';
export {
  applyInputTransformer,
  type InputTransformer,
  type InputTransformerContext,
  type InputTransformerValidation,
  InvalidInputTransformerError,
  reservedInputVariables,
  validateInputTransformer,
} from './input-transformer.js';
