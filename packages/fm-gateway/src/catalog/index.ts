export { type Geography, geographies, geographyOfRegion, isWithin } from './geography.js';
export {
  defaultRegionTargets,
  type InvocationTarget,
  invocationTargets,
  type RegionTarget,
  regionTargetSchema,
  regionTargetsSchema,
  type SkippedTarget,
} from './invocation-targets.js';
export {
  defaultModelCatalog,
  fallbackLadder,
  loadModelCatalog,
  type ModelAlias,
  type ModelCatalog,
  ModelCatalogError,
  type ModelCatalogOverrides,
  type ModelSpec,
  modelAliases,
  modelNames,
  modelSpecSchema,
  resolveModelKey,
} from './model-catalog.js';
