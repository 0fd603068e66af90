// Cross-region inference profiles prefix the model id with a geography (`jp.anthropic....`).
const geographyPrefix = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;
const providerPrefix = /^[a-z0-9-]+\./;
const versionSuffix = /-v\d+(?::\d+)?$/;
const dateSuffix = /-\d{8}$/;

// `[geo.]provider.name` with Bedrock's usual characters, or an ARN ending in such an id.
const modelIdShape =
  /^(?:arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:[a-z-]+\/)?(?:[a-z-]+\.)?[a-z0-9-]+\.[a-z0-9][a-z0-9._:-]*$/i;

/** The default model-id check: accepts anything shaped like a Bedrock model or inference-profile id. */
export function looksLikeModelId(modelId: string): boolean {
  return modelIdShape.test(modelId);
}

function baseName(modelId: string): string {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1);
  return id.replace(geographyPrefix, '').replace(providerPrefix, '').replace(versionSuffix, '');
}

/** The name the Anthropic response's `model` field carries (`claude-sonnet-4-5-20250929`). */
export function anthropicModelName(modelId: string): string {
  return baseName(modelId);
}

/** A short label for replies (`claude-sonnet-4-5`). */
export function shortModelName(modelId: string): string {
  return baseName(modelId).replace(dateSuffix, '');
}
