// The public surface of @mangaassist/fm-gateway/bedrock.

export { BedrockConverseRuntime } from './bedrock-converse-runtime.js';
export { bedrockEmbeddingRuntime } from './bedrock-embedding-runtime.js';
export { BedrockAnthropicInvokeRuntime } from './bedrock-invoke-runtime.js';
export { type BedrockClientOptions, createBedrockRuntimeClient } from './bedrock-runtime-client.js';
